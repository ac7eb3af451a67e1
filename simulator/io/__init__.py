"""Reading logs and writing outputs: the only wing that touches files, and the errors they raise.

``open_log`` streams JSON Lines or a JSON array (gzip read transparently, order detected) within
``Limits``; ``atomic_write`` makes every output all or nothing; ``InputError`` is an unreadable
input or an unusable option, which the command line turns into one line and exit code 2.
"""

from simulator.io.atomic import atomic_write, guarding_inputs, note_input
from simulator.io.errors import (
    EXIT_NONCONFORMANT,
    EXIT_OK,
    EXIT_USAGE,
    InputError,
    display_name,
)
from simulator.io.http import check_url, parse_headers, read_body, retry_after
from simulator.io.limits import Limits, format_size, parse_size
from simulator.io.logs import (
    Batch,
    EventLog,
    Malformed,
    Order,
    Record,
    line_stamp,
    not_json,
    open_log,
)
from simulator.io.order import block_stamps
from simulator.io.records import given_records
from simulator.io.shards import (
    LINE_BITS,
    Chunk,
    Shards,
    chunks,
    global_line,
    is_url,
    open_input,
    range_blocks,
    read_chunk,
)

__all__ = [
    "EXIT_NONCONFORMANT",
    "EXIT_OK",
    "EXIT_USAGE",
    "LINE_BITS",
    "Batch",
    "Chunk",
    "EventLog",
    "InputError",
    "Limits",
    "Malformed",
    "Order",
    "Record",
    "Shards",
    "atomic_write",
    "block_stamps",
    "check_url",
    "chunks",
    "display_name",
    "format_size",
    "given_records",
    "global_line",
    "guarding_inputs",
    "is_url",
    "line_stamp",
    "not_json",
    "note_input",
    "open_input",
    "open_log",
    "parse_headers",
    "parse_size",
    "range_blocks",
    "read_body",
    "read_chunk",
    "retry_after",
]

"""The exceptions that reach the command line, each with its exit code.

Replay reports violations as findings (values); only input that cannot be read at all, or a
request that cannot be carried out, raises. ``simulator.cli`` turns these into one-line messages.
"""

from __future__ import annotations

import os
import re

EXIT_OK = 0
EXIT_NONCONFORMANT = 1
EXIT_USAGE = 2
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class InputError(ValueError):
    """Unreadable input or unusable arguments: a one-line message and exit code 2.

    The message names the file and, where known, the line, and says what was expected. A
    ``ValueError``, so that callers of the library that caught bad arguments as one still do.
    """

    exit_code = EXIT_USAGE


def display_name(source: str | os.PathLike[str]) -> str:
    """A file name as one line of text: ``<stdin>`` for ``-``; bytes that are not UTF-8 and
    control characters escaped (a name is any bytes but ``/`` and NUL)."""
    if str(source) == "-":
        return "<stdin>"
    text = os.fsdecode(source).encode("utf-8", "surrogateescape").decode("utf-8",
                                                                         "backslashreplace")
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)

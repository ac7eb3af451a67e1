"""The exceptions that reach the command line, each with its exit code.

Replay reports violations as findings (values); only input that cannot be read at all, or a
request that cannot be carried out, raises. ``simulator.cli`` turns these into one-line messages.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_NONCONFORMANT = 1
EXIT_USAGE = 2


class InputError(ValueError):
    """Unreadable input or unusable arguments: a one-line message and exit code 2.

    The message names the file and, where known, the line, and says what was expected. A
    ``ValueError``, so that callers of the library that caught bad arguments as one still do.
    """

    exit_code = EXIT_USAGE

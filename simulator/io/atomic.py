"""Writing output files all or nothing, so that an interrupted run never leaves half a file.

Every command that writes (``generate -o``, ``validate -o``, ``scenario run --emit``, ``demo``)
goes through ``atomic_write``; inputs are never written to.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, BinaryIO, Literal, TextIO, overload

from simulator.io.errors import InputError


@overload
def atomic_write(
    path: str | os.PathLike[str], mode: Literal["wb"] = "wb"
) -> contextlib.AbstractContextManager[BinaryIO]: ...
@overload
def atomic_write(
    path: str | os.PathLike[str], mode: Literal["w"]
) -> contextlib.AbstractContextManager[TextIO]: ...
def atomic_write(
    path: str | os.PathLike[str], mode: Literal["w", "wb"] = "wb"
) -> contextlib.AbstractContextManager[IO[Any]]:
    """Write ``path`` all or nothing: a temporary file beside it, fsync, then ``os.replace``.

    On an exception the temporary file is removed and ``path`` is untouched. ``-`` is standard
    output (not atomic, not closed). An existing non-regular target (``/dev/null``, a FIFO) is
    written in place. Errors creating or replacing the file raise ``InputError`` (exit 2).

    >>> with atomic_write("out.jsonl") as f:                  # doctest: +SKIP
    ...     f.write(b'{"id":1}\\n')
    """
    return _atomic(str(path), mode)


@contextlib.contextmanager
def _atomic(path: str, mode: str) -> Iterator[IO[Any]]:
    if path == "-":
        out: IO[Any] = sys.stdout if mode == "w" else sys.stdout.buffer
        yield out
        out.flush()
        return
    encoding = "utf-8" if mode == "w" else None
    target = Path(path)
    try:
        existing: os.stat_result | None = target.stat()
    except FileNotFoundError:
        existing = None
    except OSError as exc:
        raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from None
    if existing is not None and stat.S_ISDIR(existing.st_mode):
        raise InputError(f"{path}: is a directory")
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        try:
            special = open(path, mode, encoding=encoding)  # noqa: SIM115
        except OSError as exc:
            raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from None
        with special:
            yield special
        return
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    except OSError as exc:
        raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from None
    f = open(fd, mode, encoding=encoding)  # noqa: SIM115 (closed on every path below)
    try:
        yield f  # an exception from the caller's block propagates unchanged
        try:
            f.flush()
            os.fsync(f.fileno())
            f.close()
            if existing is not None:
                os.chmod(tmp, stat.S_IMODE(existing.st_mode))
            os.replace(tmp, target)
        except OSError as exc:
            raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            f.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable (best effort)
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

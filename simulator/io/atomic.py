"""Writing output files all or nothing, never over an input.

Every command that writes (``generate -o``, ``validate -o``, ``scenario run --emit``, ``demo``)
goes through ``atomic_write``: a temporary file beside the target, then a rename, so that an
interrupted run never leaves half a file. Within ``guarding_inputs`` (the command line opens it
around every command) each input that is read is remembered by its device and inode
(``note_input``), and an output that is the same file (by name, hard link or symbolic link) is
refused before anything is written: an output never replaces an input.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import io
import os
import secrets
import stat
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import IO, Any, BinaryIO, Literal, TextIO, overload

from simulator.io.errors import InputError, display_name

# (device, inode) of each input read by the running command; None outside ``guarding_inputs``.
_INPUTS: ContextVar[dict[tuple[int, int], str] | None] = ContextVar("inputs", default=None)


@contextlib.contextmanager
def guarding_inputs() -> Iterator[None]:
    """Remember the inputs read inside the block; refuse outputs that would replace one."""
    token = _INPUTS.set({})
    try:
        yield
    finally:
        _INPUTS.reset(token)


def note_input(source: IO[Any] | str | os.PathLike[str], name: str) -> None:
    """Remember ``source`` (an open file or a path) as an input named ``name``."""
    inputs = _INPUTS.get()
    if inputs is None:
        return
    try:
        if isinstance(source, str | os.PathLike):
            found = os.stat(source)
        else:
            found = os.fstat(source.fileno())
    except (OSError, ValueError):  # no such file yet, or no descriptor (a test's stream)
        return
    if stat.S_ISREG(found.st_mode):
        inputs[(found.st_dev, found.st_ino)] = name


def _refuse_an_input(found: os.stat_result, shown: str) -> None:
    inputs = _INPUTS.get()
    if inputs and (name := inputs.get((found.st_dev, found.st_ino))) is not None:
        same = "" if name == shown else f" (the same file as {name})"
        raise InputError(f"{shown}: is an input of this command{same}: writing it would replace "
                         "the input; choose another output file")


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
    written in place; a symbolic link is followed (the file it names is replaced, the link
    stays). A name ending in ``.gz`` is written gzip-compressed (the same bytes for the same
    content). An input of the running command (``guarding_inputs``) is refused, and errors
    creating or writing the file (an ``OSError`` in the block: a full disk) raise ``InputError``
    (exit 2) naming it.

    >>> with atomic_write("out.jsonl") as f:                  # doctest: +SKIP
    ...     f.write(b'{"id":1}\\n')
    """
    return _atomic(os.fspath(path), mode)


@contextlib.contextmanager
def _atomic(path: str, mode: str) -> Iterator[IO[Any]]:
    shown = display_name(path)
    if path == "-":
        yield from _stdout(mode)
        return
    encoding = "utf-8" if mode == "w" else None
    target = Path(os.path.realpath(path))  # through symbolic links: they stay links
    try:
        existing: os.stat_result | None = target.stat()
    except FileNotFoundError:
        existing = None
    except OSError as exc:
        raise InputError(f"{shown}: cannot write: {exc.strerror or exc}") from None
    if existing is not None:
        _refuse_an_input(existing, shown)
        if stat.S_ISDIR(existing.st_mode):
            raise InputError(f"{shown}: is a directory")
        if not stat.S_ISREG(existing.st_mode):
            try:
                with open(target, mode, encoding=encoding) as special:
                    yield special
            except OSError as exc:
                raise InputError(f"{shown}: cannot write: {exc.strerror or exc}") from None
            return
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    except OSError as exc:
        raise InputError(f"{shown}: cannot write: {exc.strerror or exc}") from None
    raw = open(fd, "wb")  # noqa: SIM115 (closed on every path below)
    packed = None  # gzip over ``raw``, for a name ending in .gz (no name, no time: same bytes)
    if target.name.endswith(".gz"):
        packed = gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=0)
    binary: Any = raw if packed is None else packed  # a BinaryIO
    text = io.TextIOWrapper(binary, encoding="utf-8", newline="") if mode == "w" else None
    try:
        try:
            yield binary if text is None else text
            if text is not None:
                text.flush()
                text.detach()
            if packed is not None:
                packed.close()  # writes the trailer; ``raw`` stays open
            raw.flush()
            os.fsync(raw.fileno())
            raw.close()
            if existing is not None:
                os.chmod(tmp, stat.S_IMODE(existing.st_mode))
            os.replace(tmp, target)
        except OSError as exc:  # a full disk, a file system that refuses: nothing written
            raise InputError(f"{shown}: cannot write: {exc.strerror or exc}") from None
    except BaseException:  # an error, Ctrl-C, SIGTERM: no temporary file is left behind
        for f in (text, packed, raw):
            if f is not None:
                with contextlib.suppress(OSError, ValueError):
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


def _stdout(mode: str) -> Iterator[IO[Any]]:
    """Standard output: not atomic, not closed; a full disk or a closed pipe still one line."""
    out: IO[Any] = sys.stdout if mode == "w" else sys.stdout.buffer
    try:
        found: os.stat_result | None = os.fstat(out.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        found = None  # not a file (a test's capture): nothing to compare
    if found is not None:
        _refuse_an_input(found, "<stdout>")
    try:
        yield out
        out.flush()
    except BrokenPipeError:
        raise  # `simlife generate | head`: the reader has what it wanted
    except OSError as exc:
        if exc.errno == errno.EPIPE:
            raise
        raise InputError(f"<stdout>: cannot write: {exc.strerror or exc}") from None

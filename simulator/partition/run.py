"""``validate_paths``: a log of one or several files, in one process, N local processes or on a
running Dask cluster, with the single process's verdict.

With more than one partition: a first pass over pieces of the log (ids only, in parallel), the
plan (``plan``), the partitions replayed in parallel (``tasks``), the results combined
(``combine``). Both executors run the same two kinds of task; local processes are forked
(``concurrent.futures``), the cluster is reached with ``dask.distributed`` (the ``dask`` extra),
whose workers must be able to read the inputs: shared paths or URLs.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from typing import Any, Protocol

from simulator.io import Chunk, InputError, Limits, chunks, is_url
from simulator.partition.combine import combine
from simulator.partition.plan import Plan, plan
from simulator.partition.tasks import MAX_PARTS, Part, replay_part, scan_chunk
from simulator.replay import MAX_FINDINGS, ChunkLinks, Report, collector_paused, validate_path

_MIN_PIECE = 4 << 20
DEFAULT_LIMITS = Limits()
_WORKERS_WAIT = 30  # seconds a cluster's scheduler may take to get its first worker


class Executor(Protocol):
    """Runs a function over items in parallel; results in the items' order."""

    workers: int

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]: ...
    def close(self) -> None: ...


class InProcess:
    """Every task in this process, one after another: the same verdict, for tests and debugging."""

    workers = 1

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        return [fn(item) for item in items]

    def close(self) -> None:
        pass


class LocalProcesses:
    """``jobs`` worker processes on this machine (forked where the platform can)."""

    def __init__(self, jobs: int) -> None:
        self.workers = jobs
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else None)
        self._pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context)

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        return list(self._pool.map(fn, items))

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)


class DaskCluster:
    """The workers of a running Dask cluster (``ADDRESS`` of its scheduler)."""

    def __init__(self, address: str) -> None:
        try:
            from distributed import Client
        except ImportError:
            raise InputError("--dask needs dask.distributed: pip install 'simlife[dask]'") from None
        connect: Any = Client  # dask.distributed is not typed
        try:
            self._client: Any = connect(address, timeout="5s", set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise InputError(f"--dask {address}: cannot reach the scheduler ({exc})") from None
        try:
            self._client.wait_for_workers(1, timeout=_WORKERS_WAIT)
        except TimeoutError:
            self._client.close()
            raise InputError(f"--dask {address}: no worker joined the scheduler within "
                             f"{_WORKERS_WAIT} seconds") from None
        self.workers = max(1, sum(self._client.nthreads().values()))

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        futures = self._client.map(fn, items, pure=False)
        return list(self._client.gather(futures))

    def close(self) -> None:
        self._client.close()


def _pieces(specs: Sequence[str], workers: int, size: int | None = None) -> list[Any]:
    """The inputs in pieces for the first pass: one per worker for a big file."""
    if size is None:
        local = [s for s in specs if not is_url(s)]
        total = sum(os.path.getsize(s) for s in local if os.path.isfile(s))
        size = max(_MIN_PIECE, -(-total // workers))
    return chunks(specs, size)


def _ascending(pieces: Sequence[Chunk], scans: Sequence[ChunkLinks]) -> tuple[str, ...]:
    """The inputs cut in byte ranges whose timestamps ascend throughout, as pass 1 would find:
    their partitions replay them in file order without pass 1."""
    found: dict[str, bool] = {}
    last: dict[str, bytes | None] = {}
    for piece, scan in zip(pieces, scans, strict=True):
        order = scan.order
        ok = found.get(piece.spec, True) and piece.end >= 0 and order.ascending
        before = last.get(piece.spec)
        if ok and before is not None and order.first is not None and order.first < before:
            ok = False
        found[piece.spec] = ok
        if order.last is not None:
            last[piece.spec] = order.last
    return tuple(spec for spec, ok in found.items() if ok)


def partitioned(specs: Sequence[str], executor: Executor, parts: int, *, strict: bool,
                complete_history: bool, assume_registered: Sequence[tuple[int, int]],
                progress: Callable[[str], None] | None = None,
                piece_size: int | None = None, max_findings: int = MAX_FINDINGS,
                limits: Limits = DEFAULT_LIMITS) -> tuple[Report, Plan]:
    """The log of ``specs`` replayed in ``parts`` partitions on ``executor``; its report and
    the plan it followed. ``piece_size``: bytes per piece of the first pass (default: a big file
    in one piece per worker, of 4 MiB at least)."""
    specs = tuple(sorted(specs))
    pieces = _pieces(specs, executor.workers, piece_size)
    if progress:
        progress(f"first pass over {len(pieces)} piece(s) of {len(specs)} file(s)")
    with collector_paused():  # the summaries only grow until the plan is made
        scans = executor.map(partial(scan_chunk, limits=limits), pieces)
        layout = plan(specs, pieces, scans, parts)
    if progress:
        progress(f"replaying {parts} partitions: {', '.join(f'{n:,}' for n in layout.events)} "
                 f"events ({layout.groups:,} groups, the largest {layout.largest:,} events)")
    assumed = tuple(assume_registered)
    ascending = _ascending(pieces, scans)
    del scans
    results = executor.map(replay_part, [
        Part(specs, p, layout.tables, complete_history, assumed, ascending, max_findings, limits)
        for p in range(parts)])
    with collector_paused():
        return combine(results, strict=strict, max_findings=max_findings), layout


def validate_paths(
    paths: Iterable[str | os.PathLike[str]],
    *,
    jobs: int = 1,
    dask: str | None = None,
    strict: bool = False,
    complete_history: bool = False,
    assume_registered: Sequence[tuple[int, int]] = (),
    progress: Callable[[str], None] | None = None,
    max_findings: int = MAX_FINDINGS,
    limits: Limits = DEFAULT_LIMITS,
) -> Report:
    """Validate a log of one or several files (shards of one stream, in any order).

    ``jobs``: partitions replayed in that many local processes (1: this process). ``dask``: the
    address of a Dask scheduler whose workers replay the partitions (``jobs`` of them, or one per
    worker thread). The report is the one a single process gives; with several files each finding
    names its file (``Finding.file``) and messages say ``event 5 at day-2.jsonl line 9``.
    ``progress`` is called with a line of text at each stage. ``max_findings`` and ``limits``
    are ``validate_path``'s.
    """
    specs = [os.fspath(p) for p in paths]
    if not specs:
        raise InputError("no log file given")
    if jobs < 1 or jobs > MAX_PARTS:
        raise InputError(f"--jobs {jobs}: expected 1 to {MAX_PARTS}")
    if "-" in specs and (len(specs) > 1 or jobs > 1 or dask):
        raise InputError("standard input (-) is read alone and in one process: save it to a file "
                         "to give it with other files, --jobs or --dask")
    options: dict[str, Any] = {"strict": strict, "complete_history": complete_history,
                               "assume_registered": tuple(assume_registered),
                               "max_findings": max_findings, "limits": limits}
    if dask is None and jobs == 1:
        if len(specs) == 1 and not is_url(specs[0]):
            return validate_path(specs[0], **options)
        whole = Part(tuple(sorted(specs)), 0, None, complete_history,
                     options["assume_registered"], (), max_findings, limits)
        return combine([replay_part(whole)], strict=strict, max_findings=max_findings)
    executor: Executor
    executor = DaskCluster(dask) if dask is not None else LocalProcesses(jobs)
    try:
        parts = jobs if dask is None or jobs > 1 else min(MAX_PARTS, executor.workers)
        report, _ = partitioned(specs, executor, parts, progress=progress, **options)
        return report
    finally:
        executor.close()

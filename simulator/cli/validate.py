"""``simlife validate``: check a recorded event log against the lifecycle (spec §6, §7)."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

import click

from lifecycle.rules import RULES, Level
from simulator.cli.options import reading_limits
from simulator.io import (
    EXIT_NONCONFORMANT,
    EXIT_OK,
    InputError,
    Limits,
    atomic_write,
    is_url,
)
from simulator.partition import MAX_PARTS, validate_paths
from simulator.replay import MAX_FINDINGS, RENDERERS, render, validate_path


def _help() -> str:
    width = max(map(len, RULES))
    rules = "\n".join(
        f"  {code:<{width}}  {'' if rule.level is Level.ERROR else '(warning) '}{rule.summary}"
        for code, rule in RULES.items()
    )
    return f"""Validate a recorded event log against the SIM and endpoint lifecycle.

FILE is JSON Lines (one event per line) or one JSON array, either of them possibly gzipped;
"-" reads standard input. Logs in ascending or descending (newest first, as the API pages
them) time order are detected and replayed oldest first; a log in neither order is sorted and
gets a time-order warning. A log may start mid-life: replay tracks the states each SIM and
endpoint may be in and reports only events that no possible state allows.

Several FILEs are one log (shards of one stream, e.g. a day per file, in any order): merged
by time, each finding names its file and line. A FILE may be a URL (s3://, https://...) read
through fsspec. --jobs N replays the log in N partitions in N processes, --dask ADDRESS on a
running Dask cluster (pip install 'simlife[dask]'); either gives the verdict of one process,
after a first pass that finds which SIMs and devices depend on each other.

\b
Formats (--format):
  text   findings grouped by rule, a count per rule, the verdict (default)
  json   one object: "events", "violations" [{{"rule", "severity", "event_id",
         "line", "message", "entity", "sim", "endpoint", "element"}}],
         "conformant", "errors", "warnings", "counts_by_rule",
         "counts_by_event_type", "order", "source", "strict"
         ("sim", "endpoint": the ids the event names; "element": its 0-based
         index in a JSON array input, whose elements may share a line)
  junit  JUnit XML: a testcase per SIM and endpoint (and "log"), a failure per
         error (per warning too with --strict), warnings in system-out

\b
Exit codes:
  0  conformant: no errors (with --strict, no warnings either)
  1  not conformant
  2  usage error or unreadable input (missing file, directory, binary data,
     an event over --max-event-size, a copy over --spool-limit)

\b
Rule codes (errors unless marked):
{rules}
"""


def _ranges(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> tuple[tuple[int, int], ...]:
    """``FIRST-LAST`` ICCIDs (19 or 20 digits; compared on the first 19) as integer ranges."""
    out = []
    for value in values:
        first, _, last = value.partition("-")
        last = last or first
        if not all(p.isascii() and p.isdigit() and len(p) in (19, 20) for p in (first, last)):
            raise click.BadParameter(
                f"{value!r}: expected FIRST-LAST, two ICCIDs of 19 or 20 digits", ctx, param)
        lo, hi = int(first[:19]), int(last[:19])
        if lo > hi:
            raise click.BadParameter(f"{value!r}: FIRST is after LAST", ctx, param)
        out.append((lo, hi))
    return tuple(out)


def _rules(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
           ) -> frozenset[str] | None:
    """``RULE,RULE`` (repeatable) as rule codes; ``ALL`` is every rule; None when not given."""
    if not values:
        return None
    codes = {code.strip() for value in values for code in value.split(",") if code.strip()}
    if "ALL" in codes:
        codes = (codes - {"ALL"}) | set(RULES)
    unknown = sorted(codes - set(RULES))
    if unknown:
        raise InputError(f"--{param.name}: unknown rule {', '.join(map(repr, unknown))}; the "
                         f"rules are {', '.join(RULES)}")
    return frozenset(codes)


class _Progress:
    """A count on a terminal's stderr once a run has taken more than a second."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._start = clock()
        self._shown = False

    def __call__(self, events: int) -> None:
        if self._clock() - self._start >= 1.0:
            sys.stderr.write(f"\rsimlife: validated {events:,} events")
            sys.stderr.flush()
            self._shown = True

    def clear(self) -> None:
        if self._shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def _stage(text: str) -> None:
    """What a partitioned run is doing, on a terminal's stderr."""
    sys.stderr.write(f"simlife: {text}\n")
    sys.stderr.flush()


@click.command(help=_help(), short_help="Validate a recorded event log (exit 0, 1 or 2).")
@click.argument("files", metavar="FILE|-...", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(list(RENDERERS)), default="text",
              show_default=True, help="Report format (see above).")
@click.option("--strict", is_flag=True, help="Warnings make the log non-conformant too.")
@click.option("--complete-history", is_flag=True,
              help="Every SIM must first appear through a registration (48) or the target half "
                   "of a migration (69).")
@click.option("--assume-registered", "assumed", multiple=True, metavar="FIRST-LAST",
              callback=_ranges,
              help="With --complete-history: SIMs whose ICCID is in FIRST..LAST count as "
                   "registered elsewhere. Repeatable.")
@click.option("--select", multiple=True, metavar="RULE,...", callback=_rules,
              help="Report only these rules (comma-separated, repeatable; ALL for every rule).")
@click.option("--ignore", multiple=True, metavar="RULE,...", callback=_rules,
              help="Leave these rules out: neither shown nor counted, e.g. "
                   "--ignore orphan-migration-half for a single-workspace export.")
@click.option("-o", "--output", default="-", metavar="FILE",
              help="Write the report to FILE (atomically; gzip-compressed if it ends in .gz) "
                   "instead of standard output. FILE must not be the log itself.")
@click.option("--max-findings", type=click.IntRange(min=0), default=MAX_FINDINGS,
              show_default=True, metavar="N",
              help="Findings listed per rule; past N a rule's findings are counted, not kept "
                   "(memory stays bounded). Counts and the verdict include them all.")
@reading_limits
@click.option("-j", "--jobs", type=click.IntRange(1, MAX_PARTS), default=1, show_default=True,
              help="Replay in N partitions in N local processes; the verdict is the same.")
@click.option("--dask", "dask", metavar="ADDRESS",
              help="Replay the partitions on the Dask cluster whose scheduler is at ADDRESS "
                   "(tcp://host:8786); one partition per worker thread unless --jobs says.")
@click.pass_context
def validate(ctx: click.Context, files: tuple[str, ...], fmt: str, strict: bool,
             complete_history: bool, assumed: tuple[tuple[int, int], ...],
             select: frozenset[str] | None, ignore: frozenset[str] | None, output: str,
             max_findings: int, limits: Limits, jobs: int,
             dask: str | None) -> None:
    tty = sys.stderr is not None and sys.stderr.isatty()
    if len(files) == 1 and jobs == 1 and dask is None and not is_url(files[0]):
        progress = _Progress() if tty else None
        try:
            report = validate_path(files[0], strict=strict, complete_history=complete_history,
                                   assume_registered=assumed, progress=progress,
                                   max_findings=max_findings, limits=limits)
        finally:
            if progress is not None:
                progress.clear()
    else:
        report = validate_paths(files, jobs=jobs, dask=dask, strict=strict,
                                complete_history=complete_history, assume_registered=assumed,
                                max_findings=max_findings, limits=limits,
                                progress=_stage if tty else None)
    if select is not None or ignore is not None:
        report = report.filtered(select, ignore or ())
    color = (output == "-" and fmt == "text" and "NO_COLOR" not in os.environ
             and sys.stdout is not None and sys.stdout.isatty())
    content = render(report, fmt, color=color)
    try:
        with atomic_write(output, "w") as f:
            f.write(content)
    except BrokenPipeError:  # `simlife validate big.log | head`: not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    ctx.exit(EXIT_OK if report.conformant else EXIT_NONCONFORMANT)

"""Partitioned replay in real executors: local processes, a Dask LocalCluster, the ``dask`` CLI.

The property suite (tests/properties/test_partition.py) holds the partitioned verdict equal to
the single process's over many corrupted logs, in this process. Here the same is checked once
per executor on a corrupted fleet cut into shards, through the Python API and the command line,
with the cluster on the loopback interface only.
"""

from __future__ import annotations

import gzip
import json
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from simulator.cli import cli
from simulator.io import InputError
from simulator.partition import InProcess, LocalProcesses, partitioned, validate_paths
from simulator.platform.fleet import generate
from simulator.replay import Report, validate_path
from simulator.testing.mutations import MUTATIONS

# Operators take valid logs; insert-malformed (not an event at all) comes last.
_BROKEN_BY = ["reuse-id", "assign-held-sim", "drop-migration-half", "duplicate-delivery",
              "change-iccid", "drop-status-change", "reuse-iccid", "show-wrong-holder",
              "drop-owed-auto-activation", "move-to-other-workspace", "insert-malformed"]


def _corrupted() -> list[Any]:
    log: list[Any] = list(generate(sims=200, seed=3, workspaces=3))
    rng = random.Random(5)
    for name in _BROKEN_BY:
        broken = MUTATIONS[name].apply(log, rng)
        assert broken is not None, name
        log = broken
    return log


@pytest.fixture(scope="module")
def corrupted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """The corrupted log as one file, and as three shards (one gzipped, one newest first)."""
    folder = tmp_path_factory.mktemp("partition")
    lines = [orjson.dumps(e) for e in _corrupted()]
    whole = folder / "whole.jsonl"
    whole.write_bytes(b"".join(x + b"\n" for x in lines))
    third = len(lines) // 3
    a, b, c = lines[:third], lines[third:2 * third], lines[2 * third:]
    (folder / "day-1.jsonl").write_bytes(b"".join(x + b"\n" for x in a))
    (folder / "day-2.jsonl.gz").write_bytes(gzip.compress(b"".join(x + b"\n" for x in b)))
    (folder / "day-3.jsonl").write_bytes(b"".join(x + b"\n" for x in reversed(c)))
    shards = [str(folder / n) for n in ("day-3.jsonl", "day-1.jsonl", "day-2.jsonl.gz")]
    return whole, shards


def _same(a: Report, b: Report) -> None:
    assert a.to_dict() == b.to_dict()
    assert (a.sims, a.endpoints) == (b.sims, b.endpoints)


def test_the_corrupted_log_has_findings_of_many_rules(corrupted: tuple[Path, list[str]]) -> None:
    report = validate_path(corrupted[0])
    assert len(report.counts_by_rule) >= 8, report.counts_by_rule


def test_local_processes_give_the_single_process_verdict(
        corrupted: tuple[Path, list[str]]) -> None:
    whole, shards = corrupted
    _same(validate_paths([whole], jobs=2), validate_path(whole))
    one = validate_paths(shards)
    assert one.files and all(f.file for f in one.findings if f.line is not None)
    _same(validate_paths(shards, jobs=3), one)


def test_the_plan_balances_and_keeps_groups_whole(corrupted: tuple[Path, list[str]]) -> None:
    whole, _ = corrupted
    executor = LocalProcesses(2)
    try:
        report, layout = partitioned([str(whole)], executor, 2, strict=False,
                                     complete_history=False, assume_registered=(),
                                     piece_size=5000)
    finally:
        executor.close()
    assert sum(layout.events) >= report.events  # every event, and the blank lines
    assert min(layout.events) > 0 and layout.groups > 2
    assert layout.largest <= max(layout.events)
    table = layout.tables[0]
    assert set(table[1:]) == {0, 1}


def test_a_local_dask_cluster_gives_the_single_process_verdict(
        corrupted: tuple[Path, list[str]]) -> None:
    distributed = pytest.importorskip("distributed")
    whole, shards = corrupted
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address="127.0.0.1:0") as cluster:
        address = cluster.scheduler_address
        _same(validate_paths([whole], dask=address), validate_path(whole))
        _same(validate_paths(shards, dask=address, jobs=4), validate_paths(shards))


def _wait_for(path: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists() or not path.read_text().strip():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} did not appear")
        time.sleep(0.1)


def test_the_dask_command_line_cluster(tmp_path: Path, corrupted: tuple[Path, list[str]]) -> None:
    """A scheduler and two workers started with the ``dask`` command, on loopback only."""
    pytest.importorskip("distributed")
    dask = shutil.which("dask", path=str(Path(sys.executable).parent))
    if dask is None:
        pytest.skip("no dask command")
    _, shards = corrupted
    info = tmp_path / "scheduler.json"
    common = ["--no-dashboard"]
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", "0",
                               "--scheduler-file", str(info), *common],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        _wait_for(info, 60)
        address = json.loads(info.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        for _ in range(2):
            procs.append(subprocess.Popen(
                [dask, "worker", address, "--host", "127.0.0.1", "--nthreads", "1", *common],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        from distributed import Client

        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=60)
        result = CliRunner().invoke(cli, ["validate", "--dask", address, "--format", "json",
                                          *shards])
        alone = CliRunner().invoke(cli, ["validate", "--format", "json", *shards])
        assert result.exit_code == alone.exit_code == 1, result.output
        assert json.loads(result.output) == json.loads(alone.output)
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


# --------------------------------------------------------------------------- command line


def test_the_command_line_takes_several_files_and_jobs(corrupted: tuple[Path, list[str]]) -> None:
    whole, shards = corrupted
    runner = CliRunner()
    alone = runner.invoke(cli, ["validate", "--format", "json", str(whole)])
    jobs = runner.invoke(cli, ["validate", "--format", "json", "--jobs", "2", str(whole)])
    assert alone.exit_code == jobs.exit_code == 1
    assert json.loads(alone.output) == json.loads(jobs.output)
    text = runner.invoke(cli, ["validate", *shards])
    assert text.exit_code == 1
    assert "day-1.jsonl line " in text.output and "day-2.jsonl.gz line " in text.output
    data = json.loads(runner.invoke(cli, ["validate", "--format", "json", *shards]).output)
    assert data["files"] == sorted(shards)
    assert {v["file"] for v in data["violations"]} <= {*shards, None}


def test_a_url_is_read_through_fsspec(corrupted: tuple[Path, list[str]]) -> None:
    pytest.importorskip("fsspec")
    whole, _ = corrupted
    url = whole.as_uri()
    single = validate_path(whole).to_dict()
    single.pop("source")
    for jobs in (1, 2):
        report = validate_paths([url], jobs=jobs).to_dict()
        assert report.pop("source") == url
        assert report == single


@pytest.mark.parametrize(("args", "message"), [
    (["--jobs", "0", "x.jsonl"], "--jobs"),
    (["--jobs", "2", "-"], "standard input (-) is read alone"),
    (["a.jsonl", "-"], "standard input (-) is read alone"),
    (["--dask", "tcp://127.0.0.1:9", "x.jsonl"], "--dask tcp://127.0.0.1:9"),
    (["no-such-file.jsonl", "--jobs", "2"], "no-such-file.jsonl: no such file"),
    (["file:///no/such/file.jsonl"], "file:///no/such/file.jsonl: no such file"),
])
def test_usage_errors_exit_2(args: list[str], message: str) -> None:
    pytest.importorskip("distributed")
    result = CliRunner().invoke(cli, ["validate", *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_in_process_partitions_match(corrupted: tuple[Path, list[str]]) -> None:
    whole, shards = corrupted
    for paths, single in (([str(whole)], validate_path(whole)), (shards, validate_paths(shards))):
        report, _ = partitioned(paths, InProcess(), 3, strict=False, complete_history=False,
                                assume_registered=(), piece_size=4000)
        _same(report, single)


def test_shards_of_a_log_give_its_findings(tmp_path: Path,
                                           corrupted: tuple[Path, list[str]]) -> None:
    """Cut in order or dealt out like cards, shards are the log they came from: the same
    findings, each at its file and line there (only messages' line references differ)."""
    whole, _ = corrupted
    lines = whole.read_bytes().splitlines(keepends=True)
    whole_report = validate_path(whole)
    expected = sorted((f.rule, f.event_id) for f in whole_report.findings)
    for name, parts in (("cut", [lines[:500], lines[500:]]), ("dealt", [lines[0::2], lines[1::2]])):
        paths = []
        for k, part in enumerate(parts):
            path = tmp_path / f"{name}-{k}.jsonl"
            path.write_bytes(b"".join(part))
            paths.append(str(path))
        report = validate_paths(paths)
        assert report.events == whole_report.events
        assert sorted((f.rule, f.event_id) for f in report.findings) == expected, name
        for f in report.findings:
            if f.line is not None:
                assert f.file in paths
                text = Path(f.file).read_bytes().splitlines()[f.line - 1]
                if f.event_id is not None and text.startswith(b"{"):
                    assert orjson.loads(text).get("id") == f.event_id


def test_bytes_that_are_not_utf8_in_a_detail_fail_as_in_one_process(tmp_path: Path) -> None:
    """msgspec keeps ``detail`` raw, so the first pass meets invalid UTF-8 there before the
    reader does: it must leave the line to replay, which names the file and line (exit 2)."""
    lines = [orjson.dumps(e) for e in generate(sims=40, seed=2)]
    k = next(i for i, line in enumerate(lines)
             if i > len(lines) // 2 and b'"sim_model":{"id":' in line)
    lines[k] = lines[k].replace(b'"sim_model":{"id":', b'"sim_model":{"x":"a\xc3","id":', 1)
    path = tmp_path / "log.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    wanted = f"{path}: binary data (invalid UTF-8) on line {k + 1}"
    single = CliRunner().invoke(cli, ["validate", str(path)])
    assert (single.exit_code, single.output.strip()) == (2, f"simlife: error: {wanted}")
    for executor in (InProcess(), LocalProcesses(2)):
        with pytest.raises(InputError, match=re.escape(wanted)):
            partitioned([str(path)], executor, 2, strict=False, complete_history=False,
                        assume_registered=(), piece_size=4000)
        executor.close()


def test_ids_of_both_kinds_repeated_in_one_group(tmp_path: Path) -> None:
    """Ids over 64 bits are named apart (``odd-id``) from the others, so a group that holds a
    repeated id of each kind (joined here by one registration range) is planned, not a
    TypeError from comparing an int with a tuple."""
    registration = next(e for e in generate(sims=3, seed=1) if e["event_type"]["id"] == 48)
    lines = []
    for eid in (7, 2**70):
        batch = {k: v for k, v in registration.items() if k != "sim"}  # about its range only
        bare = {k: v for k, v in batch.items() if k != "detail"}  # about nothing
        lines += [json.dumps({**batch, "id": eid}).encode(),  # orjson stops at 64 bits
                  json.dumps({**bare, "id": eid}).encode()]
    path = tmp_path / "log.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    report, _ = partitioned([str(path)], InProcess(), 2, strict=False, complete_history=False,
                            assume_registered=())
    _same(report, validate_path(path))
    assert report.counts_by_rule["duplicate-event-id"] >= 1

"""A log too big for one process: partitioned replay, locally or on a Dask cluster.

``validate_paths`` validates a log of one or several files (shards of one stream) in one process,
in N local processes (``jobs``) or on a running Dask cluster (``dask``), and gives the verdict one
process gives: the same findings, in the same order, the same counts. A cheap first pass finds
which SIMs, endpoints and registrations depend on each other (``simulator.replay.LinkScan``);
each group's events go to one partition; each partition is replayed in time order; what spans
partitions is settled when their results are combined.
"""

from simulator.partition.plan import Plan, plan
from simulator.partition.run import (
    DaskCluster,
    Executor,
    InProcess,
    LocalProcesses,
    partitioned,
    validate_paths,
)
from simulator.partition.tasks import MAX_PARTS, Part, PartResult, replay_part, scan_chunk

__all__ = [
    "MAX_PARTS",
    "DaskCluster",
    "Executor",
    "InProcess",
    "LocalProcesses",
    "Part",
    "PartResult",
    "Plan",
    "partitioned",
    "plan",
    "replay_part",
    "scan_chunk",
    "validate_paths",
]

"""``POST /api/v1/sim/migration/workspace``: check a migration, answer what it would do, and
(only when ``dry_run`` is false) carry it out on the simulated platform.

The checks run before the platform is asked, because a dry run must answer without emitting: at
most 500 SIMs, a known target workspace other than the caller's, every SIM in the caller's
workspace and not deleted, statuses within ``allowed_sim_statuses``, and no SIM held by a
device unless ``auto_detach_devices`` (409, error code 1502). The platform refuses on its own
too; its refusal is passed on unchanged.
"""

from __future__ import annotations

from typing import Any

from lifecycle.codes import SimStatus, luhn_digit
from simulator.serve.auth import Principal
from simulator.serve.models import MigrationRequest
from simulator.serve.world import World

MAX_SIMS = 500
ATTACHED = 1502


class MigrationRefused(Exception):
    def __init__(self, status: int, message: str, error_code: int | None,
                 errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.http_status = status
        self.message = message
        self.error_code = error_code
        self.errors = errors


def _selected(req: MigrationRequest) -> int:
    return sum(x is not None for x in (req.sims, req.iccids, req.iccid_range))


def _resolve(platform: Any, workspace: int, req: MigrationRequest) -> tuple[list[int], list[str]]:
    """The SIM ids the request names, and the names that match no SIM of the workspace."""
    mine = {sid: rec for sid, rec in platform.sims.items() if rec.workspace == workspace}
    if req.sims is not None:
        ids = [ref.id for ref in req.sims]
        return ids, [f"SIM with id {i} not found" for i in ids if i not in mine]
    by_iccid = {str(rec.iccid)[:19]: sid for sid, rec in mine.items()}
    if req.iccids is not None:
        found, missing = [], []
        for iccid in req.iccids:
            sid = by_iccid.get(iccid[:19])
            if sid is None:
                missing.append(f"SIM with iccid {iccid[:40]} not found")
            else:
                found.append(sid)
        return found, missing
    assert req.iccid_range is not None
    low, high = int(req.iccid_range.start[:19]), int(req.iccid_range.end[:19])
    if high < low:
        raise MigrationRefused(422, "iccid_range: end must not be below start", 1400)
    return sorted(sid for iccid, sid in by_iccid.items() if low <= int(iccid) <= high), []


def migrate(world: World, who: Principal, req: MigrationRequest) -> dict[str, Any]:
    """The answer of the migration endpoint; raises MigrationRefused or platform.Refused."""
    if _selected(req) != 1:
        raise MigrationRefused(422, "give exactly one of sims, iccids and iccid_range", 1400)
    named = len(req.sims or req.iccids or ())
    if named > MAX_SIMS:
        raise MigrationRefused(422, f"at most {MAX_SIMS} SIMs per migration, not {named}", 1400)
    target = req.target_workspace.id
    if target not in world.workspaces:
        raise MigrationRefused(422, f"Invalid reference to workspace with id {target}", 1401)
    if target == who.workspace:
        raise MigrationRefused(422, "the target workspace is the source workspace", 1406)
    allowed = ({ref.id for ref in req.allowed_sim_statuses}
               if req.allowed_sim_statuses is not None else None)
    with world.lock, world.inspect() as platform:  # checks and change under one lock hold
        ids, missing = _resolve(platform, who.workspace, req)
        if len(ids) > MAX_SIMS:
            raise MigrationRefused(422, f"at most {MAX_SIMS} SIMs per migration, "
                                   f"not {len(ids)}", 1400)
        if not ids and not missing:
            raise MigrationRefused(422, "no SIM to migrate", 1400)
        problems = [{"error_code": 1201, "error_token": "NotFound", "message": m}
                    for m in missing]
        sims: list[dict[str, Any]] = []
        attached: list[int] = []
        for sid in dict.fromkeys(ids):
            record = platform.sims.get(sid)
            if record is None or record.workspace != who.workspace:
                continue
            status = SimStatus(int(record.status))
            if status is SimStatus.DELETED:
                problems.append({"error_code": 1406, "error_token": "NotAllowed",
                                 "message": f"SIM {sid} is deleted"})
            elif allowed is not None and int(status) not in allowed:
                problems.append({"error_code": 1406, "error_token": "NotAllowed",
                                 "message": f"SIM {sid} is {status.label}, not an allowed "
                                 "status"})
            if record.endpoint is not None:
                attached.append(sid)
            iccid = str(record.iccid)
            sims.append({
                "id": sid,
                "iccid": iccid[:19],
                "iccid_with_luhn": iccid if len(iccid) == 20 else iccid + luhn_digit(iccid),
                "status": {"id": int(status), "description": status.label},
                "suspend": status is SimStatus.ACTIVATED,
                "detach_from_endpoint": record.endpoint,
            })
        if problems:
            raise MigrationRefused(422, "one or more SIMs cannot be migrated", 1400, problems)
        if attached and not req.auto_detach_devices:
            raise MigrationRefused(
                409, "SIM(s) " + ", ".join(map(str, attached)) + " are attached to devices: "
                "set auto_detach_devices to detach them", ATTACHED)
        answer: dict[str, Any] = {
            "dry_run": req.dry_run,
            "target_workspace": {"id": target},
            "auto_detach_devices": req.auto_detach_devices,
            "sims": sims,
        }
        if req.allowed_sim_statuses is not None:
            answer["allowed_sim_statuses"] = [{"id": s} for s in sorted(allowed or ())]
        if not req.dry_run:
            with world.change(who.user) as live:
                live.migrate([s["id"] for s in sims], target_workspace=target,
                             auto_detach_devices=req.auto_detach_devices)
    return answer

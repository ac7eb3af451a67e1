"""What a test harness needs to drive a running stand-in, as JSON (``simlife serve --describe
FILE``, the ``simlife_server`` fixture): where it listens, each workspace's application token
and user, and the batches waiting to be registered by BIC."""

from __future__ import annotations

from typing import Any

from simulator.serve.auth import Credentials
from simulator.serve.world import World


def describe(world: World, credentials: Credentials, base_url: str) -> dict[str, Any]:
    """``{"base_url", "workspaces": [{"id", "name", "application_token", "user": {"username",
    "password"}}], "unregistered_batches": [{"bic", "size", "workspace"}]}``.

    ``password`` is the user's password in clear: ``POST /api/v1/authenticate`` takes its
    SHA-1 hex, as the platform does. A workspace without an account (a recorded log) has
    ``"user": null``.
    """
    users = {user.workspace: user for user in credentials.users}
    with world.lock:
        workspaces = dict(world.workspaces)
        order = {ident: n for n, ident in enumerate(workspaces)}
        pending = sorted(world.ledger.pending.values(),  # stable: delivery order within one
                         key=lambda b: order.get(b.workspace, len(order)))
    return {
        "base_url": base_url,
        "workspaces": [
            {
                "id": ident,
                "name": name,
                "application_token": credentials.tokens[ident],
                "user": None if ident not in users else {
                    "username": users[ident].username, "password": users[ident].password},
            }
            for ident, name in workspaces.items() if ident in credentials.tokens
        ],
        "unregistered_batches": [
            {"bic": batch.bic, "size": batch.size, "workspace": batch.workspace}
            for batch in pending
        ],
    }

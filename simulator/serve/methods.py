"""Which methods a path takes, across every route that matches it (for ``Allow``).

Starlette answers a method it has no route for with the ``Allow`` of the first route that
matched the path, so ``GET`` and ``PATCH /api/v1/sim/{id}`` (two routes) would each hide the
other. This looks at all of them: the routes of the routers the app was built from
(``app.state.routes``), since an app does not list an included router's routes in every
FastAPI version.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from starlette.routing import Match


def allowed_methods(app: Any, scope: MutableMapping[str, Any]) -> list[str]:
    """The methods of every route whose path matches ``scope`` (with OPTIONS), sorted; empty
    when no route matches the path."""
    methods: set[str] = set()
    for route in getattr(app.state, "routes", ()):
        route_methods = getattr(route, "methods", None)
        if not route_methods:
            continue
        match, _ = route.matches(dict(scope, type="http", method=next(iter(route_methods))))
        if match is Match.FULL:
            methods |= set(route_methods)
    if methods:
        methods.add("OPTIONS")
    return sorted(methods)

"""A package face whose names are imported when first read (PEP 562).

``import simulator`` runs for every ``simulator.*`` import, the pytest plugin's included, which
loads in every pytest run of an environment that has simlife: its face must cost nothing until a
name is used, and must not need hypothesis unless a strategy is asked for.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy(namespace: dict[str, Any], where: Mapping[str, str]
         ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for a package whose name ``n`` lives in ``where[n]``."""

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {namespace['__name__']!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value  # once imported, a plain attribute
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(where))

    return __getattr__, __dir__

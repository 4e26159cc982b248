"""Names a package exports, imported on first use (PEP 562 module ``__getattr__``).

A package's ``__init__`` runs before any of its submodules: a light submodule (the feature
catalog, the policy's names) must not pay for the heavy ones its package re-exports (Ibis,
the policy loader), or every command's ``--help`` would (issue 19 item 7).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_exports(
    package: str, namespace: dict[str, Any], names: dict[str, str]
) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package`` that imports ``names`` (name → module) on
    first use and keeps them in ``namespace`` (the package's globals)."""

    def __getattr__(name: str) -> Any:
        if name in names:
            value = getattr(importlib.import_module(names[name]), name)
            namespace[name] = value
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__

"""Per-customer features as of a date (R-FEA-1..8), written once as Ibis expressions.

The names are imported on first use (PEP 562): importing ``tierwise.features.catalog`` (the
policy checker and the explanations read it) must not load Ibis (issue 19 item 7).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tierwise.lazy import lazy_exports

if TYPE_CHECKING:
    from tierwise.features.build import build_features, groups_for
    from tierwise.features.catalog import CATALOG, FEATURES, Feature

__all__ = ["CATALOG", "FEATURES", "Feature", "build_features", "groups_for"]

_LAZY = {
    "build_features": "tierwise.features.build",
    "groups_for": "tierwise.features.build",
    "CATALOG": "tierwise.features.catalog",
    "FEATURES": "tierwise.features.catalog",
    "Feature": "tierwise.features.catalog",
}

__getattr__ = lazy_exports(__name__, globals(), _LAZY)

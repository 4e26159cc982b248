"""The forecast hierarchy (R-OPS-9): total → category → SKU, crossed with warehouse and tier;
the bottom is SKU × warehouse × tier. Built with hierarchicalforecast's ``aggregate``.

``Y`` (grain unique_id × ds): unique_id (the level's column values joined by "/"), ds, y,
amount. ``S``: the summing matrix (one row per series, one column per bottom series).
``tags``: level name → the unique_ids of that level (names below, in this order).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

# level name → the columns of the demand table it is summed over ("total" is a constant)
LEVELS: dict[str, list[str]] = {
    "total": ["total"],
    "category": ["total", "category"],
    "tier": ["total", "tier"],
    "warehouse": ["total", "warehouse_id"],
    "category_tier": ["total", "category", "tier"],
    "sku": ["total", "category", "sku"],
    "sku_warehouse_tier": ["total", "category", "sku", "warehouse_id", "tier"],
}
BOTTOM = "sku_warehouse_tier"


def build(demand: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """``(Y, S, tags)`` of the ``demand`` table (see :mod:`.series`)."""
    from hierarchicalforecast.utils import aggregate

    df = demand.assign(total="total")
    y, s, raw = aggregate(df, list(LEVELS.values()), target_cols=("y", "amount"))
    names = {"/".join(cols): name for name, cols in LEVELS.items()}
    tags = {names[k]: v for k, v in raw.items()}
    return y.reset_index(drop=True), s, tags


def level_of(tags: dict[str, Any]) -> dict[str, str]:
    """unique_id → its level name."""
    return {uid: name for name, ids in tags.items() for uid in ids}

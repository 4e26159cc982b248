"""Sharing out short stock (R-OPS-9): higher tiers first, within a fairness floor.

For each SKU × warehouse, the day's order lines (order_id, customer_id, tier, sku,
warehouse_id, quantity, order_time) against the stock on hand:

1. if the stock covers every line, every line is served in full;
2. otherwise every line first gets ``floor`` × its quantity (the fairness floor; pro rata
   when the stock does not even cover the floors), so no tier is left with nothing;
3. what is left goes to the lines by tier (highest first), then by order time.

``allocations`` (one row per line): the line's columns, allocated, short, reason.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tierwise.ops.supply.policy import SupplyPolicy


def allocate(lines: pd.DataFrame, stock: pd.DataFrame, policy: SupplyPolicy) -> pd.DataFrame:
    """Allocate ``stock`` (sku, warehouse_id, on_hand) to the day's ``lines``."""
    floor = policy.allocation.fairness_floor
    rank = {t: i for i, t in enumerate(policy.tiers)}
    low = len(rank)
    have = stock.set_index(["sku", "warehouse_id"])["on_hand"].clip(lower=0.0)
    out = []
    for (sku, wh), g in lines.groupby(["sku", "warehouse_id"], sort=True):
        avail = float(have.get((sku, wh), 0.0))
        g = g.assign(_r=g["tier"].map(rank).fillna(low)).sort_values(["_r", "order_time"])
        need = g["quantity"].astype(float).to_numpy()
        tiers = [str(t) for t in g["tier"]]
        alloc, reasons = _share(avail, need, tiers, floor)
        g = g.assign(allocated=alloc, reason=reasons)
        g["short"] = g["quantity"].astype(float) - g["allocated"]
        out.append(g.drop(columns="_r"))
    if not out:
        return lines.assign(allocated=0.0, short=0.0, reason="")
    return pd.concat(out, ignore_index=True)


def _share(
    avail: float, need: np.ndarray, tiers: list[str], floor: float
) -> tuple[np.ndarray, list[str]]:
    """Allocation of ``avail`` to lines needing ``need`` (already in priority order)."""
    total = float(need.sum())
    if avail >= total:
        return need.copy(), ["in stock: served in full"] * len(need)
    floors = need * floor
    if avail <= floors.sum():
        share = avail / floors.sum() if floors.sum() > 0 else 0.0
        why = f"short: {avail:g} for a fairness floor of {floors.sum():g}, shared pro rata"
        return floors * share, [why] * len(need)
    alloc = floors.copy()
    left = avail - float(floors.sum())
    reasons = []
    for i, q in enumerate(need):
        extra = min(float(q - alloc[i]), left)
        alloc[i] += extra
        left -= extra
        if alloc[i] >= q - 1e-9:
            reasons.append(f"short: served in full by tier priority ({tiers[i]})")
        else:
            reasons.append(f"short: higher tiers served first; {floor:.0%} fairness floor kept")
    return alloc, reasons

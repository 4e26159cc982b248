"""Inventory levels by tier and the daily replenishment proposal (R-OPS-9).

Stock of a SKU in a warehouse is shared by every tier, and short stock is served to the
higher tiers first (:mod:`.allocate`). So tier k is served in full when the stock covers the
demand of tier k and every tier above it. With review period R (days between orders of the
SKU, by category) and lead time L (the SKU's), over the cover T = L + R:

    S_k   = μ_k·T + z_k·σ_k·√T        ROP_k = μ_k·L + z_k·σ_k·√L

where μ_k, σ_k² are the summed daily forecast mean and error variance of the tiers from the
highest down to k (weekly figures / 7; errors taken independent across tiers) and z_k the
normal quantile of tier k's service level. Order-up-to = max_k S_k, reorder point =
max_k ROP_k; the tier that sets the order-up-to level is named (``binding_tier``);
safety_stock = order-up-to − μ_all·T.

``levels`` (grain sku × warehouse_id): category, supplier, lead_time_days, review_days,
mean_daily, safety_stock, reorder_point, order_up_to, binding_tier.
``flagged``: sku, warehouse_id, reason — SKUs left out (no lead time).
``proposal`` (one row per order line): po_id, supplier, warehouse_id, sku, quantity,
unit_cost, amount, order_date, expected_date, reason.
"""

from __future__ import annotations

import datetime as dt
from statistics import NormalDist

import numpy as np
import pandas as pd

from tierwise.ops.supply.policy import SupplyPolicy

LEVEL_COLUMNS = [
    "sku", "warehouse_id", "category", "supplier", "lead_time_days", "review_days",
    "mean_daily", "safety_stock", "reorder_point", "order_up_to", "binding_tier",
]  # fmt: skip


def levels(
    tier_demand: pd.DataFrame, products: pd.DataFrame, policy: SupplyPolicy
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(levels, flagged)`` from ``tier_demand`` (sku, warehouse_id, tier, mean_week,
    sigma_week: the forecast mean and error per week) and the catalogue ``products``."""
    prod = products.set_index("sku")
    lead = pd.to_numeric(prod["lead_time_days"], errors="coerce")
    td = tier_demand[tier_demand["tier"].isin(policy.tiers)]
    pairs = td.loc[:, ["sku", "warehouse_id"]].drop_duplicates()
    lt = pairs["sku"].map(lead)
    no_lead = lt.isna() | (lt <= 0)
    flagged = pairs[no_lead].assign(
        reason="no lead time (products.lead_time_days empty or not positive): left out of "
        "the proposal until the catalogue has one"
    )
    ok = set(map(tuple, pairs.loc[~no_lead, ["sku", "warehouse_id"]].to_numpy()))
    rank = {t: i for i, t in enumerate(policy.tiers)}
    z = {t: NormalDist().inv_cdf(sl) for t, sl in policy.service_levels.items()}
    rows = []
    for (sku, wh), g in td.groupby(["sku", "warehouse_id"], sort=True):
        if (sku, wh) not in ok:
            continue
        g = g.assign(r=g["tier"].map(rank)).sort_values("r")
        mu = np.cumsum(g["mean_week"].to_numpy() / 7.0)
        var = np.cumsum((g["sigma_week"].to_numpy() ** 2) / 7.0)
        zs = np.array([z[t] for t in g["tier"]])
        cat = str(prod.at[sku, "category"])
        lead_days = float(lead.loc[str(sku)])
        review = policy.review(cat)
        cover = lead_days + review
        s_k = mu * cover + zs * np.sqrt(var * cover)
        rop_k = mu * lead_days + zs * np.sqrt(var * lead_days)
        k = int(np.argmax(s_k))
        out = float(max(s_k[k], 0.0))
        rows.append(
            {
                "sku": sku, "warehouse_id": wh, "category": cat,
                "supplier": prod.at[sku, "supplier"], "lead_time_days": int(lead_days),
                "review_days": review, "mean_daily": float(mu[-1]),
                "safety_stock": max(out - float(mu[-1]) * cover, 0.0),
                "reorder_point": float(max(rop_k.max(), 0.0)), "order_up_to": out,
                "binding_tier": str(g["tier"].iloc[k]),
            }
        )  # fmt: skip
    return pd.DataFrame(rows, columns=LEVEL_COLUMNS), flagged.reset_index(drop=True)


def proposal(
    lv: pd.DataFrame, positions: pd.DataFrame, products: pd.DataFrame, *, as_of: dt.date
) -> pd.DataFrame:
    """Purchase order lines for ``as_of``: every SKU × warehouse whose position (on hand +
    on order) is at or below its reorder point is ordered up to its order-up-to level (whole
    units); the lines of one supplier and warehouse share a purchase order number."""
    m = lv.merge(positions.loc[:, ["sku", "warehouse_id", "position"]], on=["sku", "warehouse_id"])
    m = m[(m["position"] <= m["reorder_point"]) & (m["order_up_to"] > m["position"])].copy()
    m["quantity"] = np.ceil(m["order_up_to"] - m["position"] - 1e-9).astype(float)
    m = m[m["quantity"] > 0]
    cols = [
        "po_id", "supplier", "warehouse_id", "sku", "quantity", "unit_cost", "amount",
        "order_date", "expected_date", "reason",
    ]  # fmt: skip
    if m.empty:
        return pd.DataFrame(columns=cols)
    cost = products.set_index("sku")["unit_cost"].astype(float)
    m["unit_cost"] = m["sku"].map(cost)
    m["amount"] = (m["quantity"] * m["unit_cost"]).round(2)
    m["order_date"] = as_of
    m["expected_date"] = [as_of + dt.timedelta(days=int(d)) for d in m["lead_time_days"]]
    m["reason"] = [
        f"position {p:g} ≤ reorder point {r:.1f}; up to {u:.1f} ({t} service level)"
        for p, r, u, t in zip(
            m["position"], m["reorder_point"], m["order_up_to"], m["binding_tier"], strict=True
        )
    ]
    m = m.sort_values(["supplier", "warehouse_id", "sku"]).reset_index(drop=True)
    po_no = m.groupby(["supplier", "warehouse_id"], sort=False).ngroup() + 1
    m["po_id"] = [f"RP{as_of:%Y%m%d}{n:04d}" for n in po_no]
    return m.loc[:, cols]

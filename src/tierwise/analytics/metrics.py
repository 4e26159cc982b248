"""Evaluation metrics per tier of a run (R-ANA-6).

For each tier the run computed: customers and their share, and, over the run's own lookback
window ending at its as_of, the feature catalog's measures aggregated over the tier:

- ``repurchase_rate``: the mean of the customers' ``repurchase_rate`` feature (复购率);
- ``avg_order_value``: ``sum(spend_lookback) / sum(orders_lookback)`` (客单价: the
  catalog's definition applied to the tier as one buyer);
- ``arpu``: ``sum(spend_lookback) / customers`` (spend per customer);
- ``return_rate``: ``sum(return_amount) / sum(spend_lookback)`` (退货率);
- ``complaint_rate``: ``sum(complaints_lookback) / sum(orders_lookback)`` (投诉率).

A ratio whose denominator is 0 is ``None`` (nothing to divide), not 0.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from tierwise.features.build import build_features
from tierwise.features.context import Entity

#: the catalog features the metrics read (docs/features.md)
FEATURES = (
    "orders_lookback",
    "spend_lookback",
    "repurchase_rate",
    "return_amount",
    "complaints_lookback",
)


@dataclass(frozen=True)
class TierMetrics:
    """One tier's row."""

    tier: str | None
    customers: int
    share: float
    orders: int
    spend: float
    repurchase_rate: float | None
    avg_order_value: float | None
    arpu: float | None
    return_rate: float | None
    complaint_rate: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _ratio(num: float, den: float) -> float | None:
    return None if den == 0 else num / den


def tier_metrics(
    tables: dict[str, ir.Table],
    assigned: pa.Table,
    as_of: dt.date,
    *,
    lookback_days: int = 365,
    entity: Entity = "outlet",
    ranks: dict[str, int] | None = None,
) -> list[TierMetrics]:
    """Metrics per tier of the entities in ``assigned`` (``entity_id, tier``).

    Tiers come out in rank order (``ranks``: tier → 0 for the top tier), then by code.
    """
    feats = build_features(
        tables, as_of, lookback_days=lookback_days, entity=entity, names=FEATURES
    )
    a = ibis.memtable(assigned.select(["entity_id", "tier"]))
    j = a.left_join(feats, "entity_id")
    agg = j.group_by("tier").agg(
        customers=j.count(),
        orders=j.orders_lookback.fill_null(0).sum(),
        spend=j.spend_lookback.fill_null(0).sum(),
        repurchase=j.repurchase_rate.fill_null(0).mean(),
        returned=j.return_amount.fill_null(0).sum(),
        complaints=j.complaints_lookback.fill_null(0).sum(),
    )
    rows = agg.to_pyarrow().to_pylist()
    total = sum(int(r["customers"]) for r in rows)
    order = ranks or {}
    rows.sort(key=lambda r: (order.get(r["tier"], len(order)), str(r["tier"])))
    out = []
    for r in rows:
        n, orders, spend = int(r["customers"]), int(r["orders"] or 0), float(r["spend"] or 0)
        out.append(
            TierMetrics(
                tier=r["tier"],
                customers=n,
                share=n / total if total else 0.0,
                orders=orders,
                spend=spend,
                repurchase_rate=None if r["repurchase"] is None else float(r["repurchase"]),
                avg_order_value=_ratio(spend, orders),
                arpu=_ratio(spend, n),
                return_rate=_ratio(float(r["returned"] or 0), spend),
                complaint_rate=_ratio(float(r["complaints"] or 0), orders),
            )
        )
    return out

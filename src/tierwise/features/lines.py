"""Order-line features: gross margin (R-GRD-2 profit goal) and category shares (R-FEA-7)."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from tierwise.features.catalog import CATEGORY_KEYS
from tierwise.features.context import Context


def line_features(ctx: Context) -> ir.Table:
    """Group ``lines``: one row per entity with margin and the share of each category."""
    o = ctx.events("orders", "order_time")
    o = o.filter(o.order_time >= ctx.ts_start(ctx.lookback_days)).select("order_id", "entity_id")
    lines = ctx.tables["order_lines"]
    j = lines.join(o, "order_id")
    amt, cost = j.amount.cast("float64"), j.cost.cast("float64")
    sums = {f"amt_{key}": amt.sum(where=j.category == zh) for zh, key in CATEGORY_KEYS.items()}
    agg = j.group_by("entity_id").agg(line_amount=amt.sum(), line_cost=cost.sum(), **sums)
    total = agg.line_amount
    shares = {
        f"share_{key}": ibis.ifelse(total > 0, agg[f"amt_{key}"].fill_null(0) / total, 0.0)
        for key in CATEGORY_KEYS.values()
    }
    top = ibis.greatest(*[agg[f"amt_{k}"].fill_null(0) for k in CATEGORY_KEYS.values()])
    cases = [(agg[f"amt_{k}"].fill_null(0) == top, k) for k in CATEGORY_KEYS.values()]
    return agg.select(
        "entity_id",
        gross_margin_lookback=total - agg.line_cost,
        gross_margin_rate=ibis.ifelse(total > 0, (total - agg.line_cost) / total, 0.0),
        top_category=ibis.ifelse(total > 0, ibis.cases(*cases), ibis.null("string")),
        **shares,
    )

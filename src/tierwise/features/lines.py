"""Order-line features: gross margin (R-GRD-2 profit goal) and category shares (R-FEA-7)."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from tierwise.features.catalog import CATEGORY_KEYS
from tierwise.features.context import Context


def line_features(ctx: Context) -> ir.Table:
    """Group ``lines``: one row per entity with margin and category shares (those wanted)."""
    o = ctx.events("orders", "order_time")
    o = o.filter(o.order_time >= ctx.ts_start(ctx.lookback_days)).select("order_id", "entity_id")
    lines = ctx.tables["order_lines"]
    j = lines.join(o, "order_id")
    amt, cost = j.amount.cast("float64"), j.cost.cast("float64")
    every_cat = ctx.wants("top_category")
    cats = {zh: k for zh, k in CATEGORY_KEYS.items() if every_cat or ctx.wants(f"share_{k}")}
    margin = ctx.wants("gross_margin_lookback", "gross_margin_rate")
    aggs: dict[str, ir.Value] = {"line_amount": amt.sum()}
    if margin:
        aggs["line_cost"] = cost.sum()
    aggs |= {f"amt_{key}": amt.sum(where=j.category == zh) for zh, key in cats.items()}
    agg = j.group_by("entity_id").agg(**aggs)
    total = agg.line_amount
    out: dict[str, ir.Value] = {}
    if margin:
        out["gross_margin_lookback"] = total - agg.line_cost
        out["gross_margin_rate"] = ibis.ifelse(total > 0, (total - agg.line_cost) / total, 0.0)
    for key in cats.values():
        out[f"share_{key}"] = ibis.ifelse(total > 0, agg[f"amt_{key}"].fill_null(0) / total, 0.0)
    if every_cat:
        top = ibis.greatest(*[agg[f"amt_{k}"].fill_null(0) for k in CATEGORY_KEYS.values()])
        cases = [(agg[f"amt_{k}"].fill_null(0) == top, k) for k in CATEGORY_KEYS.values()]
        out["top_category"] = ibis.ifelse(total > 0, ibis.cases(*cases), ibis.null("string"))
    return agg.select("entity_id", **{k: v for k, v in out.items() if ctx.wants(k)})

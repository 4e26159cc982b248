"""Purchase-behaviour features (R-FEA-1): recency, windows, frequency, AOV, repurchase, gaps."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from tierwise.features.context import Context, days_between

MONTH_DAYS = 30.4375
MIN_OBSERVED_DAYS = 30


# the aggregates each feature reads (features not listed read nothing extra)
_AGGS: dict[str, tuple[str, ...]] = {
    "recency_days": ("last_day",),
    "days_since_last_order": ("last_day",),
    "days_since_first_order": ("first_day",),
    "orders_30d": ("orders_30d",),
    "orders_90d": ("orders_90d",),
    "orders_365d": ("orders_365d",),
    "orders_lookback": ("orders_lookback",),
    "spend_30d": ("spend_30d",),
    "spend_90d": ("spend_90d",),
    "spend_365d": ("spend_365d",),
    "spend_lookback": ("spend_lookback",),
    "orders_per_week": ("orders_lookback", "first_day"),
    "orders_per_month": ("orders_lookback", "first_day"),
    "orders_per_quarter": ("orders_lookback", "first_day"),
    "avg_order_value": ("orders_lookback", "spend_lookback"),
    "repurchase_rate": ("months_with_orders", "first_day"),
    "spend_growth": ("spend_90d", "spend_prev_90d"),
}


def order_features(ctx: Context) -> ir.Table:
    """Group ``orders``: one row per entity with recency, window counts and spend, frequency
    rates, average order value, repurchase rate and spend growth (only those wanted)."""
    o = ctx.events("orders", "order_time")
    ts, amt = o.order_time, o.amount.cast("float64")
    lb = ctx.lookback_days
    in_lb = ts >= ctx.ts_start(lb)
    in90 = ts >= ctx.ts_start(90)
    every: dict[str, ir.Value] = {
        "last_day": ts.max().date(),
        "first_day": ts.min().date(),
        "orders_30d": o.count(where=ts >= ctx.ts_start(30)),
        "orders_90d": o.count(where=in90),
        "orders_365d": o.count(where=ts >= ctx.ts_start(365)),
        "orders_lookback": o.count(where=in_lb),
        "spend_30d": amt.sum(where=ts >= ctx.ts_start(30)),
        "spend_90d": amt.sum(where=in90),
        "spend_prev_90d": amt.sum(where=(ts >= ctx.ts_start(180)) & ~in90),
        "spend_365d": amt.sum(where=ts >= ctx.ts_start(365)),
        "spend_lookback": amt.sum(where=in_lb),
        "months_with_orders": ts.truncate("M").nunique(where=in_lb),
    }
    wanted = [f for f in _AGGS if ctx.wants(f)]
    needed = {a for f in wanted for a in _AGGS[f]}
    agg = o.group_by("entity_id").agg(**{k: v for k, v in every.items() if k in needed})
    a = ctx.as_of_lit
    out: dict[str, ir.Value] = {}
    if "last_day" in needed:
        out["recency_days"] = out["days_since_last_order"] = days_between(a, agg.last_day)
    if "first_day" in needed:
        out["days_since_first_order"] = since_first = days_between(a, agg.first_day)
    for k in ("orders_30d", "orders_90d", "orders_365d", "orders_lookback"):
        if k in needed:
            out[k] = agg[k]
    for k in ("spend_30d", "spend_90d", "spend_365d", "spend_lookback"):
        if k in needed:
            out[k] = agg[k].fill_null(0)
    if ctx.wants("orders_per_week", "orders_per_month", "orders_per_quarter"):
        observed = ibis.greatest(ibis.least(since_first + 1, lb), MIN_OBSERVED_DAYS)
        per_day = agg.orders_lookback.cast("float64") / observed.cast("float64")
        out["orders_per_week"] = per_day * 7
        out["orders_per_month"] = per_day * MONTH_DAYS
        out["orders_per_quarter"] = per_day * MONTH_DAYS * 3
    if ctx.wants("avg_order_value"):
        n = agg.orders_lookback.cast("float64")
        out["avg_order_value"] = ibis.ifelse(n > 0, agg.spend_lookback / n, 0.0)
    if ctx.wants("repurchase_rate"):
        start = ibis.greatest(agg.first_day, ibis.literal(ctx.day_start(lb)))
        span = (ctx.as_of.year * 12 + ctx.as_of.month) - (start.year() * 12 + start.month()) + 1
        out["repurchase_rate"] = ibis.ifelse(
            agg.months_with_orders > 0, agg.months_with_orders / span.cast("float64"), 0.0
        )
    if ctx.wants("spend_growth"):
        s90, p90 = agg.spend_90d.fill_null(0), agg.spend_prev_90d.fill_null(0)
        out["spend_growth"] = ibis.ifelse(s90 + p90 > 0, (s90 - p90) / (s90 + p90), 0.0)
    keep = {k: v for k, v in out.items() if ctx.wants(k)}
    return agg.select("entity_id", **keep)


def gap_features(ctx: Context) -> ir.Table:
    """Group ``gaps``: median days between consecutive order days in the lookback.

    The orders' days are sorted per entity without removing repeated days first: in a
    sorted run of days, the non-zero differences between neighbours are exactly the gaps
    between consecutive distinct days, so the median of the positive differences is the
    median gap (a DISTINCT over every order day would cost a hash aggregate more).
    """
    o = ctx.events("orders", "order_time")
    o = o.filter(o.order_time >= ctx.ts_start(ctx.lookback_days))
    days = o.select("entity_id", day=o.order_time.date())
    w = ibis.window(group_by=days.entity_id, order_by=days.day)
    gaps = days.mutate(gap=days_between(days.day, days.day.lag().over(w)))
    # ``median(where=...)`` would be shorter, but Ibis compiles it for Spark into a
    # percentile whose percentage is not a constant, which Spark rejects: null the zeros
    positive = ibis.ifelse(gaps.gap > 0, gaps.gap.cast("float64"), ibis.null("float64"))
    return gaps.group_by("entity_id").agg(median_order_gap_days=positive.median())

"""Purchase-behaviour features (R-FEA-1): recency, windows, frequency, AOV, repurchase, gaps."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from tierwise.features.context import Context, days_between

MONTH_DAYS = 30.4375
MIN_OBSERVED_DAYS = 30


def order_features(ctx: Context) -> ir.Table:
    """Group ``orders``: one row per entity with recency, window counts and spend, frequency
    rates, average order value, repurchase rate and spend growth."""
    o = ctx.events("orders", "order_time")
    ts, amt = o.order_time, o.amount.cast("float64")
    lb = ctx.lookback_days
    in_lb = ts >= ctx.ts_start(lb)
    in90 = ts >= ctx.ts_start(90)
    prev90 = (ts >= ctx.ts_start(180)) & ~in90
    month = ts.truncate("M")
    agg = o.group_by("entity_id").agg(
        last_day=ts.max().date(),
        first_day=ts.min().date(),
        orders_30d=o.count(where=ts >= ctx.ts_start(30)),
        orders_90d=o.count(where=in90),
        orders_365d=o.count(where=ts >= ctx.ts_start(365)),
        orders_lookback=o.count(where=in_lb),
        spend_30d=amt.sum(where=ts >= ctx.ts_start(30)),
        spend_90d=amt.sum(where=in90),
        spend_prev_90d=amt.sum(where=prev90),
        spend_365d=amt.sum(where=ts >= ctx.ts_start(365)),
        spend_lookback=amt.sum(where=in_lb),
        months_with_orders=month.nunique(where=in_lb),
    )
    a = ctx.as_of_lit
    recency = days_between(a, agg.last_day)
    since_first = days_between(a, agg.first_day)
    observed = ibis.greatest(ibis.least(since_first + 1, lb), MIN_OBSERVED_DAYS).cast("float64")
    start = ibis.greatest(agg.first_day, ibis.literal(ctx.day_start(lb)))
    month_span = (ctx.as_of.year * 12 + ctx.as_of.month) - (start.year() * 12 + start.month()) + 1
    s90, p90 = agg.spend_90d.fill_null(0), agg.spend_prev_90d.fill_null(0)
    n = agg.orders_lookback.cast("float64")
    return agg.select(
        "entity_id",
        "orders_30d",
        "orders_90d",
        "orders_365d",
        "orders_lookback",
        recency_days=recency,
        days_since_last_order=recency,
        days_since_first_order=since_first,
        spend_30d=agg.spend_30d.fill_null(0),
        spend_90d=s90,
        spend_365d=agg.spend_365d.fill_null(0),
        spend_lookback=agg.spend_lookback.fill_null(0),
        orders_per_week=n / observed * 7,
        orders_per_month=n / observed * MONTH_DAYS,
        orders_per_quarter=n / observed * MONTH_DAYS * 3,
        avg_order_value=ibis.ifelse(n > 0, agg.spend_lookback / n, 0.0),
        repurchase_rate=ibis.ifelse(
            agg.months_with_orders > 0, agg.months_with_orders / month_span.cast("float64"), 0.0
        ),
        spend_growth=ibis.ifelse(s90 + p90 > 0, (s90 - p90) / (s90 + p90), 0.0),
    )


def gap_features(ctx: Context) -> ir.Table:
    """Group ``gaps``: median days between consecutive order days in the lookback."""
    o = ctx.events("orders", "order_time")
    o = o.filter(o.order_time >= ctx.ts_start(ctx.lookback_days))
    days = o.select("entity_id", day=o.order_time.date()).distinct()
    w = ibis.window(group_by=days.entity_id, order_by=days.day)
    gaps = days.mutate(gap=days_between(days.day, days.day.lag().over(w)))
    return gaps.group_by("entity_id").agg(median_order_gap_days=gaps.gap.cast("float64").median())

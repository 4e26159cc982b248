"""Tag inputs beyond the feature catalog: declared first, then the Ibis code that fills them.

The tag catalogue reads every feature of :mod:`tierwise.features` plus the inputs declared
here (order time of day, weekday and season, basket breadth, staple products, category
trends, price level, return reasons, complaint topics ...). They are computed in the same
:class:`~tierwise.features.context.Context` as the features (rows on or before ``as_of``,
the lookback window ending at it), as Ibis expressions, so DuckDB and Spark run the same
definition. Outlet grain only: a tag describes one customer (outlet).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from tierwise.features.catalog import CATEGORY_KEYS
from tierwise.features.context import Context, days_between
from tierwise.features.risk import RATINGS

Kind = str  # number | text


@dataclass(frozen=True)
class Input:
    """One extra per-customer input of the tag catalogue."""

    name: str
    meaning: str
    table: str  # the canonical table it reads (its refresh follows that table)
    kind: Kind = "number"


SLOTS: dict[str, tuple[str, str, int, int]] = {
    # code: (zh, en, first hour, last hour + 1); night wraps around midnight
    "morning": ("早间", "morning", 5, 10),
    "midday": ("午间", "midday", 10, 14),
    "afternoon": ("下午", "afternoon", 14, 18),
    "evening": ("晚间", "evening", 18, 22),
    "night": ("夜间", "night", 22, 29),
}
WEEKDAYS: dict[str, tuple[str, str]] = {
    "mon": ("周一", "Monday"),
    "tue": ("周二", "Tuesday"),
    "wed": ("周三", "Wednesday"),
    "thu": ("周四", "Thursday"),
    "fri": ("周五", "Friday"),
    "sat": ("周六", "Saturday"),
    "sun": ("周日", "Sunday"),
}
QUARTERS = ("q1", "q2", "q3", "q4")
RETURN_REASONS: dict[str, tuple[str, str]] = {
    "quality": ("质量问题", "quality"),
    "wrong_item": ("错发", "wrong item"),
    "damaged": ("破损", "damaged"),
    "late_delivery": ("迟到", "late delivery"),
    "other": ("其他原因", "other reason"),
}
TOPICS: dict[str, tuple[str, str]] = {
    "quality": ("质量", "quality"),
    "delivery": ("配送", "delivery"),
    "price": ("价格", "price"),
    "service": ("服务", "service"),
    "other": ("其他", "other"),
}
NEEDS: dict[str, tuple[str, str]] = {
    "custom_menu": ("定制菜单", "custom menu"),
    "vip_service": ("VIP服务", "VIP service"),
    "cold_chain": ("冷链", "cold chain"),
}
RESPONSE_DAYS = 14  # an order within this many days of a touch or a visit is a response
STAPLE_MONTHS = 3  # a product bought in at least this many months of the lookback is a staple

_I = Input
INPUTS: tuple[Input, ...] = (
    _I("province", "Province of the outlet (省).", "customers", "text"),
    _I("city", "City of the outlet (市).", "customers", "text"),
    _I("payment_terms", "Agreed payment terms (账期).", "customers", "text"),
    _I("account_outlets", "Outlets of the outlet's account (chain size).", "customers"),
    *(_I(f"needs_{k}", f"1 when special needs include {k}.", "customers") for k in NEEDS),
    _I("lifetime_spend", "Order amount of all history up to as_of.", "orders"),
    _I("orders_prev_90d", "Orders in the 90 days before the last 90 days.", "orders"),
    _I("order_growth", "(orders last 90d - previous 90d) / sum of both, in -1..1.", "orders"),
    _I("spend_prev_30d", "Order amount in the 30 days before the last 30 days.", "orders"),
    *(
        _I(f"order_share_{s}", f"Share of lookback orders placed in the {v[1]} ({v[0]}).", "orders")
        for s, v in SLOTS.items()
    ),
    _I("main_slot", "Time of day with the most lookback orders.", "orders", "text"),
    *(
        _I(f"order_share_{d}", f"Share of lookback orders placed on {v[1]}.", "orders")
        for d, v in WEEKDAYS.items()
    ),
    _I("order_share_weekend", "Share of lookback orders placed on Saturday or Sunday.", "orders"),
    *(
        _I(f"spend_share_{q}", f"Share of lookback spend in calendar quarter {q[1]}.", "orders")
        for q in QUARTERS
    ),
    _I("peak_quarter", "Calendar quarter with the most lookback spend.", "orders", "text"),
    _I("peak_quarter_share", "Spend share of the peak quarter (0.25 = flat).", "orders"),
    _I("lines_per_order", "Order lines per order in the lookback (basket breadth).", "order_lines"),
    _I("skus_lookback", "Distinct products bought in the lookback.", "order_lines"),
    _I(
        "staple_skus",
        f"Products bought in at least {STAPLE_MONTHS} calendar months of the lookback.",
        "order_lines",
    ),
    _I(
        "top_sku_share",
        "Share of lookback line amount spent on the most bought product (loyalty).",
        "order_lines",
    ),
    _I("categories_bought", "Categories with any line amount in the lookback.", "order_lines"),
    _I(
        "price_index",
        "Price paid / list price over the lookback lines (1 = list price).",
        "order_lines",
    ),
    *(
        _I(
            f"share_trend_{k}",
            f"Share of {zh} in the last 90 days minus its share in the 90 days before.",
            "order_lines",
        )
        for zh, k in CATEGORY_KEYS.items()
    ),
    _I("returns_lookback", "Returns (refunds) in the lookback.", "returns"),
    *(
        _I(f"returns_{k}", f"Returns in the lookback with reason {k}.", "returns")
        for k in RETURN_REASONS
    ),
    *(_I(f"complaints_{k}", f"Complaints in the lookback about {k}.", "tickets") for k in TOPICS),
    _I("critical_complaints", "Complaints of severity 3 (critical) in the lookback.", "tickets"),
    _I("open_tickets", "Tickets raised on or before as_of and not resolved by then.", "tickets"),
    _I("compensated_tickets", "Tickets closed with compensation in the lookback.", "tickets"),
    _I("active_days_30d", "Days with at least one login in the 30 days to as_of.", "activity"),
    _I("interactions_30d", "Interactions in the 30 days to as_of.", "activity"),
    _I("credit_rank", "Credit rating as a rank, 0 = AAA .. 6 = C; empty without one.", "credit"),
    # operations history (营销响应, 价值): only rows on or before as_of
    _I(
        "coupons_settled_lookback",
        "Coupons issued in the lookback whose validity ended on or before as_of (their outcome "
        "is known).",
        "coupons",
    ),
    _I("coupons_redeemed_lookback", "Of those coupons, the ones used on an order.", "coupons"),
    _I(
        "coupon_redemption_rate",
        "coupons_redeemed_lookback / coupons_settled_lookback; empty without a settled coupon.",
        "coupons",
    ),
    _I(
        "campaign_touches_lookback",
        "Campaign touches (push, SMS, call) in the lookback.",
        "campaign_touches",
    ),
    _I(
        "campaign_response_rate",
        f"Share of the lookback's touches made at least {RESPONSE_DAYS} days before as_of that "
        f"were followed by an order within {RESPONSE_DAYS} days; empty without one.",
        "campaign_touches",
    ),
    _I("visits_90d", "Account-manager visits and calls in the 90 days to as_of.", "visits"),
    _I("days_since_visit", "Days from the last visit or call to as_of; empty: never.", "visits"),
    _I(
        "visit_order_rate",
        f"Share of the lookback's visits and calls made at least {RESPONSE_DAYS} days before "
        f"as_of that were followed by an order within {RESPONSE_DAYS} days; empty without one.",
        "visits",
    ),
    _I("surveys_lookback", "Surveys sent in the lookback.", "survey_answers"),
    _I(
        "survey_answers_lookback",
        "Surveys sent in the lookback that were answered.",
        "survey_answers",
    ),
    _I(
        "nps_last_score",
        "Score (0-10) of the last answered survey sent on or before as_of; empty: none.",
        "survey_answers",
    ),
    _I(
        "nps_last_class",
        "promoter (9-10), passive (7-8) or detractor (0-6) of that answer; empty: none.",
        "survey_answers",
        "text",
    ),
    _I(
        "rebate_365d",
        "Rebate accrued for periods ending in the 365 days to as_of (yuan).",
        "rebate_accruals",
    ),
    _I(
        "rebate_lifetime",
        "Rebate accrued for periods ending on or before as_of (yuan).",
        "rebate_accruals",
    ),
    _I(
        "benefit_uses_lookback",
        "Uses (核销) of granted benefits in the lookback.",
        "benefit_redemptions",
    ),
)
INPUT_CATALOG: dict[str, Input] = {i.name: i for i in INPUTS}
#: canonical tables the inputs read (besides those of the features)
INPUT_TABLES = tuple(dict.fromkeys(["products", *(i.table for i in INPUTS)]))
#: inputs that stay empty (not 0) for a customer without rows: a rate of nothing is unknown
_NULLABLE = {
    "price_index",
    "credit_rank",
    "coupon_redemption_rate",
    "campaign_response_rate",
    "days_since_visit",
    "visit_order_rate",
    "nps_last_score",
}


def tag_tables() -> tuple[str, ...]:
    """Every table a tag snapshot reads: the features' and the tag inputs'."""
    from tierwise.features.sources import all_tables

    return tuple(dict.fromkeys([*all_tables(), *INPUT_TABLES]))


def _ratio(num: ir.NumericValue, den: ir.NumericValue) -> ir.FloatingValue:
    d = den.cast("float64")
    return ibis.ifelse(d > 0, num.cast("float64").fill_null(0) / d, 0.0)


def _master(ctx: Context) -> ir.Table:
    c = ctx.customers
    size = c.group_by("account_id").agg(account_outlets=c.count())
    j = c.join(size, "account_id")
    needs = j.special_needs.fill_null("")
    return j.select(
        entity_id=j.customer_id,
        province=j.province,
        city=j.city,
        payment_terms=j.payment_terms,
        account_outlets=j.account_outlets,
        **{f"needs_{k}": needs.contains(k).cast("int64") for k in NEEDS},
    )


def _orders(ctx: Context) -> ir.Table:
    o = ctx.events("orders", "order_time")
    ts, amt = o.order_time, o.amount.cast("float64")
    in_lb = ts >= ctx.ts_start(ctx.lookback_days)
    hour = ts.hour()
    h = ibis.ifelse(hour < 5, hour + 24, hour)
    dow = ts.day_of_week.index()  # 0 = Monday
    quarter = ts.quarter()
    in90 = ts >= ctx.ts_start(90)
    aggs: dict[str, ir.Value] = {
        "n": o.count(where=in_lb),
        "spend": amt.sum(where=in_lb),
        "lifetime_spend": amt.sum(),
        "orders_90": o.count(where=in90),
        "orders_prev_90d": o.count(where=(ts >= ctx.ts_start(180)) & ~in90),
        "spend_30": amt.sum(where=ts >= ctx.ts_start(30)),
        "spend_prev_30d": amt.sum(where=(ts >= ctx.ts_start(60)) & (ts < ctx.ts_start(30))),
    }
    for s, (_, _, lo, hi) in SLOTS.items():
        aggs[f"n_{s}"] = o.count(where=in_lb & (h >= lo) & (h < hi))
    for i, d in enumerate(WEEKDAYS):
        aggs[f"n_{d}"] = o.count(where=in_lb & (dow == i))
    for i, q in enumerate(QUARTERS):
        aggs[f"s_{q}"] = amt.sum(where=in_lb & (quarter == i + 1))
    a = o.group_by("entity_id").agg(**aggs)
    out: dict[str, ir.Value] = {
        "lifetime_spend": a.lifetime_spend.fill_null(0),
        "orders_prev_90d": a.orders_prev_90d,
        "order_growth": ibis.ifelse(
            a.orders_90 + a.orders_prev_90d > 0,
            (a.orders_90 - a.orders_prev_90d) / (a.orders_90 + a.orders_prev_90d).cast("float64"),
            0.0,
        ),
        "spend_prev_30d": a.spend_prev_30d.fill_null(0),
    }
    for s in SLOTS:
        out[f"order_share_{s}"] = _ratio(a[f"n_{s}"], a.n)
    top = ibis.greatest(*[a[f"n_{s}"] for s in SLOTS])
    out["main_slot"] = ibis.ifelse(
        a.n > 0, ibis.cases(*[(a[f"n_{s}"] == top, s) for s in SLOTS]), ibis.null("string")
    )
    for d in WEEKDAYS:
        out[f"order_share_{d}"] = _ratio(a[f"n_{d}"], a.n)
    out["order_share_weekend"] = _ratio(a.n_sat + a.n_sun, a.n)
    qs = [a[f"s_{q}"].fill_null(0) for q in QUARTERS]
    for q, v in zip(QUARTERS, qs, strict=True):
        out[f"spend_share_{q}"] = _ratio(v, a.spend)
    peak = ibis.greatest(*qs)
    has = a.spend.fill_null(0) > 0
    out["peak_quarter"] = ibis.ifelse(
        has, ibis.cases(*[(v == peak, q) for q, v in zip(QUARTERS, qs, strict=True)]), None
    ).cast("string")
    out["peak_quarter_share"] = _ratio(peak, a.spend)
    return a.select("entity_id", **out)


def _lines(ctx: Context) -> ir.Table:
    o = ctx.events("orders", "order_time")
    o = o.filter(o.order_time >= ctx.ts_start(max(ctx.lookback_days, 180)))
    o = o.select("order_id", "entity_id", "order_time")
    lines = ctx.tables["order_lines"]
    prices = ctx.tables["products"].select("sku", list_price=ctx.tables["products"].unit_price)
    j = lines.join(o, "order_id").left_join(prices, "sku")
    amt = j.amount.cast("float64")
    in_lb = j.order_time >= ctx.ts_start(ctx.lookback_days)
    in90 = j.order_time >= ctx.ts_start(90)
    prev90 = (j.order_time >= ctx.ts_start(180)) & ~in90
    listed = (j.quantity * j.list_price.cast("float64")).sum(where=in_lb & j.list_price.notnull())
    aggs: dict[str, ir.Value] = {
        "amount": amt.sum(where=in_lb),
        "lines": j.count(where=in_lb),
        "orders": j.order_id.nunique(where=in_lb),
        "paid_listed": amt.sum(where=in_lb & j.list_price.notnull()),
        "listed": listed,
        "a90": amt.sum(where=in90),
        "p90": amt.sum(where=prev90),
        "cats": j.category.nunique(where=in_lb & (j.amount > 0)),
    }
    for zh, k in CATEGORY_KEYS.items():
        aggs[f"a90_{k}"] = amt.sum(where=in90 & (j.category == zh))
        aggs[f"p90_{k}"] = amt.sum(where=prev90 & (j.category == zh))
    a = j.group_by("entity_id").agg(**aggs)
    # per (customer, product): months bought and amount (staples, loyalty)
    lb = j.filter(in_lb)
    per_sku = lb.group_by(["entity_id", "sku"]).agg(
        months=lb.order_time.truncate("M").nunique(), sku_amount=lb.amount.cast("float64").sum()
    )
    s = per_sku.group_by("entity_id").agg(
        skus_lookback=per_sku.count(),
        staple_skus=per_sku.count(where=per_sku.months >= STAPLE_MONTHS),
        top_sku=per_sku.sku_amount.max(),
    )
    a = a.left_join(s, "entity_id").drop("entity_id_right")
    out: dict[str, ir.Value] = {
        "lines_per_order": _ratio(a.lines, a.orders),
        "skus_lookback": a.skus_lookback.fill_null(0),
        "staple_skus": a.staple_skus.fill_null(0),
        "top_sku_share": _ratio(a.top_sku, a.amount),
        "categories_bought": a.cats,
        "price_index": ibis.ifelse(a.listed > 0, a.paid_listed / a.listed, ibis.null("float64")),
    }
    for k in CATEGORY_KEYS.values():
        out[f"share_trend_{k}"] = _ratio(a[f"a90_{k}"], a.a90) - _ratio(a[f"p90_{k}"], a.p90)
    return a.select("entity_id", **out)


def _returns(ctx: Context) -> ir.Table:
    r = ctx.events("returns", "return_time")
    r = r.filter(r.return_time >= ctx.ts_start(ctx.lookback_days))
    return r.group_by("entity_id").agg(
        returns_lookback=r.count(),
        **{f"returns_{k}": r.count(where=r.reason == k) for k in RETURN_REASONS},
    )


def _tickets(ctx: Context) -> ir.Table:
    t = ctx.events("tickets", "created_time")
    in_lb = t.created_time >= ctx.ts_start(ctx.lookback_days)
    complaint = in_lb & (t.kind == "complaint")
    still_open = t.resolved_time.isnull() | (t.resolved_time >= ctx.ts_end)
    return t.group_by("entity_id").agg(
        critical_complaints=t.count(where=complaint & (t.severity >= 3)),
        open_tickets=t.count(where=still_open),
        compensated_tickets=t.count(
            where=in_lb & (t.resolution == "compensated") & (t.resolved_time < ctx.ts_end)
        ),
        **{f"complaints_{k}": t.count(where=complaint & (t.topic == k)) for k in TOPICS},
    )


def _activity(ctx: Context) -> ir.Table:
    a = ctx.events("activity", "date")
    in30 = a.date >= ctx.day_start(30)
    return a.group_by("entity_id").agg(
        active_days_30d=a.count(where=in30 & (a.logins > 0)),
        interactions_30d=a.interactions.sum(where=in30),
    )


def _coupons(ctx: Context) -> ir.Table:
    c = ctx.events("coupons", "issued_date")
    c = c.filter(
        (c.issued_date >= ctx.day_start(ctx.lookback_days)) & (c.expires_date <= ctx.as_of_lit)
    )
    a = c.group_by("entity_id").agg(
        coupons_settled_lookback=c.count(),
        coupons_redeemed_lookback=c.count(where=c.redeemed_order_id.notnull()),
    )
    return a.mutate(
        coupon_redemption_rate=ibis.ifelse(
            a.coupons_settled_lookback > 0,
            a.coupons_redeemed_lookback.cast("float64") / a.coupons_settled_lookback,
            ibis.null("float64"),
        )
    )


def _responded(ctx: Context, t: ir.Table, day: str, key: list[str]) -> ir.Table:
    """Per entity: rows of ``t`` (dated ``day``) in the lookback and old enough to judge,
    and how many were followed by an order within :data:`RESPONSE_DAYS` days."""
    t = t.filter(
        (t[day] >= ctx.day_start(ctx.lookback_days))
        & (t[day] <= ctx.as_of - dt.timedelta(days=RESPONSE_DAYS))
    )
    t = t.select(*key, "entity_id", _day=t[day])
    o = ctx.events("orders", "order_time")
    o = o.select(o_entity=o.entity_id, o_day=o.order_time.date())
    j = t.join(
        o,
        [
            t.entity_id == o.o_entity,
            o.o_day >= t._day,
            days_between(o.o_day, t._day) < RESPONSE_DAYS,
        ],
    )
    hit = j.select(*key, "entity_id", "_day").distinct().mutate(hit=ibis.literal(1))
    both = t.left_join(hit, [*key, "entity_id", "_day"])
    return both.group_by(entity_id=both.entity_id).agg(
        judged=both.count(), responded=both.hit.count()
    )


def _rate(a: ir.Table) -> ir.FloatingValue:
    return ibis.ifelse(
        a.judged.fill_null(0) > 0, a.responded.cast("float64") / a.judged, ibis.null("float64")
    )


def _campaigns(ctx: Context) -> ir.Table:
    t = ctx.events("campaign_touches", "touch_date")
    n = t.group_by("entity_id").agg(
        campaign_touches_lookback=t.count(where=t.touch_date >= ctx.day_start(ctx.lookback_days))
    )
    r = _responded(ctx, t, "touch_date", ["campaign_id"])
    j = n.left_join(r, "entity_id")
    return j.select(
        entity_id=j.entity_id,
        campaign_touches_lookback=j.campaign_touches_lookback,
        campaign_response_rate=_rate(j),
    )


def _visits(ctx: Context) -> ir.Table:
    v = ctx.events("visits", "visit_date")
    n = v.group_by("entity_id").agg(
        visits_90d=v.count(where=v.visit_date >= ctx.day_start(90)),
        days_since_visit=days_between(ctx.as_of_lit, v.visit_date.max()),
    )
    r = _responded(ctx, v, "visit_date", ["visit_id"])
    j = n.left_join(r, "entity_id")
    return j.select(
        entity_id=j.entity_id,
        visits_90d=j.visits_90d,
        days_since_visit=j.days_since_visit,
        visit_order_rate=_rate(j),
    )


def _surveys(ctx: Context) -> ir.Table:
    s = ctx.events("survey_answers", "sent_date")
    in_lb = s.sent_date >= ctx.day_start(ctx.lookback_days)
    answered = s.answered & s.score.notnull()
    n = s.group_by("entity_id").agg(
        surveys_lookback=s.count(where=in_lb),
        survey_answers_lookback=s.count(where=in_lb & answered),
    )
    a = s.filter(answered)
    last = a.group_by(l_entity=a.entity_id).agg(l_day=a.sent_date.max())
    at = a.join(last, [a.entity_id == last.l_entity, a.sent_date == last.l_day])
    # two answers sent the same last day: the lower score (a detractor is not hidden)
    score = at.group_by(s_entity=at.entity_id).agg(nps_last_score=at.score.min())
    j = n.left_join(score, n.entity_id == score.s_entity)
    sc = j.nps_last_score
    return j.select(
        entity_id=j.entity_id,
        surveys_lookback=j.surveys_lookback,
        survey_answers_lookback=j.survey_answers_lookback,
        nps_last_score=sc.cast("float64"),
        nps_last_class=ibis.cases(
            (sc >= 9, "promoter"),
            (sc >= 7, "passive"),
            (sc.notnull(), "detractor"),
            else_=ibis.null("string"),
        ),
    )


def _rebates(ctx: Context) -> ir.Table:
    r = ctx.events("rebate_accruals", "period_end")
    amt = r.amount.cast("float64")
    return r.group_by("entity_id").agg(
        rebate_365d=amt.sum(where=r.period_end >= ctx.day_start(365)),
        rebate_lifetime=amt.sum(),
    )


def _benefits(ctx: Context) -> ir.Table:
    b = ctx.events("benefit_redemptions", "used_on")
    return b.group_by("entity_id").agg(
        benefit_uses_lookback=b.count(where=b.used_on >= ctx.day_start(ctx.lookback_days))
    )


def _credit_rank(credit_rating: ir.StringValue) -> ir.IntegerValue:
    return ibis.cases(*[(credit_rating == r, i) for i, r in enumerate(RATINGS)], else_=None)


def add_inputs(ctx: Context, features: ir.Table) -> ir.Table:
    """``features`` (one row per outlet) with every input of :data:`INPUTS` joined on.

    Counts of an outlet without rows in a table are 0; shares 0; texts empty.
    """
    if ctx.entity != "outlet":
        raise ValueError("tags are computed per outlet")
    out = features
    parts = [
        _master(ctx), _orders(ctx), _lines(ctx), _returns(ctx), _tickets(ctx), _activity(ctx),
        _coupons(ctx), _campaigns(ctx), _visits(ctx), _surveys(ctx), _rebates(ctx),
        _benefits(ctx),
    ]  # fmt: skip
    for i, p in enumerate(parts):
        out = out.left_join(p, "entity_id", rname=f"{{name}}__{i}").drop(f"entity_id__{i}")
    fills = {
        c: out[c].fill_null(0)
        for c, t in out.schema().items()
        if c in INPUT_CATALOG and t.is_numeric() and c not in _NULLABLE
    }
    out = out.mutate(**fills, credit_rank=_credit_rank(out.credit_rating))
    return out

"""Profile features: master data (R-FEA-2, R-FEA-4), geography (R-FEA-5), activity (R-FEA-6)."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from tierwise.features.context import Context, days_between

_TEXT = ("business_type", "cuisine", "scale", "channel", "region_id")


def master_features(ctx: Context) -> ir.Table:
    """Group ``master``: the base table, one row per entity existing at as_of."""
    c = ctx.customers
    special = c.special_needs.notnull() & (c.special_needs.strip() != "")
    c = c.mutate(
        contract=c.contract_amount.cast("float64").fill_null(0),
        special=special.cast("int64"),
    )
    if ctx.entity == "outlet":
        return c.select(
            "account_id",
            *_TEXT,
            entity_id=c.customer_id,
            outlets=ibis.literal(1, "int64"),
            tenure_days=days_between(ctx.as_of_lit, c.signup_date),
            contract_amount=c.contract,
            has_special_needs=c.special,
        )
    # an account's text attributes: the smallest value over its outlets (deterministic)
    agg = c.group_by(entity_id=c.account_id).agg(
        outlets=c.count(),
        first_signup=c.signup_date.min(),
        contract_amount=c.contract.max(),
        has_special_needs=c.special.max(),
        **{name: c[name].min() for name in _TEXT},
    )
    return agg.select(
        "entity_id",
        *_TEXT,
        "outlets",
        "contract_amount",
        "has_special_needs",
        account_id=agg.entity_id,
        tenure_days=days_between(ctx.as_of_lit, agg.first_signup),
    )


def region_features(ctx: Context) -> ir.Table:
    """Group ``region``: delivery cost and competition of the district (account: mean)."""
    c = ctx.keyed(ctx.customers.select("customer_id", "region_id"))
    r = ctx.tables["regions"]
    j = c.join(r, "region_id")
    return j.group_by("entity_id").agg(
        delivery_cost=j.delivery_cost.cast("float64").mean(),
        competition_index=j.competition_index.mean(),
    )


def activity_features(ctx: Context) -> ir.Table:
    """Group ``activity``: logins and interactions in the last 30 / 90 days."""
    a = ctx.events("activity", "date")
    a = a.filter(a.date >= ctx.day_start(90))
    agg = a.group_by("entity_id").agg(
        logins_30d=a.logins.sum(where=a.date >= ctx.day_start(30)),
        logins_90d=a.logins.sum(),
        interactions_90d=a.interactions.sum(),
    )
    return agg.select(
        "entity_id",
        "interactions_90d",
        logins_30d=agg.logins_30d.fill_null(0),
        logins_per_week=agg.logins_90d.cast("float64") / (90 / 7),
    )

"""Credit-risk features (R-FEA-3): returns, payment-term compliance, complaints, disputes."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from tierwise.features.context import Context

RATINGS = ("AAA", "AA", "A", "BBB", "BB", "B", "C")
PAID_TOLERANCE = 0.005  # yuan: an invoice counts as paid in full within half a fen


def return_features(ctx: Context) -> ir.Table:
    """Group ``returns``: amount refunded in the lookback (return_rate is derived later)."""
    r = ctx.events("returns", "return_time")
    r = r.filter(r.return_time >= ctx.ts_start(ctx.lookback_days))
    return r.group_by("entity_id").agg(return_amount=r.amount.cast("float64").sum())


def finance_features(ctx: Context) -> ir.Table:
    """Group ``finance``: on-time payment rate of invoices due in the lookback, overdue amount.

    Only payments received on or before as_of count, so a backfill does not see later money.
    """
    inv = ctx.events("invoices", "issue_date")
    pay = ctx.tables["payments"]
    pay = pay.filter(pay.paid_date <= ctx.as_of_lit)
    due = inv.select("invoice_id", "due_date")
    pj = pay.join(due, "invoice_id")
    amt = pj.amount.cast("float64")
    paid = pj.group_by("invoice_id").agg(
        paid_total=amt.sum(), paid_on_time=amt.sum(where=pj.paid_date <= pj.due_date)
    )
    j = inv.left_join(paid, "invoice_id")
    amount = j.amount.cast("float64")
    on_time = j.paid_on_time.fill_null(0) >= amount - PAID_TOLERANCE
    is_due = (j.due_date <= ctx.as_of_lit) & (j.issue_date >= ctx.day_start(ctx.lookback_days))
    past_due = j.due_date < ctx.as_of_lit
    outstanding = ibis.greatest(amount - j.paid_total.fill_null(0), 0.0)
    agg = j.group_by("entity_id").agg(
        invoices_due=j.count(where=is_due),
        invoices_on_time=j.count(where=is_due & on_time),
        overdue_amount=outstanding.sum(where=past_due),
    )
    return agg.select(
        "entity_id",
        "invoices_due",
        on_time_payment_rate=ibis.ifelse(
            agg.invoices_due > 0, agg.invoices_on_time / agg.invoices_due.cast("float64"), 1.0
        ),
        overdue_amount=agg.overdue_amount.fill_null(0),
    )


def ticket_features(ctx: Context) -> ir.Table:
    """Group ``tickets``: complaints raised in the lookback (complaint_rate is derived later)."""
    t = ctx.events("tickets", "created_time")
    t = t.filter((t.created_time >= ctx.ts_start(ctx.lookback_days)) & (t.kind == "complaint"))
    return t.group_by("entity_id").agg(complaints_lookback=t.count())


def credit_features(ctx: Context) -> ir.Table:
    """Group ``credit``: the latest report on or before as_of per outlet; an account sums
    the disputes of its outlets and takes the worst rating."""
    c = ctx.tables["credit"]
    c = c.filter(c.report_date <= ctx.as_of_lit)
    w = ibis.window(group_by=c.customer_id, order_by=ibis.desc(c.report_date))
    latest = c.mutate(rn=ibis.row_number().over(w))
    latest = ctx.keyed(latest.filter(latest.rn == 0))
    rank = ibis.cases(*[(latest.rating == r, i) for i, r in enumerate(RATINGS)], else_=None)
    agg = latest.group_by("entity_id").agg(
        legal_disputes=latest.legal_disputes.sum(), worst=rank.max()
    )
    name = ibis.cases(*[(agg.worst == i, r) for i, r in enumerate(RATINGS)], else_=None)
    return agg.select("entity_id", "legal_disputes", credit_rating=name)

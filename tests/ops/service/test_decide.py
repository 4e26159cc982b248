"""Differentiated service, the pure decisions (R-OPS-1, issue 21 item 3): service terms from
the grants usable on a day, the ticket queue by service level then time left then severity,
breaches per month and tier, the warehouse's delivery order."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tierwise.ops.benefits.decide import ACTIVE, EXPIRED, REVOKED, Grant
from tierwise.ops.service.decide import (
    LEVELS,
    DayOrders,
    Ticket,
    breaches,
    delivery_list,
    order_queue,
    terms_of,
    terms_reader,
)

D = dt.date
T = dt.datetime
ORDER = ("platinum", "gold", "silver", "bronze")


def g(kind: str, tier: str, frm: dt.date, until: dt.date | None = None,
      status: str = ACTIVE, **params: Any) -> Grant:  # fmt: skip
    return Grant(1, kind, kind, params, tier, frm, until, status)


JAN1 = D(2026, 1, 1)


def svc(level: str, hours: int, tier: str, frm: dt.date = JAN1, **kw: Any) -> Grant:
    return g("service_level", tier, frm, level=level, channel="hotline", response_hours=hours,
             **kw)  # fmt: skip


def test_terms_come_from_the_grants_usable_that_day_and_default_without_one() -> None:
    gold = g("service_level", "gold", D(2026, 1, 1), D(2026, 3, 1), EXPIRED, level="priority",
             channel="hotline", response_hours=8)  # fmt: skip
    silver = svc("standard", 24, "silver", D(2026, 3, 1))
    grants = [gold, silver]
    assert terms_of(grants, D(2026, 2, 28)).level == "priority"  # an expired grant, in its time
    assert terms_of(grants, D(2026, 2, 28)).response_hours == 8
    assert terms_of(grants, D(2026, 3, 1)).level == "standard"
    assert terms_of(grants, D(2025, 12, 31)).granted is False
    none = terms_of([], D(2026, 3, 1))
    assert (none.level, none.channel, none.response_hours, none.tier) == (
        "basic", "hotline", 24, None,
    )  # fmt: skip
    # a revoked grant without an end date never applies
    assert not terms_of([g("service_level", "gold", D(2026, 1, 1), None, REVOKED,
                           level="dedicated")], D(2026, 2, 1)).granted  # fmt: skip


def test_delivery_terms_and_expedited_logistics() -> None:
    grants = [
        g("delivery_priority", "platinum", D(2026, 1, 1), priority=1, slot="morning"),
        g("expedited_logistics", "platinum", D(2026, 1, 1), D(2026, 2, 1), EXPIRED),
    ]
    t = terms_of(grants, D(2026, 1, 15))
    assert (t.priority, t.slot, t.expedited) == (1, "morning", True)
    assert terms_of(grants, D(2026, 2, 1)).expedited is False


NOW = T(2026, 3, 10, 12)


def _t(tid: str, cid: str, created: dt.datetime, sev: int = 1, resolved: Any = None) -> Ticket:
    return Ticket(tid, cid, created, "complaint", sev, "delivery", resolved)


def test_the_queue_puts_vip_first_then_time_left_then_severity() -> None:
    grants = {
        "vip": [svc("dedicated", 2, "platinum")],
        "gold": [svc("priority", 8, "gold")],
        "std": [svc("standard", 24, "silver")],
    }
    tickets = [
        _t("t1", "std", T(2026, 3, 9, 13), 3),  # 1 h left, critical, but standard
        _t("t2", "vip", T(2026, 3, 10, 11)),  # 1 h left
        _t("t3", "gold", T(2026, 3, 10, 8), 1),  # 4 h left
        _t("t4", "gold", T(2026, 3, 10, 8), 3),  # 4 h left, critical: before t3
        _t("t5", "gold", T(2026, 3, 10, 1)),  # 3 h overdue: first of gold
        _t("t6", "nobody", T(2026, 3, 10, 11), 3),  # no grant: basic, after standard
        _t("t7", "vip", T(2026, 3, 10, 1), resolved=T(2026, 3, 10, 2)),  # closed
        _t("t8", "vip", T(2026, 3, 10, 13)),  # not raised yet at NOW
    ]
    q = order_queue(tickets, terms_reader(grants), NOW)
    assert [e.ticket.ticket_id for e in q] == ["t2", "t5", "t4", "t3", "t1", "t6"]
    assert [e.position for e in q] == [1, 2, 3, 4, 5, 6]
    t5 = q[1]
    assert (t5.level, t5.response_hours, t5.hours_left, t5.overdue) == ("priority", 8, -3.0, True)
    assert q[-1].level == "basic" and q[-1].response_hours == 24


def test_the_target_is_the_one_in_force_when_the_ticket_was_opened() -> None:
    # gold until 3-09 (8 h), silver from 3-09 (24 h): a ticket of 3-08 keeps 8 h, while the
    # customer is queued at today's level
    grants = {"c": [
        g("service_level", "gold", D(2026, 1, 1), D(2026, 3, 9), EXPIRED, level="priority",
          response_hours=8),
        svc("standard", 24, "silver", D(2026, 3, 9)),
    ]}  # fmt: skip
    (e,) = order_queue([_t("a", "c", T(2026, 3, 8, 12))], terms_reader(grants), NOW)
    assert (e.level, e.response_hours, e.due) == ("standard", 8, T(2026, 3, 8, 20))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(LEVELS), st.integers(0, 47), st.integers(1, 3)),
                min_size=1, max_size=25))  # fmt: skip
def test_a_better_level_is_never_queued_behind_a_worse_one(
    specs: list[tuple[str, int, int]],
) -> None:
    grants = {f"c{i}": [svc(lv, 24, "x")] for i, (lv, _, _) in enumerate(specs)}
    tickets = [
        _t(f"t{i}", f"c{i}", NOW - dt.timedelta(hours=age), sev)
        for i, (_, age, sev) in enumerate(specs)
    ]
    q = order_queue(tickets, terms_reader(grants), NOW)
    assert len(q) == len(specs)
    keys = [(LEVELS.index(e.level), e.hours_left, -e.ticket.severity) for e in q]
    assert keys == sorted(keys)


def test_breaches_per_month_and_tier_with_rates_and_shares() -> None:
    grants = {"vip": [svc("dedicated", 2, "platinum")], "std": [svc("standard", 24, "silver")]}
    tickets = [
        _t("a", "vip", T(2026, 2, 1, 8), resolved=T(2026, 2, 1, 9)),  # in time
        _t("b", "vip", T(2026, 2, 2, 8), resolved=T(2026, 2, 2, 11)),  # 3 h: late
        _t("c", "std", T(2026, 2, 3, 8), resolved=T(2026, 2, 4, 7)),  # 23 h: in time
        _t("d", "std", T(2026, 3, 9, 8)),  # open, 28 h at NOW: overdue
        _t("e", "std", T(2026, 3, 10, 8)),  # open, 4 h: not yet
        _t("f", "nobody", T(2026, 3, 1, 8), resolved=T(2026, 3, 3, 8)),  # 48 h > 24: late
        _t("g", "vip", T(2026, 3, 11, 8)),  # raised after NOW: ignored
    ]
    b = breaches(tickets, terms_reader(grants), NOW, {"nobody": "bronze"}, ORDER)
    rows = {(r.month, r.tier): r for r in b.rows}
    feb_vip = rows[("2026-02", "platinum")]
    assert (feb_vip.tickets, feb_vip.resolved_late, feb_vip.breached, feb_vip.breach_rate) == (
        2, 1, 1, 0.5,
    )  # fmt: skip
    assert feb_vip.median_hours == 2.0
    assert b.share(feb_vip) == 1.0  # the only breach of February
    mar_std = rows[("2026-03", "silver")]
    assert (mar_std.open, mar_std.open_overdue, mar_std.breached) == (2, 1, 1)
    assert rows[("2026-03", "bronze")].resolved_late == 1  # no grant: the current tier, 24 h
    assert b.share(mar_std) == 0.5
    totals = {r.tier: r for r in b.totals}
    assert [r.tier for r in b.totals] == ["platinum", "silver", "bronze"]  # top tier first
    assert sum(r.tickets for r in b.totals) == 6
    assert sum(r.breached for r in b.totals) == 3  # b, d, f
    assert totals["silver"].breach_rate == round(1 / 3, 4)


def test_the_delivery_list_orders_priority_slot_expedited_then_tier() -> None:
    day = D(2026, 3, 10)
    grants = {
        "p1": [g("delivery_priority", "platinum", D(2026, 1, 1), priority=1, slot="morning")],
        "p1any": [g("delivery_priority", "platinum", D(2026, 1, 1), priority=1, slot="any")],
        "p2exp": [
            g("delivery_priority", "gold", D(2026, 1, 1), priority=2),
            g("expedited_logistics", "gold", D(2026, 1, 1)),
        ],
        "p2": [g("delivery_priority", "gold", D(2026, 1, 1), priority=2)],
        "silver": [],
        "bronze": [],
        "ended": [
            g(
                "delivery_priority",
                "platinum",
                D(2026, 1, 1),
                D(2026, 3, 10),
                EXPIRED,
                priority=1,
                slot="morning",
            )
        ],
    }
    tiers = {"p1": "platinum", "p1any": "platinum", "p2exp": "gold", "p2": "gold",
             "silver": "silver", "bronze": "bronze", "ended": "gold"}  # fmt: skip
    orders = [DayOrders(c, 1, Decimal("10.00"), T(2026, 3, 10, 6)) for c in sorted(grants)]
    rows = delivery_list(orders, terms_reader(grants), day, tiers, lambda t: ORDER.index(t or ""))
    assert [r.customer_id for r in rows] == [
        "p1", "p1any", "p2exp", "p2", "ended", "silver", "bronze",
    ]  # fmt: skip
    assert (rows[0].priority, rows[0].slot, rows[2].expedited, rows[4].priority) == (
        1, "morning", True, None,
    )  # fmt: skip

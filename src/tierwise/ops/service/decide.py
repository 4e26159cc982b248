"""Differentiated service: the pure decisions (R-OPS-1).

A customer's **service terms** on a day are read from the benefit grants usable that day
(:func:`terms_of`): the ``service_level`` grant (level, channel, complaint response target),
the ``delivery_priority`` grant (priority 1-9, slot) and an ``expedited_logistics`` grant. A
customer with no ``service_level`` grant is served at :data:`DEFAULT_LEVEL`, the policy
schema's defaults for a ``service_level`` of level ``basic`` (channel hotline, 24 hours).

- :func:`order_queue`: the open tickets, ordered by the customer's service level today
  (dedicated > priority > standard > basic), then the time left to the response target (the
  ``response_hours`` of the grant usable on the day the ticket was opened), then severity
  (critical first), then age.
- :func:`breaches`: per month and tier, tickets resolved past their target or still open past
  it, with counts, the breach rate and the tier's share of the month's breaches. The lake has
  no first-response time, so the target is measured on the resolution time.
- :func:`delivery_list`: the customers with orders on a day, ordered by delivery priority
  (1 first, none last), slot (morning first), expedited logistics, then tier (top first).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from statistics import median

from tierwise.ops.benefits.decide import ACTIVE, Grant
from tierwise.policy.benefits import ServiceLevel

LEVELS = ("dedicated", "priority", "standard", "basic")
LEVEL_ZH = {"dedicated": "专属", "priority": "优先", "standard": "标准", "basic": "基础"}
CHANNEL_ZH = {"account_manager": "专属客户经理", "hotline": "客服热线", "app": "应用内"}
SLOT_ZH = {"morning": "上午", "any": "不限"}
SERVICE_KINDS = ("service_level", "delivery_priority", "expedited_logistics")
DEFAULT_LEVEL = ServiceLevel(kind="service_level", level="basic")
NO_PRIORITY = 10  # below every delivery_priority (1-9)


@dataclass(frozen=True)
class ServiceTerms:
    """What a customer is entitled to on a day."""

    level: str
    channel: str
    response_hours: int
    priority: int | None  # delivery priority 1-9 (1 first); None: no grant
    slot: str  # morning | any
    expedited: bool
    tier: str | None  # the tier that gave the service level (None: the default)
    granted: bool  # a service_level grant (False: the default)


@dataclass(frozen=True)
class Ticket:
    """One customer-service ticket (the lake's ``tickets`` columns)."""

    ticket_id: str
    customer_id: str
    created_time: dt.datetime
    kind: str
    severity: int
    topic: str
    resolved_time: dt.datetime | None = None
    resolution: str | None = None

    def open_at(self, now: dt.datetime) -> bool:
        """Raised by ``now`` and not resolved by then."""
        return self.created_time <= now and (self.resolved_time is None or self.resolved_time > now)


def usable(g: Grant, day: dt.date) -> bool:
    """The grant could be used on ``day`` (active then: ended grants keep their validity)."""
    if g.valid_from > day:
        return False
    if g.valid_until is None:
        return g.status == ACTIVE
    return day < g.valid_until


def terms_of(grants: Iterable[Grant], day: dt.date) -> ServiceTerms:
    """The service terms the grants usable on ``day`` give (the default when none does).
    Two grants of one kind (two codes): the better level, the shorter target, the first
    priority."""
    levels = [g for g in grants if g.kind in SERVICE_KINDS and usable(g, day)]
    svc = sorted(
        (g for g in levels if g.kind == "service_level"),
        key=lambda g: (_level_rank(str(g.params.get("level"))), _hours(g)),
    )
    prio = sorted(
        (g for g in levels if g.kind == "delivery_priority"),
        key=lambda g: (
            int(g.params.get("priority", NO_PRIORITY)),
            g.params.get("slot") != "morning",
        ),
    )
    best = svc[0] if svc else None
    return ServiceTerms(
        level=str(best.params["level"]) if best else DEFAULT_LEVEL.level,
        channel=str(best.params.get("channel", "hotline")) if best else DEFAULT_LEVEL.channel,
        response_hours=_hours(best) if best else DEFAULT_LEVEL.response_hours,
        priority=int(prio[0].params["priority"]) if prio else None,
        slot=str(prio[0].params.get("slot", "any")) if prio else "any",
        expedited=any(g.kind == "expedited_logistics" for g in levels),
        tier=best.tier if best else None,
        granted=best is not None,
    )


def _level_rank(level: str) -> int:
    return LEVELS.index(level) if level in LEVELS else len(LEVELS)


def _hours(g: Grant) -> int:
    return int(g.params.get("response_hours", DEFAULT_LEVEL.response_hours))


TermsAt = Callable[[str, dt.date], ServiceTerms]


def terms_reader(grants: Mapping[str, Sequence[Grant]]) -> TermsAt:
    """``(customer, day) -> terms`` over grants by customer."""
    return lambda cid, day: terms_of(grants.get(cid, ()), day)


@dataclass(frozen=True)
class QueueEntry:
    """An open ticket in the queue, with why it stands where it does."""

    position: int
    ticket: Ticket
    level: str  # the customer's service level now
    channel: str
    tier: str | None  # the tier that gives that level (None: the default)
    response_hours: int  # the target of the terms when the ticket was opened
    due: dt.datetime
    hours_left: float  # negative: overdue

    @property
    def overdue(self) -> bool:
        return self.hours_left < 0


def order_queue(tickets: Iterable[Ticket], terms: TermsAt, now: dt.datetime) -> list[QueueEntry]:
    """The tickets open at ``now``, in the order to handle them."""
    rows = []
    for t in tickets:
        if not t.open_at(now):
            continue
        today = terms(t.customer_id, now.date())
        hours = terms(t.customer_id, t.created_time.date()).response_hours
        due = t.created_time + dt.timedelta(hours=hours)
        left = round((due - now).total_seconds() / 3600, 2)
        rows.append((today, hours, due, left, t))
    rows.sort(
        key=lambda r: (_level_rank(r[0].level), r[3], -r[4].severity, r[4].created_time,
                       r[4].ticket_id)
    )  # fmt: skip
    return [
        QueueEntry(i + 1, t, today.level, today.channel, today.tier, hours, due, left)
        for i, (today, hours, due, left, t) in enumerate(rows)
    ]


@dataclass(frozen=True)
class BreachRow:
    """Response-target breaches of one month (or ``all``) and tier."""

    month: str
    tier: str | None
    tickets: int
    resolved: int
    resolved_late: int
    open: int
    open_overdue: int
    median_hours: float | None  # to resolve, of the resolved ones

    @property
    def breached(self) -> int:
        return self.resolved_late + self.open_overdue

    @property
    def breach_rate(self) -> float | None:
        return round(self.breached / self.tickets, 4) if self.tickets else None


@dataclass(frozen=True)
class Breaches:
    """Per month × tier, and per tier over the whole range (month ``all``)."""

    rows: list[BreachRow]
    totals: list[BreachRow]

    def share(self, row: BreachRow) -> float | None:
        """``row``'s part of the breaches of its month (or of the whole range)."""
        pool = self.totals if row.month == "all" else [r for r in self.rows if r.month == row.month]
        total = sum(r.breached for r in pool)
        return round(row.breached / total, 4) if total else None


def breaches(
    tickets: Iterable[Ticket],
    terms: TermsAt,
    now: dt.datetime,
    tier_of: Mapping[str, str | None],
    tier_order: Sequence[str] = (),
) -> Breaches:
    """Breaches of the tickets raised by ``now`` (those raised later are ignored). A ticket's
    tier is the tier that gave its service level when it was opened, else the customer's
    tier in ``tier_of`` (no grant)."""
    cells: dict[tuple[str, str | None], list[tuple[bool, bool, float | None]]] = {}
    for t in tickets:
        if t.created_time > now:
            continue
        at_open = terms(t.customer_id, t.created_time.date())
        due = t.created_time + dt.timedelta(hours=at_open.response_hours)
        tier = at_open.tier if at_open.granted else tier_of.get(t.customer_id)
        done = t.resolved_time is not None and t.resolved_time <= now
        end = t.resolved_time if done and t.resolved_time is not None else now
        hours = (end - t.created_time).total_seconds() / 3600 if done else None
        for month in (f"{t.created_time:%Y-%m}", "all"):
            cells.setdefault((month, tier), []).append((done, end > due, hours))
    rank = {t: i for i, t in enumerate(tier_order)}

    def row(key: tuple[str, str | None]) -> BreachRow:
        xs = cells[key]
        took = [h for d, _, h in xs if d and h is not None]
        return BreachRow(
            key[0], key[1], len(xs),
            resolved=sum(1 for d, _, _ in xs if d),
            resolved_late=sum(1 for d, late, _ in xs if d and late),
            open=sum(1 for d, _, _ in xs if not d),
            open_overdue=sum(1 for d, late, _ in xs if not d and late),
            median_hours=round(median(took), 2) if took else None,
        )  # fmt: skip

    keys = sorted(cells, key=lambda k: (k[0], rank.get(k[1] or "", len(rank)), k[1] or ""))
    return Breaches(
        [row(k) for k in keys if k[0] != "all"], [row(k) for k in keys if k[0] == "all"]
    )


@dataclass(frozen=True)
class DayOrders:
    """A customer's orders placed on the list's day."""

    customer_id: str
    orders: int
    amount: Decimal
    first_order: dt.datetime


@dataclass(frozen=True)
class DeliveryRow:
    """One customer on the warehouse's list."""

    position: int
    customer_id: str
    tier: str | None
    priority: int | None
    slot: str
    expedited: bool
    level: str
    orders: int
    amount: Decimal
    first_order: dt.datetime


def delivery_list(
    orders: Iterable[DayOrders],
    terms: TermsAt,
    day: dt.date,
    tier_of: Mapping[str, str | None],
    tier_rank: Callable[[str | None], int],
) -> list[DeliveryRow]:
    """The customers with orders on ``day`` in delivery order: priority (1 first, none last),
    morning slot first, expedited logistics first, tier (top first), then the first order."""
    rows = []
    for o in orders:
        t = terms(o.customer_id, day)
        tier = tier_of.get(o.customer_id)
        key = (
            t.priority or NO_PRIORITY, t.slot != "morning", not t.expedited, tier_rank(tier),
            o.first_order, o.customer_id,
        )  # fmt: skip
        rows.append((key, t, tier, o))
    rows.sort(key=lambda r: r[0])
    return [
        DeliveryRow(i + 1, o.customer_id, tier, t.priority, t.slot, t.expedited, t.level,
                    o.orders, o.amount, o.first_order)
        for i, (_, t, tier, o) in enumerate(rows)
    ]  # fmt: skip

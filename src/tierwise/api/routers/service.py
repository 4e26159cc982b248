"""``/service`` and ``/customers/{id}/service-level``: differentiated service (R-OPS-1, issue 21
item 3, docs/service.md).

The desk reads the ticket queue ordered by service level and the response-target breaches per
tier; the CRM posts new tickets and their status changes; the warehouse reads its daily
delivery-priority list (JSON, CSV or Excel with Chinese headers); the ERP/WMS reads a
customer's service level. Levels come from the benefit grants (``service_level``,
``delivery_priority``, ``expedited_logistics``). Contacts and addresses are masked for roles
that may not see personal data.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field, model_validator

from tierwise.api.access import Action, Principal, sees_personal
from tierwise.api.deps import AppContext, Ctx, CustomerAccess, allow, allow_customer
from tierwise.api.errors import AUTH_ERRORS, BAD_INPUT, CONFLICT, NOT_FOUND
from tierwise.api.masking import mask_record
from tierwise.api.schemas.common import Input, IsoDate, IsoDatetime, StrictInt, Timestamp
from tierwise.ops.service import service, store
from tierwise.ops.service.decide import Ticket
from tierwise.ops.service.files import delivery_bytes, delivery_records

router = APIRouter(tags=["service"], responses={**AUTH_ERRORS, **BAD_INPUT})
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Kind = Literal["complaint", "inquiry"]
At = Annotated[
    IsoDatetime | None,
    Query(description="The moment to read the queue at (default: now, UTC)"),
]


def _naive(t: dt.datetime) -> dt.datetime:
    """The store keeps naive times; a time with a zone is taken to UTC."""
    return t if t.tzinfo is None else t.astimezone(dt.UTC).replace(tzinfo=None)


def _now(ctx: AppContext, at: dt.datetime | None) -> dt.datetime:
    return ctx.now() if at is None else _naive(at)


class QueueRow(BaseModel):
    position: int
    ticket_id: str
    customer_id: str
    kind: str
    severity: int = Field(description="1 minor, 2 serious, 3 critical")
    topic: str
    created_time: Timestamp
    level: str = Field(description="The customer's service level now: dedicated … basic")
    channel: str
    tier: str | None = Field(description="The tier that gives that level (none: the default)")
    response_hours: int = Field(description="The target in force when the ticket was opened")
    due: Timestamp
    hours_left: float = Field(description="Negative: overdue")
    overdue: bool


class Queue(BaseModel):
    at: Timestamp
    open: int = Field(description="Open tickets in all (the list may be cut at `limit`)")
    overdue: int
    tickets: list[QueueRow]


class BreachOut(BaseModel):
    month: str = Field(description="YYYY-MM of the tickets' creation, or `all`")
    tier: str | None
    tickets: int
    resolved: int
    resolved_late: int
    open: int
    open_overdue: int
    breached: int = Field(description="resolved_late + open_overdue")
    breach_rate: float | None = Field(description="breached / tickets")
    share: float | None = Field(description="This tier's part of the month's breaches")
    median_hours: float | None = Field(description="To resolve, of the resolved tickets")


class BreachReport(BaseModel):
    at: Timestamp
    rows: list[BreachOut] = Field(description="Per month × tier")
    totals: list[BreachOut] = Field(description="Per tier over the whole range")


class TicketIn(Input):
    ticket_id: str = Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_.:-]+$")
    customer_id: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")
    created_time: IsoDatetime
    kind: Kind
    severity: StrictInt = Field(ge=1, le=3, description="1 minor, 2 serious, 3 critical")
    topic: Literal["quality", "delivery", "price", "service", "other"]
    resolved_time: IsoDatetime | None = Field(default=None, description="Empty while open")
    resolution: Literal["resolved", "compensated", "rejected"] | None = None

    @model_validator(mode="after")
    def _closed_after_opened(self) -> TicketIn:
        if self.resolved_time is not None and _naive(self.resolved_time) < _naive(
            self.created_time
        ):
            raise ValueError("resolved_time is before created_time")
        if (self.resolution is None) != (self.resolved_time is None):
            raise ValueError("resolution and resolved_time come together (both or neither)")
        return self


class TicketOut(BaseModel):
    ticket_id: str
    customer_id: str
    created: bool = Field(description="A new ticket (false: a status change of a known one)")
    open: bool


class DeliveryOut(BaseModel):
    position: int
    customer_id: str
    name: str | None
    district: str | None
    address: str | None = Field(description="Masked unless the role sees personal data")
    contact_name: str | None
    phone: str | None
    tier: str | None
    priority: int | None = Field(description="delivery_priority 1-9 (1 first); none: no grant")
    slot: str = Field(description="morning | any")
    expedited: bool
    level: str
    orders: int
    amount: Decimal
    first_order: Timestamp


class ServiceLevelOut(BaseModel):
    customer_id: str
    day: dt.date
    tier: str | None = Field(description="The published tier")
    level: str = Field(description="dedicated | priority | standard | basic")
    granted: bool = Field(description="From a service_level grant (false: the default)")
    granted_by: str | None = Field(description="The tier whose grant gives the level")
    channel: str = Field(description="account_manager | hotline | app")
    response_hours: int = Field(description="Complaint response target")
    delivery_priority: int | None
    slot: str
    expedited: bool
    account_manager: str | None
    contact_name: str | None = Field(description="Masked unless the role sees personal data")
    phone: str | None = Field(description="Masked unless the role sees personal data")


@router.get(
    "/service/queue",
    response_model=Queue,
    summary="Open tickets in the order to handle them",
    dependencies=[allow(Action.SERVICE_QUEUE)],
)
def get_queue(
    ctx: Ctx,
    at: At = None,
    kind: Kind | None = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> Queue:
    """Open tickets (lake and CRM) by the customer's service level now (dedicated first), then
    the time left to the response target in force when each was opened, then severity."""
    now = _now(ctx, at)
    with ctx.engine.connect() as conn:
        q = service.queue(conn, ctx.settings.lake_dir, now, kind=kind)
    rows = [
        QueueRow(
            position=e.position,
            ticket_id=e.ticket.ticket_id,
            customer_id=e.ticket.customer_id,
            kind=e.ticket.kind,
            severity=e.ticket.severity,
            topic=e.ticket.topic,
            created_time=e.ticket.created_time,
            level=e.level,
            channel=e.channel,
            tier=e.tier,
            response_hours=e.response_hours,
            due=e.due,
            hours_left=e.hours_left,
            overdue=e.overdue,
        )
        for e in q[:limit]
    ]
    return Queue(at=now, open=len(q), overdue=sum(e.overdue for e in q), tickets=rows)


@router.get(
    "/service/breaches",
    response_model=BreachReport,
    summary="Response-target breaches per tier and month",
    dependencies=[allow(Action.SERVICE_QUEUE)],
)
def get_breaches(
    ctx: Ctx,
    start: Annotated[IsoDate, Query(alias="from", description="First day (inclusive)")],
    end: Annotated[IsoDate, Query(alias="to", description="Last day (exclusive)")],
    at: At = None,
    kind: Kind | None = None,
) -> BreachReport:
    """Tickets raised in [from, to): resolved past their target or still open past it at
    ``at``, per month × tier and per tier, with the rate and the tier's share of breaches."""
    now = _now(ctx, at)
    with ctx.engine.connect() as conn:
        b = service.breach_report(conn, ctx.settings.lake_dir, now, start, end, kind=kind)

    def out(r: Any) -> BreachOut:
        return BreachOut(
            month=r.month, tier=r.tier, tickets=r.tickets, resolved=r.resolved,
            resolved_late=r.resolved_late, open=r.open, open_overdue=r.open_overdue,
            breached=r.breached, breach_rate=r.breach_rate, share=b.share(r),
            median_hours=r.median_hours,
        )  # fmt: skip

    return BreachReport(at=now, rows=[out(r) for r in b.rows], totals=[out(r) for r in b.totals])


@router.post(
    "/service/tickets",
    response_model=TicketOut,
    responses={**NOT_FOUND, **CONFLICT},
    summary="A new ticket or a ticket's status change (from the CRM)",
)
def post_ticket(
    ctx: Ctx, principal: Annotated[Principal, allow(Action.SERVICE_TICKET)], body: TicketIn
) -> TicketOut:
    """The whole ticket each time: new, or its latest state (closed, reopened). An unknown
    customer is 404; a known ticket id with another customer or creation time is 409."""
    t = Ticket(
        body.ticket_id, body.customer_id, _naive(body.created_time), body.kind, body.severity,
        body.topic, None if body.resolved_time is None else _naive(body.resolved_time),
        body.resolution,
    )  # fmt: skip
    with ctx.engine.begin() as conn:
        created = store.save_ticket(
            conn, t, ctx.settings.lake_dir, source=f"api:{principal.subject}"[:140], now=ctx.now()
        )
    return TicketOut(
        ticket_id=t.ticket_id, customer_id=t.customer_id, created=created,
        open=t.resolved_time is None,
    )  # fmt: skip


def _deliveries(ctx: AppContext, principal: Principal, day: dt.date) -> list[dict[str, Any]]:
    with ctx.engine.connect() as conn:
        rows = service.deliveries(conn, ctx.settings.lake_dir, day)
        people = store.profiles(conn, [r.customer_id for r in rows])
    unmasked = sees_personal(principal)
    return [mask_record(r, unmasked=unmasked) for r in delivery_records(rows, people)]


@router.get(
    "/service/deliveries",
    response_model=list[DeliveryOut],
    summary="The warehouse's delivery-priority list of a day",
)
def get_deliveries(
    ctx: Ctx,
    principal: Annotated[Principal, allow(Action.DELIVERY_LIST)],
    day: Annotated[IsoDate, Query(description="The orders' day")],
) -> list[DeliveryOut]:
    """Customers with orders placed on ``day`` (the lake's orders), by delivery priority
    (1 first, none last), morning slot first, expedited logistics first, then tier."""
    return [DeliveryOut(**r) for r in _deliveries(ctx, principal, day)]


@router.get(
    "/service/deliveries/export",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}, XLSX: {}}}},
    summary="The delivery-priority list as CSV or Excel (Chinese headers)",
)
def export_deliveries(
    ctx: Ctx,
    principal: Annotated[Principal, allow(Action.DELIVERY_LIST)],
    day: Annotated[IsoDate, Query(description="The orders' day")],
    format: Literal["csv", "xlsx"] = "csv",
) -> Response:
    """序号, 客户编号, 客户名称, 区, 地址, 联系人, 电话, 等级, 配送优先级, 配送时段, 加急物流,
    订单数, 订单金额(元), 首单时间: the same rows as the JSON list."""
    data = delivery_bytes(_deliveries(ctx, principal, day), format)
    media = XLSX if format == "xlsx" else "text/csv; charset=utf-8"
    name = f"delivery-{day:%Y%m%d}.{format}"
    return Response(
        data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.get(
    "/customers/{customer_id}/service-level",
    response_model=ServiceLevelOut,
    responses=NOT_FOUND,
    summary="A customer's service level (for the ERP/WMS)",
)
def get_service_level(
    ctx: Ctx,
    access: Annotated[CustomerAccess, allow_customer(Action.SERVICE_LEVEL)],
    day: Annotated[IsoDate | None, Query(description="Default: today (UTC)")] = None,
) -> ServiceLevelOut:
    """Level, channel and response target, delivery priority, slot and expedited logistics
    from the grants usable on ``day``; no grant: the default level (basic, hotline, 24 h)."""
    d = day or ctx.now().date()
    cid = access.customer.customer_id
    with ctx.engine.connect() as conn:
        t = service.service_level(conn, cid, d)
    row = mask_record(access.row, unmasked=sees_personal(access.principal, access.customer))
    return ServiceLevelOut(
        customer_id=cid, day=d, tier=row.get("tier"), level=t.level, granted=t.granted,
        granted_by=t.tier, channel=t.channel, response_hours=t.response_hours,
        delivery_priority=t.priority, slot=t.slot, expedited=t.expedited,
        account_manager=row.get("account_manager"), contact_name=row.get("contact_name"),
        phone=row.get("phone"),
    )  # fmt: skip

"""``/rebates``: the rebate ledger (R-OPS-3, issue 21 item 2).

Finance (``rebate.manage``) accrues a period from the lake's orders and refunds and pays the
accrued rows in payout or credit-note batches, each row once (409 when nothing is left to
pay). ``rebate.read`` lists the ledger (account managers: their customers; a customer: itself)
and reads a customer's statement (对账单) as JSON, CSV or Excel; the statement's contact name
is personal data, masked for a role that may not see it. Ledger rows carry no personal data.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, Field

from tierwise.api.access import Action, Principal, scope, sees_personal
from tierwise.api.deps import Ctx, CustomerAccess, allow, allow_customer
from tierwise.api.errors import AUTH_ERRORS, BAD_INPUT, CONFLICT, NOT_FOUND
from tierwise.api.masking import mask_name
from tierwise.api.schemas.common import Input, IsoDate, StrictInt, Timestamp
from tierwise.ops.benefits.rebate_dry_run import rebate_dry_run
from tierwise.ops.benefits.rebate_files import (
    batch_rows,
    csv_bytes,
    statement_rows,
    xlsx_bytes,
)
from tierwise.ops.benefits.rebate_ledger import parse_period, totals
from tierwise.ops.benefits.rebate_store import (
    accrue_period,
    batch_lines,
    batches,
    ledger_rows,
    net_sales,
    pay,
    statement,
)

router = APIRouter(tags=["rebates"], responses={**AUTH_ERRORS, **BAD_INPUT})
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PERIOD = r"^(19|20)\d{2}-(0[1-9]|1[0-2]|Q[1-4])$"
PeriodQ = Annotated[
    str | None, Query(pattern=PERIOD, description="YYYY-MM (a month) or YYYY-Qn (a quarter)")
]
FILES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            XLSX: {"schema": {"type": "string", "format": "binary"}},
        },
        "description": "UTF-8 CSV with BOM, or an Excel workbook; Chinese headers",
    }
}


class AccrualCreate(Input):
    period: str = Field(pattern=PERIOD, description="YYYY-MM or YYYY-Qn")


class AccrualReportPublic(BaseModel):
    period: str
    customers: int = Field(description="Customers with a rebate for the period")
    inserted: int
    updated: int
    deleted: int
    unchanged: int
    total: Decimal = Field(description="The period's ledger total after the accrual (yuan)")


class LedgerRow(BaseModel):
    id: int
    customer_id: str
    period: str
    period_start: dt.date
    period_end: dt.date = Field(description="Last day (inclusive)")
    entry: Literal["accrual", "adjustment"]
    tier: str | None
    pct: Decimal
    gross: Decimal = Field(description="Orders in the period (yuan)")
    refunds: Decimal = Field(description="Refunds granted in the period (yuan)")
    net: Decimal
    amount: Decimal = Field(description="Rebate this row accrues (yuan)")
    status: Literal["accrued", "paid"]
    payout_id: int | None
    updated_at: Timestamp


class StatementLinePublic(BaseModel):
    period: str
    period_start: dt.date
    period_end: dt.date
    entry: str
    tier: str | None
    pct: Decimal
    gross: Decimal
    refunds: Decimal
    net: Decimal
    amount: Decimal
    status: str
    payout_id: int | None


class Statement(BaseModel):
    customer_id: str
    name: str | None
    contact_name: str | None = Field(description="Masked unless the role sees personal data")
    lines: list[StatementLinePublic]
    accrued: Decimal
    paid: Decimal
    outstanding: Decimal


class PayoutCreate(Input):
    kind: Literal["payout", "credit_note"] = "payout"
    period: str | None = Field(default=None, pattern=PERIOD, description="Default: every period")
    customer_ids: list[Annotated[str, Field(min_length=1, max_length=40)]] | None = Field(
        default=None, min_length=1, max_length=500, description="Default: every customer"
    )


class PayoutPublic(BaseModel):
    id: int
    kind: str
    period: str | None
    lines: int
    total: Decimal
    actor: str
    created_at: Timestamp


def _label(period: str | None) -> str | None:
    return None if period is None else parse_period(period).label


class DryRunCreate(Input):
    pct: dict[
        Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[^\x00-\x1f]+$")],
        Annotated[Decimal, Field(gt=0, le=100, max_digits=5, decimal_places=2)],
    ] = Field(min_length=1, max_length=20, description="Rebate percent by tier code")
    days: StrictInt = Field(default=90, ge=7, le=366, description="The period forecast (days)")
    as_of: IsoDate | None = Field(default=None, description="The dry run's day (default: today)")
    method: Literal["auto", "season", "recent"] = Field(
        default="auto",
        description="season: the last `days` scaled by how customers who bought like this went "
        "on a year back (needs a year and `days` of orders); recent: as in the last `days`; "
        "auto: season when the lake reaches back far enough",
    )
    realised: list[Annotated[str, Field(pattern=PERIOD)]] = Field(
        default_factory=list,
        max_length=12,
        description="Periods accrued since (YYYY-MM, YYYY-Qn): the ledger's accruals beside",
    )


class DryRunTier(BaseModel):
    tier: str
    pct: Decimal
    customers: int = Field(description="Customers holding the tier now")
    buyers: int = Field(description="Of them, customers with a forecast spend above 0")
    spend: Decimal = Field(description="Their spend forecast for the period (yuan)")
    cost: Decimal = Field(description="The rebate's dry-run cost (yuan)")
    realised: Decimal | None = Field(
        description="The ledger's accruals of the `realised` periods for the tier (yuan)"
    )
    gap: Decimal | None = Field(description="cost / realised - 1 (none: nothing realised)")


class DryRunPublic(BaseModel):
    as_of: dt.date
    days: int
    method: Literal["season", "recent"] = Field(description="The forecast used")
    periods: list[str]
    tiers: list[DryRunTier]


@router.post(
    "/rebates/dry-run",
    response_model=DryRunPublic,
    summary="A rebate change's dry-run cost per tier, the realised cost beside",
    dependencies=[allow(Action.ANALYTICS_READ)],
)
def post_dry_run(ctx: Ctx, body: DryRunCreate) -> DryRunPublic:
    """What a rebate per tier would cost over the ``days`` after ``as_of`` for the customers
    holding each tier now (from the lake's orders up to ``as_of`` only), and the rebate
    ledger's accruals of the ``realised`` periods beside it. 422 for a tier nobody holds, a
    season dry run on a lake that does not reach a year and ``days`` back, or no orders."""
    d = rebate_dry_run(
        ctx.engine, ctx.settings.lake_dir, body.pct, as_of=body.as_of or ctx.now().date(),
        days=body.days, method=body.method, realised=[parse_period(p) for p in body.realised],
    )  # fmt: skip
    return DryRunPublic(
        as_of=d.as_of,
        days=d.days,
        method=d.method,
        periods=d.periods,
        tiers=[
            DryRunTier(
                **{
                    k: getattr(r.dry, k)
                    for k in ("tier", "pct", "customers", "buyers", "spend", "cost")
                },
                realised=r.realised if d.periods else None,
                gap=r.gap,
            )
            for r in d.rows
        ],
    )


@router.post(
    "/rebates/accruals",
    response_model=AccrualReportPublic,
    summary="Accrue a period's rebates",
    dependencies=[allow(Action.REBATE_MANAGE)],
)
def post_accrual(ctx: Ctx, body: AccrualCreate) -> AccrualReportPublic:
    """The rebate grant in force on the period's last day × the period's net sales (orders −
    refunds, from the lake), per customer, in one transaction. Again with the same figures:
    nothing changes; a paid row is never rewritten (a difference is an adjustment row). 422
    when the lake has no orders."""
    p = parse_period(body.period)
    r = accrue_period(ctx.engine, p, net_sales(ctx.settings.lake_dir, p), now=ctx.now())
    return AccrualReportPublic(**r.__dict__)


@router.get("/rebates/ledger", response_model=list[LedgerRow], summary="The rebate ledger")
def get_ledger(
    ctx: Ctx,
    principal: Annotated[Principal, allow(Action.REBATE_READ)],
    period: PeriodQ = None,
    customer_id: Annotated[str | None, Query(min_length=1, max_length=40)] = None,
    status: Literal["accrued", "paid"] | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[LedgerRow]:
    """Rows newest period first; account managers see their customers, a customer itself."""
    s = scope(principal)
    if s.nothing:
        return []
    ids = [customer_id] if customer_id else None
    if s.customer_id is not None:
        if customer_id not in (None, s.customer_id):
            return []
        ids = [s.customer_id]
    rows = ledger_rows(
        ctx.engine,
        period=_label(period),
        customer_ids=ids,
        status=status,
        account_manager=s.account_manager,
        limit=limit,
        offset=offset,
    )
    return [LedgerRow(**{k: v for k, v in r.items() if k in LedgerRow.model_fields}) for r in rows]


def _statement(access: CustomerAccess, ctx: Ctx, start: str | None, end: str | None) -> Statement:
    cid = access.customer.customer_id
    first, last = _starts(start, end)
    lines = statement(ctx.engine, cid, start=first, end=last)
    t = totals(lines)
    contact = access.row.get("contact_name")
    if not sees_personal(access.principal, access.customer):
        contact = mask_name(contact)
    return Statement(
        customer_id=cid,
        name=access.row.get("name"),
        contact_name=contact,
        lines=[StatementLinePublic(**x.__dict__) for x in lines],
        accrued=t.accrued,
        paid=t.paid,
        outstanding=t.outstanding,
    )


Start = Annotated[
    str | None, Query(alias="from", pattern=PERIOD, description="First period (YYYY-MM, YYYY-Qn)")
]
End = Annotated[
    str | None, Query(alias="to", pattern=PERIOD, description="Last period (YYYY-MM, YYYY-Qn)")
]


def _starts(start: str | None, end: str | None) -> tuple[dt.date | None, dt.date | None]:
    """The first days of the periods ``from`` and ``to`` name (statement rows start between)."""
    return (
        None if start is None else parse_period(start).start,
        None if end is None else parse_period(end).start,
    )


@router.get(
    "/rebates/statements/{customer_id}",
    response_model=Statement,
    responses=NOT_FOUND,
    summary="A customer's rebate statement",
)
def get_statement(
    ctx: Ctx,
    access: Annotated[CustomerAccess, allow_customer(Action.REBATE_READ)],
    start: Start = None,
    end: End = None,
) -> Statement:
    """Every ledger row of the customer (oldest first) and the totals accrued, paid and
    outstanding, which equal the ledger's; no rows: empty lines and zero totals."""
    return _statement(access, ctx, start, end)


@router.get(
    "/rebates/statements/{customer_id}/export",
    response_class=Response,
    responses={**NOT_FOUND, **FILES},
    summary="A customer's rebate statement as CSV or Excel",
)
def export_statement(
    ctx: Ctx,
    access: Annotated[CustomerAccess, allow_customer(Action.REBATE_READ)],
    format: Literal["csv", "xlsx"] = "csv",
    start: Start = None,
    end: End = None,
) -> Response:
    """The statement with Chinese headers (客户编号, 期间, … 返利金额(元)) and three total rows
    (计提合计, 已付合计, 未付余额)."""
    cid = access.customer.customer_id
    first, last = _starts(start, end)
    rows = statement_rows(cid, statement(ctx.engine, cid, start=first, end=last))
    return _file(rows, f"rebate-statement-{cid}", format, "返利对账单")


def _file(rows: list[list[Any]], name: str, fmt: str, title: str) -> Response:
    if fmt == "xlsx":
        return Response(
            xlsx_bytes(rows, title),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )
    return Response(
        csv_bytes(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


@router.post(
    "/rebates/payouts",
    response_model=PayoutPublic,
    status_code=201,
    responses=CONFLICT,
    summary="Pay accrued rebates in one batch",
)
def post_payout(
    ctx: Ctx,
    principal: Annotated[Principal, allow(Action.REBATE_MANAGE)],
    body: PayoutCreate,
) -> PayoutPublic:
    """Move the accrued rows (of ``period`` and ``customer_ids`` when given) to paid in a new
    payout or credit-note batch; every row is paid once: 409 when none is left, nothing
    written."""
    b = pay(
        ctx.engine,
        body.kind,
        period=_label(body.period),
        customer_ids=body.customer_ids,
        actor=principal.subject,
        now=ctx.now(),
    )
    return PayoutPublic(**b.__dict__)


@router.get(
    "/rebates/payouts",
    response_model=list[PayoutPublic],
    summary="Payout and credit-note batches",
    dependencies=[allow(Action.REBATE_MANAGE)],
)
def list_payouts(ctx: Ctx, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[PayoutPublic]:
    """The latest batches, newest first."""
    return [PayoutPublic(**b.__dict__) for b in batches(ctx.engine, limit)]


@router.get(
    "/rebates/payouts/{payout_id}/export",
    response_class=Response,
    responses={**NOT_FOUND, **FILES},
    summary="A batch for the ERP as CSV or Excel",
    dependencies=[allow(Action.REBATE_MANAGE)],
)
def export_payout(
    ctx: Ctx,
    payout_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    format: Literal["csv", "xlsx"] = "csv",
) -> Response:
    """One line per ledger row paid: 批次号, 单据类型 (返利付款 / 贷项通知单), 客户编号, 期间,
    计提编号, 类型, 等级, 金额(元). Written again as often as asked; pays nothing."""
    batch, lines = batch_lines(ctx.engine, payout_id)
    title = "返利付款" if batch.kind == "payout" else "贷项通知单"
    return _file(batch_rows(batch, lines), f"rebate-batch-{batch.id}", format, title)

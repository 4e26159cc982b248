"""The service page 服务 (R-OPS-1, docs/service.md): the ticket queue ordered by service level,
response-target breaches per tier, and the warehouse's delivery-priority list of a day. It reads
through the functions ``/service/*`` call and masks addresses and contacts the same way."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Connection

from tierwise.api.access import Action, decide, sees_personal
from tierwise.api.masking import mask_record
from tierwise.console.web import Page, PageDep
from tierwise.errors import UsageError
from tierwise.ops.service import service, store
from tierwise.ops.service.files import delivery_bytes, delivery_records

router = APIRouter(prefix="/console", include_in_schema=False)
QUEUE_ROWS = 100
DAY = r"^\d{4}-\d{2}-\d{2}$"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/service", response_class=HTMLResponse)
def service_page(
    page: PageDep,
    at: Annotated[
        str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?)?$")
    ] = None,
    day: Annotated[str | None, Query(pattern=DAY)] = None,
    days: Annotated[int, Query(ge=1, le=366)] = 90,
) -> Response:
    """The queue at ``at`` (default now), breaches of the tickets raised in the ``days`` before
    it, per tier and month, and the delivery list of ``day`` (default: ``at``'s day)."""
    page.require(Action.SERVICE_QUEUE)
    try:
        now = dt.datetime.fromisoformat(at) if at else page.ctx.now().replace(microsecond=0)
        d = dt.date.fromisoformat(day) if day else now.date()
    except ValueError:
        raise UsageError(f"not a date: {at or day}", hint="YYYY-MM-DD[THH:MM]") from None
    lake = page.ctx.settings.lake_dir
    start = (now - dt.timedelta(days=days)).date()
    with page.ctx.engine.connect() as conn:
        queue = service.queue(conn, lake, now)
        b = service.breach_report(conn, lake, now, start, now.date() + dt.timedelta(days=1))
        may_list = decide(page.principal, Action.DELIVERY_LIST).allowed
        deliveries = _deliveries(page, conn, d) if may_list else []
    return page.render(
        "service.html", queue=queue[:QUEUE_ROWS], open=len(queue),
        overdue=sum(e.overdue for e in queue), breaches=b, deliveries=deliveries, now=now,
        day=d, start=start, days=days, label=page.tier_label, limit=QUEUE_ROWS,
        may_list=may_list,
    )  # fmt: skip


def _deliveries(page: Page, conn: Connection, d: dt.date) -> list[dict[str, Any]]:
    rows = service.deliveries(conn, page.ctx.settings.lake_dir, d)
    people = store.profiles(conn, [r.customer_id for r in rows])
    unmasked = sees_personal(page.principal)
    return [mask_record(r, unmasked=unmasked) for r in delivery_records(rows, people)]


@router.get("/service/deliveries.{fmt}")
def service_export(
    page: PageDep,
    fmt: Annotated[str, Path(pattern="^(csv|xlsx)$")],
    day: Annotated[str, Query(pattern=DAY)],
) -> Response:
    """The delivery list of ``day`` as CSV or Excel (Chinese headers), masked like the page."""
    page.require(Action.DELIVERY_LIST)
    try:
        d = dt.date.fromisoformat(day)
    except ValueError:
        raise UsageError(f"not a date: {day}", hint="YYYY-MM-DD") from None
    with page.ctx.engine.connect() as conn:
        records = _deliveries(page, conn, d)
    media = XLSX if fmt == "xlsx" else "text/csv; charset=utf-8"
    name = f"delivery-{d:%Y%m%d}.{fmt}"
    return Response(
        delivery_bytes(records, fmt), media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )  # fmt: skip

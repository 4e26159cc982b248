"""The rebate ledger page (R-OPS-3, docs/benefits.md "The rebate ledger"): totals per period,
tier and status, then the latest rows. It reads the ledger through the same functions as
``GET /rebates/ledger``, scoped the same way (account managers see their customers, a customer
itself). Accruing and paying stay in the CLI and the API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from tierwise.api.access import Action, scope
from tierwise.console.web import PageDep
from tierwise.ops.benefits.rebate_store import ledger_rows, ledger_summary

router = APIRouter(prefix="/console", include_in_schema=False)
ROWS = 200


@router.get("/rebates", response_class=HTMLResponse)
def rebates_page(
    page: PageDep,
    period: Annotated[str | None, Query(pattern=r"^(19|20)\d{2}-(0[1-9]|1[0-2]|Q[1-4])$")] = None,
) -> Response:
    """The ledger's totals and its latest rows (of ``period`` when given)."""
    page.require(Action.REBATE_READ)
    s = scope(page.principal)
    engine = page.ctx.engine
    if s.nothing:
        rows, summary = [], []
    else:
        rows = ledger_rows(
            engine,
            period=period,
            customer_ids=[s.customer_id] if s.customer_id else None,
            account_manager=s.account_manager,
            limit=ROWS,
        )
        # the totals of every customer only for roles that see every customer
        unscoped = s.customer_id is None and s.account_manager is None
        summary = ledger_summary(engine, period) if unscoped else []
    return page.render(
        "rebates.html", rows=rows, summary=summary, period=period, label=page.tier_label, limit=ROWS
    )

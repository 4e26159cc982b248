"""``/exports``: customer lists as CSV or Excel, masked by role like JSON (R-INT-4)."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from openpyxl import Workbook

from tierwise.api.access import Action, Principal, scope
from tierwise.api.deps import Ctx, allow
from tierwise.api.errors import AUTH_ERRORS, BAD_INPUT
from tierwise.api.routers.customers import Filters
from tierwise.api.tabular import csv_row, xlsx_append
from tierwise.api.views import public_row

router = APIRouter(prefix="/exports", tags=["exports"], responses={**AUTH_ERRORS, **BAD_INPUT})
MAX_EXPORT = 100_000
COLUMNS = [
    "customer_id",
    "name",
    "account_name",
    "business_type",
    "cuisine",
    "province",
    "city",
    "district",
    "address",
    "channel",
    "account_manager",
    "contact_name",
    "phone",
    "tier",
    "score",
    "segment",
    "tags",
    "spend_365d",
]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _rows(ctx: Ctx, principal: Principal, f: Any, limit: int) -> list[list[Any]]:
    rows = ctx.customers.iterate(f, scope(principal), limit=limit)
    out = []
    masked = 0
    for r in rows:
        p = public_row(r, principal)
        masked += bool(p["masked"])
        p["tags"] = ",".join(p["tags"])
        out.append([p.get(c) for c in COLUMNS])
    ctx.audit.record(
        principal,
        "export",
        now=ctx.now(),
        target="customers",
        detail={"rows": len(out), "unmasked_rows": len(out) - masked},
    )
    return out


Limit = Annotated[int, Query(ge=1, le=MAX_EXPORT)]


@router.get(
    "/customers.csv",
    response_class=Response,
    responses={
        200: {
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "description": "UTF-8 CSV with BOM (opens in Excel)",
        }
    },
)
def export_csv(
    ctx: Ctx,
    principal: Annotated[Principal, allow(Action.EXPORT)],
    f: Filters,
    limit: Limit = 10_000,
) -> Response:
    """The filtered customer list as CSV (UTF-8 with BOM, so Excel reads the Chinese)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(COLUMNS)
    w.writerows(csv_row(COLUMNS, r) for r in _rows(ctx, principal, f, limit))
    return Response(
        ("\ufeff" + buf.getvalue()).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="customers.csv"'},
    )


@router.get(
    "/customers.xlsx",
    response_class=Response,
    responses={
        200: {
            "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
            "description": "Excel workbook",
        }
    },
)
def export_xlsx(
    ctx: Ctx,
    principal: Annotated[Principal, allow(Action.EXPORT)],
    f: Filters,
    limit: Limit = 10_000,
) -> Response:
    """The filtered customer list as an Excel workbook."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("customers")
    ws.append(COLUMNS)
    for row in _rows(ctx, principal, f, limit):
        xlsx_append(ws, COLUMNS, row)
    buf = io.BytesIO()
    wb.save(buf)
    return Response(
        buf.getvalue(),
        media_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="customers.xlsx"'},
    )

"""``/supply``: the kept supply runs (R-OPS-9, docs/supply.md): demand forecast vs actual per
category and tier, stock levels and cover per SKU × warehouse, the day's proposed purchase
orders (JSON or CSV), the allocation of short stock with its reasons, and the SKUs left out.

Read only (``supply.read``: analysts and admins). A run is made by ``tierwise supply plan``
(it reads the lake and fits the forecasts: minutes, not a request)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, Field

from tierwise.api.access import Action, Principal
from tierwise.api.deps import Ctx, allow
from tierwise.api.errors import AUTH_ERRORS, BAD_INPUT, NOT_FOUND
from tierwise.api.supply import run_rows, table_rows
from tierwise.ops.supply import service

router = APIRouter(prefix="/supply", tags=["supply"], responses={**AUTH_ERRORS, **BAD_INPUT})
RunId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Read = Annotated[Principal, allow(Action.SUPPLY_READ)]


class Run(BaseModel):
    run_id: int
    as_of: date
    policy: str
    skus: int
    series: int = Field(description="Series of the forecast hierarchy")
    created_at: datetime
    created_by: str
    order_lines: int = Field(description="Proposed purchase order lines")
    amount: float = Field(description="Proposed purchase amount, yuan")


class ForecastRow(BaseModel):
    level: str = Field(description="total, category, tier or category_tier")
    series: str
    week: date = Field(description="Monday of the week")
    actual: float | None = Field(description="Demand shipped (history weeks)")
    forecast: float | None = Field(description="Reconciled forecast (weeks ahead)")


class LevelRow(BaseModel):
    sku: str
    warehouse_id: str
    category: str
    on_hand: float | None
    position: float | None = Field(description="On hand + on order")
    mean_daily: float
    cover_days: float | None = Field(description="On hand / forecast daily demand")
    safety_stock: float
    reorder_point: float
    order_up_to: float
    binding_tier: str = Field(description="The tier whose service level sets order-up-to")


class OrderLine(BaseModel):
    po_id: str
    sku: str
    supplier: str
    warehouse_id: str
    quantity: float
    unit_cost: float
    amount: float
    expected_date: date
    reason: str


class AllocationRow(BaseModel):
    order_id: str
    customer_id: str
    tier: str
    sku: str
    warehouse_id: str
    quantity: float
    allocated: float
    reason: str


class Exclusion(BaseModel):
    sku: str
    warehouse_id: str
    kind: str = Field(description="no_lead_time or negative_stock")
    reason: str


@router.get("/runs", response_model=list[Run])
def runs_route(ctx: Ctx, _p: Read, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[Run]:
    """The latest supply runs, newest first."""
    return [Run(**r) for r in run_rows(ctx, limit)]


@router.get(
    "/runs/{supply_run_id}/forecasts", response_model=list[ForecastRow], responses=NOT_FOUND
)
def forecasts_route(ctx: Ctx, _p: Read, supply_run_id: RunId) -> list[ForecastRow]:
    """Forecast vs actual per week: total, category, tier and category × tier."""
    return [ForecastRow(**r) for r in table_rows(ctx, supply_run_id, "forecasts")]


@router.get("/runs/{supply_run_id}/levels", response_model=list[LevelRow], responses=NOT_FOUND)
def levels_route(ctx: Ctx, _p: Read, supply_run_id: RunId) -> list[LevelRow]:
    """Stock, cover and the levels by tier of each SKU × warehouse."""
    return [LevelRow(**r) for r in table_rows(ctx, supply_run_id, "levels")]


@router.get("/runs/{supply_run_id}/proposal", response_model=list[OrderLine], responses=NOT_FOUND)
def proposal_route(ctx: Ctx, _p: Read, supply_run_id: RunId) -> list[OrderLine]:
    """The day's proposed purchase order lines (one PO per supplier × warehouse)."""
    return [OrderLine(**r) for r in table_rows(ctx, supply_run_id, "proposal")]


@router.get(
    "/runs/{supply_run_id}/proposal.csv",
    response_class=Response,
    responses={
        **NOT_FOUND,
        200: {
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "description": "po_id, sku, supplier, warehouse_id, quantity, unit_cost, amount, expected_date, reason",
        },
    },
)
def proposal_csv_route(ctx: Ctx, _p: Read, supply_run_id: RunId) -> Response:
    """The proposal as CSV (UTF-8 with BOM), for the purchasing team's spreadsheet."""
    frame = service.run_table(ctx.engine, supply_run_id, "proposal")
    return Response(
        frame.to_csv(index=False).encode("utf-8-sig"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="proposal-{supply_run_id}.csv"'},
    )


@router.get(
    "/runs/{supply_run_id}/allocations", response_model=list[AllocationRow], responses=NOT_FOUND
)
def allocations_route(ctx: Ctx, _p: Read, supply_run_id: RunId) -> list[AllocationRow]:
    """How the day's order lines were served from stock, with the reason."""
    return [AllocationRow(**r) for r in table_rows(ctx, supply_run_id, "allocations")]


@router.get("/runs/{supply_run_id}/exclusions", response_model=list[Exclusion], responses=NOT_FOUND)
def exclusions_route(ctx: Ctx, _p: Read, supply_run_id: RunId) -> list[Exclusion]:
    """SKU × warehouse pairs left out: no lead time, or negative stock in a count."""
    return [Exclusion(**r) for r in table_rows(ctx, supply_run_id, "exclusions")]

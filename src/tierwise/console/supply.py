"""供应链 in the console (R-OPS-9, docs/supply.md): a kept supply run's forecast vs actual per
category and tier, stock cover per SKU × warehouse, the proposed purchase orders and the
allocation of short stock, each with its reason in the page's language. Read-only; it calls
the same functions as ``/supply`` (``run_rows``, ``table_rows``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from tierwise.api.access import Action
from tierwise.api.supply import run_rows, table_rows
from tierwise.console.messages import translator
from tierwise.console.web import Page, PageDep

router = APIRouter(prefix="/console", include_in_schema=False)
HISTORY_WEEKS = 6  # actual weeks shown before the forecast weeks


def _n(v: float | None, digits: int = 1) -> str:
    return "–" if v is None else f"{v:,.{digits}f}"


def _grid(page: Page, rows: list[dict[str, Any]], level: str) -> dict[str, Any]:
    """Weeks × series of one level: the last actual weeks, then the forecast weeks."""
    mine = [r for r in rows if r["level"] == level]
    ahead = sorted({r["week"] for r in mine if r["actual"] is None})
    past = sorted({r["week"] for r in mine if r["actual"] is not None})[-HISTORY_WEEKS:]
    weeks = past + ahead
    cells: dict[str, dict[Any, str]] = {}
    for r in mine:
        if r["week"] in weeks:
            v = r["actual"] if r["actual"] is not None else r["forecast"]
            cells.setdefault(r["series"], {})[r["week"]] = _n(v, 0)
    label = page.tier_label if level == "tier" else (lambda s: s)
    series = [
        {"name": label(s), "cells": [cells[s].get(w, "") for w in weeks]} for s in sorted(cells)
    ]
    return {"weeks": [w.strftime("%m-%d") for w in weeks], "ahead": len(ahead), "series": series}


def _alloc_reason(page: Page, reason: str) -> str:
    for prefix, key in (
        ("in stock", "supply_alloc_full"),
        ("short: served in full", "supply_alloc_priority"),
        ("short: higher tiers", "supply_alloc_floor"),
        ("short:", "supply_alloc_pro_rata"),
    ):
        if reason.startswith(prefix):
            return translator(page.lang)(key)
    return reason


@router.get("/supply", response_class=HTMLResponse)
def supply_page(
    page: PageDep, run: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None
) -> Response:
    """The newest supply run (or ``run``): forecast vs actual, cover, orders, allocations."""
    page.require(Action.SUPPLY_READ)
    runs = run_rows(page.ctx, 20)
    chosen = run or (runs[0]["run_id"] if runs else None)
    if chosen is None:
        return page.render("supply.html", runs=[], run=None)
    fc = table_rows(page.ctx, chosen, "forecasts")
    levels = table_rows(page.ctx, chosen, "levels")
    by_pair = {(r["sku"], r["warehouse_id"]): r for r in levels}
    for r in levels:
        r["tier"] = page.tier_label(r["binding_tier"])
        r["shown"] = {
            k: _n(r[k]) for k in ("on_hand", "cover_days", "reorder_point", "order_up_to")
        }
    levels.sort(key=lambda r: (r["cover_days"] is None, r["cover_days"] or 0.0))
    orders = table_rows(page.ctx, chosen, "proposal")
    for o in orders:
        lv = by_pair.get((o["sku"], o["warehouse_id"]))
        o["why"] = (
            translator(page.lang)("supply_order_reason").format(
                position=_n(lv["position"]),
                rop=_n(lv["reorder_point"]),
                up_to=_n(lv["order_up_to"]),
                tier=page.tier_label(lv["binding_tier"]),
            )
            if lv
            else ""
        )
    allocs = table_rows(page.ctx, chosen, "allocations")
    for a in allocs:
        a["why"] = _alloc_reason(page, a["reason"])
        a["tier_shown"] = page.tier_label(a["tier"])
    allocs.sort(key=lambda a: (a["allocated"] >= a["quantity"] - 1e-9, a["sku"]))
    exclusions = table_rows(page.ctx, chosen, "exclusions")
    for e in exclusions:
        e["why"] = translator(page.lang)(f"supply_excl_{e['kind']}")
    return page.render(
        "supply.html",
        runs=runs,
        run=chosen,
        by_category=_grid(page, fc, "category"),
        by_tier=_grid(page, fc, "tier"),
        levels=levels[:60],
        orders=orders[:200],
        allocs=allocs[:200],
        short=sum(1 for a in allocs if a["allocated"] < a["quantity"] - 1e-9),
        exclusions=exclusions,
    )

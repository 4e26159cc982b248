"""Campaigns in the console (R-OPS-6, R-ANA-6, docs/campaigns.md): every campaign, and for
one campaign the funnel per tier (sent, delivered, opened, clicked, redeemed) and what it
earned against its holdout (incremental orders and margin with 95 % intervals, cost, ROI).
Read-only; it calls the same function as ``/campaigns/{name}/report``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from tierwise.api.access import Action
from tierwise.api.campaigns import campaign_report
from tierwise.console.web import PageDep
from tierwise.ops.campaigns import service

router = APIRouter(prefix="/console", include_in_schema=False)


def _ci(v: dict[str, Any] | None, fmt: str = "{:,.0f}") -> tuple[str, str]:
    if not v:
        return "–", ""
    mid = v.get("total", v.get("roi"))
    return fmt.format(mid), f"{fmt.format(v['ci_low'])} … {fmt.format(v['ci_high'])}"


@router.get("/campaigns", response_class=HTMLResponse)
def campaigns_page(
    page: PageDep,
    name: Annotated[str | None, Query(max_length=80, pattern=r"^[a-z0-9][a-z0-9_-]*$")] = None,
) -> Response:
    """Campaigns; the chosen one's (the newest by default) report per tier."""
    page.require(Action.CAMPAIGN_READ)
    rows = service.list_campaigns(page.ctx.engine)
    chosen = name or (rows[-1]["name"] if rows else None)
    tiers: list[dict[str, Any]] = []
    if chosen:
        rep = campaign_report(page.ctx, chosen, None, None)
        blocks = [*rep.get("by_tier", {}).items()]
        if rep.get("all"):
            blocks.append(("", rep["all"]))
        for tier, b in blocks:
            orders, orders_ci = _ci(b.get("incremental_orders"))
            margin, margin_ci = _ci(b.get("incremental_margin"))
            roi, roi_ci = _ci(b.get("roi"), "{:+.2f}")
            tiers.append({**b, "tier": tier, "orders": orders, "orders_ci": orders_ci,
                          "margin": margin, "margin_ci": margin_ci, "roi_shown": roi,
                          "roi_ci": roi_ci})  # fmt: skip
    return page.render(
        "campaigns.html", campaigns=rows, chosen=chosen, tiers=tiers, label=page.tier_label
    )

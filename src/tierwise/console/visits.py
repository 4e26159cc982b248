"""The account manager's day (R-OPS-8, docs/visits.md): the visits in route order with
arrival times, a sketch map of the route (inline SVG, no map tiles: the console works offline)
and check-in / check-out forms, usable on a phone (390 px). It calls the same functions as
``/visits`` (``read_day``, ``check_in_visit``, ``check_out_visit``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tierwise.api.access import Action, Role
from tierwise.api.visits import check_in_visit, check_out_visit, read_day
from tierwise.console.session import check_csrf
from tierwise.console.web import PageDep
from tierwise.ops.visits.policy import cached_policy
from tierwise.ops.visits.route import order_label
from tierwise.ops.visits.service import OUTCOMES

router = APIRouter(prefix="/console", include_in_schema=False)
Manager = Annotated[str | None, Query(max_length=40, pattern=r"^[A-Za-z0-9_.-]*$")]
W, H, PAD = 340, 240, 16  # the sketch map's size in px (fits a 390 px screen)


def sketch(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Points of the routed visits scaled into the map box (north up), in route order."""
    pts = [i for i in items if i["lat"] is not None and i["lon"] is not None]
    if not pts:
        return {"points": [], "path": ""}
    lats, lons = [p["lat"] for p in pts], [p["lon"] for p in pts]
    span = max(max(lats) - min(lats), max(lons) - min(lons), 1e-4)
    out = []
    for p in sorted(pts, key=lambda p: (p["seq"] is None, p["seq"] or 0)):
        x = PAD + (p["lon"] - min(lons)) / span * (W - 2 * PAD)
        y = H - PAD - (p["lat"] - min(lats)) / span * (H - 2 * PAD)
        out.append({"x": round(x, 1), "y": round(y, 1), "seq": p["seq"] or "", "id": p["id"]})
    return {"points": out, "path": " ".join(f"{p['x']},{p['y']}" for p in out)}


@router.get("/visits", response_class=HTMLResponse)
def visits_page(
    page: PageDep,
    day: Annotated[dt.date | None, Query()] = None,
    manager: Manager = None,
    error: Annotated[str, Query(max_length=400)] = "",
) -> Response:
    """A manager's visits of a day (today by default); account managers see their own."""
    page.require(Action.VISIT_READ)
    d = day or page.ctx.now().date()
    own = page.principal.role is Role.SALES
    items = [v.model_dump() for v in read_day(page.ctx, page.principal, manager or None, d)]
    policy = cached_policy(page.ctx.settings.visit_policy)
    for i in items:
        i["arrive"] = "" if i["eta_minute"] is None else order_label(i["eta_minute"], policy)
    return page.render(
        "visits.html",
        items=items,
        day=d,
        manager=page.principal.manager_id if own else (manager or ""),
        own=own,
        map=sketch(items),
        w=W,
        h=H,
        outcomes=OUTCOMES,
        may_checkin=page.may(Action.VISIT_CHECKIN),
        label=page.tier_label,
        back="/console/visits?" + urlencode({"day": d.isoformat(), "manager": manager or ""}),
        error=error,
    )


def _back(back: str, error: str = "") -> Response:
    target = back if back.startswith("/console/visits") else "/console/visits"  # never off-site
    if error:
        target += ("&" if "?" in target else "?") + urlencode({"error": error[:400]})
    return RedirectResponse(target, status_code=303)


@router.post("/visits/{visit_id}/checkin")
def visit_checkin(
    page: PageDep,
    visit_id: int,
    lat: Annotated[float, Form(ge=-90, le=90)],
    lon: Annotated[float, Form(ge=-180, le=180)],
    back: Annotated[str, Form(max_length=500)] = "/console/visits",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Check in where the phone is (the page fills the coordinates from the browser)."""
    check_csrf(page.request, csrf)
    page.require(Action.VISIT_CHECKIN)
    check_in_visit(page.ctx, page.principal, visit_id, lat, lon)
    return _back(back)


@router.post("/visits/{visit_id}/checkout")
def visit_checkout(
    page: PageDep,
    visit_id: int,
    outcome: Annotated[str, Form(max_length=16)],
    note: Annotated[str, Form(max_length=2000)] = "",
    back: Annotated[str, Form(max_length=500)] = "/console/visits",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Check out with the outcome and a note."""
    check_csrf(page.request, csrf)
    page.require(Action.VISIT_CHECKIN)
    check_out_visit(page.ctx, page.principal, visit_id, outcome, note or None)
    return _back(back)

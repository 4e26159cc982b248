"""The finance page (R-OPS-4, docs/credit.md): exposure by tier × risk band, overdue ageing,
open order holds and the customers whose stricter terms take effect at a coming run. It
calls the same service function as ``GET /credit/dashboard``."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from tierwise.api.access import Action
from tierwise.console.web import PageDep
from tierwise.ops.credit import service
from tierwise.ops.credit.policy import TERMS, cached_policy

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/credit", response_class=HTMLResponse)
def credit_page(page: PageDep) -> Response:
    """The finance dashboard."""
    page.require(Action.CREDIT_READ)
    policy = cached_policy(page.ctx.settings.credit_policy)
    with page.ctx.engine.connect() as conn:
        d = service.dashboard(conn, page.ctx.now().date())
    zh = page.lang == "zh"
    bands = {b.code: (b.label.zh if zh else b.label.en) for b in policy.bands}
    terms = {c: (z if zh else e) for c, (z, e) in TERMS.items()}
    return page.render(
        "credit.html",
        d=d,
        bands=bands,
        terms=terms,
        label=page.tier_label,
        overdue_days=policy.holds.overdue_days,
    )

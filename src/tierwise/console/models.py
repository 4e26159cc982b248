"""Console page of the registered models: versions, training windows and metrics."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from tierwise.api.access import Action
from tierwise.console.web import PageDep
from tierwise.explain.terms import rule_text
from tierwise.models.registry import list_models
from tierwise.models.warning_backtest import read_results
from tierwise.recommend.service import read_backtest

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/models", response_class=HTMLResponse)
def models_page(page: PageDep) -> Response:
    """Every registered model version, newest version of each name first, and the latest
    recommendation backtest (docs/recommendations.md) and the churn warning's precision and
    recall of next-period churn (``tierwise model warning``, issue 18 finding 10)."""
    page.require(Action.MODEL_LIST)
    cards = list_models(page.ctx.settings.models_dir)
    cards.sort(key=lambda c: (c.name, c.version), reverse=True)
    return page.render(
        "models.html",
        cards=cards,
        backtest=read_backtest(page.ctx.settings.home),
        warning=read_results(page.ctx.settings.models_dir),
        rule=lambda text: rule_text(text, page.lang),
        label=page.tier_label,
    )

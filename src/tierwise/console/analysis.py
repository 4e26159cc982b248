"""Console page of a run's evaluation (R-ANA-4, R-ANA-6): metrics per tier, migration from
the previous run and the effect of its tier changes; the sections of the HTML report."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from tierwise.analytics import texts
from tierwise.analytics.report import CSS, Analysis, analyze_run, render_sections
from tierwise.api.access import Action
from tierwise.api.schemas.common import RUN_ID_MAX
from tierwise.console.web import PageDep, policy_titles, run_name
from tierwise.errors import DataError, UsageError

router = APIRouter(prefix="/console", include_in_schema=False)
CACHE_TTL_S = 300.0


@router.get("/analysis", response_class=HTMLResponse)
def analysis_page(
    page: PageDep,
    run: Annotated[str | None, Query(max_length=RUN_ID_MAX)] = None,
    days: Annotated[int, Query(ge=1, le=365)] = 30,
) -> Response:
    """A published run's evaluation; the latest run unless ``run`` names another."""
    page.require(Action.ANALYTICS_READ)
    ctx, lang = page.ctx, page.lang
    runs, _ = ctx.runs.page(status="published", offset=0, limit=60)
    if not runs:
        return page.render("analysis.html", a=texts.translator(lang), runs=[], body=None)
    run_id = run or str(runs[0]["id"])
    key = f"console-analysis:{run_id}:{days}:{lang}"
    hit = ctx.cache.get(key)
    body: Markup | None = None
    error: str | None = None
    if hit is not None and time.monotonic() - hit[0] < CACHE_TTL_S:
        body = hit[1]
    else:
        s = ctx.settings
        try:
            analysis: Analysis = analyze_run(
                ctx.engine, s.lake_dir, run_id, days=days, runs_dir=s.runs_dir, lang=lang
            )
        except (DataError, UsageError) as err:  # e.g. no lake yet: say so on the page
            error = str(err)
        else:
            body = render_sections(analysis, lang)
            ctx.cache[key] = (time.monotonic(), body)
    return page.render(
        "analysis.html",
        a=texts.translator(lang),
        runs=runs,
        run_id=run_id,
        run_name=run_name,
        titles=policy_titles(ctx, lang),
        days=days,
        body=body,
        error=error,
        css=Markup(CSS),  # our own stylesheet, not user input
    )

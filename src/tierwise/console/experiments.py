"""Console pages of experiments, city pilots and spot checks (R-ANA-5, R-GRD-11).

The list with each experiment's power figure, one experiment's design, power check and
live result (the effect and its intervals drawn as a small interval chart), and the spot-check
queue with agree / disagree forms. The API's functions do the work (same checks, same audit).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tierwise.api.access import Action
from tierwise.console.session import check_csrf
from tierwise.console.web import PageDep
from tierwise.errors import TierwiseError
from tierwise.experiments import pilots, service, spotcheck
from tierwise.experiments.report import result_lines

router = APIRouter(prefix="/console", include_in_schema=False)
Code = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]


def interval_chart(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Positions (0-100 %) of each row's interval and estimate on one common axis with 0."""
    lo = min([0.0, *[r["lo"] for r in rows]])
    hi = max([0.0, *[r["hi"] for r in rows]])
    span = (hi - lo) or 1.0

    def pos(v: float) -> float:
        return float(round(100 * (v - lo) / span, 2))

    return {
        "zero": pos(0.0),
        "rows": [
            {
                **r,
                "left": pos(r["lo"]),
                "width": max(0.5, pos(r["hi"]) - pos(r["lo"])),
                "mark": pos(r["effect"]),
            }
            for r in rows
        ],
        "lo": lo,
        "hi": hi,
    }


@router.get("/experiments", response_class=HTMLResponse)
def experiments_page(page: PageDep) -> Response:
    """Experiments with their power figure, pilots and spot checks."""
    page.require(Action.EXPERIMENT_READ)
    e = page.ctx.engine
    return page.render(
        "experiments.html",
        experiments=service.list_experiments(e),
        pilots=pilots.list_pilots(e),
        checks=spotcheck.list_checks(e),
    )


@router.get("/experiments/{code}", response_class=HTMLResponse)
def experiment_page(
    page: PageDep,
    code: Code,
    as_of: Annotated[dt.date | None, Query()] = None,
) -> Response:
    """One experiment: design, power check, arms, log and the result as of a day."""
    page.require(Action.EXPERIMENT_READ)
    row = service.get(page.ctx.engine, code)
    result, error, chart = None, None, None
    if row["status"] != "draft":
        day = as_of or page.ctx.now().date()
        try:
            result = service.analyse_experiment(
                page.ctx.engine, code, page.ctx.settings.lake_dir, as_of=day
            )
        except TierwiseError as err:  # e.g. the window has not begun: say so on the page
            error = str(err)
    if result:
        rows = []
        for c in result["comparisons"]:
            p, v = c["primary"], c["always_valid"]
            rows.append(
                {
                    "label": f"{c['arm']} 95%",
                    "lo": p["ci_low"],
                    "hi": p["ci_high"],
                    "effect": p["effect"],
                    "kind": "fixed",
                }
            )
            rows.append(
                {
                    "label": f"{c['arm']} mSPRT",
                    "lo": v["ci_low"],
                    "hi": v["ci_high"],
                    "effect": p["effect"],
                    "kind": "valid",
                }
            )
        chart = interval_chart(rows)
    return page.render(
        "experiment.html",
        x=row,
        result=result,
        lines=result_lines(result, page.lang) if result else [],
        chart=chart,
        error=error,
    )


@router.get("/spot-checks/{check_id}", response_class=HTMLResponse)
def spot_check_page(page: PageDep, check_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> Response:
    """The review queue of one spot check and its agreement so far."""
    page.require(Action.EXPERIMENT_READ)
    return page.render(
        "spot_check.html",
        c=spotcheck.get_check(page.ctx.engine, check_id),
        may_review=page.may(Action.SPOTCHECK_REVIEW),
        label=page.tier_label,
    )


@router.post("/spot-checks/items/{item_id}")
def spot_check_review(
    page: PageDep,
    item_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    verdict: Annotated[str, Form(max_length=16)],
    reason: Annotated[str, Form(max_length=2000)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Agree or disagree from the queue page (audited like the API)."""
    check_csrf(page.request, csrf)
    page.require(Action.SPOTCHECK_REVIEW)
    now = page.ctx.now()
    c = spotcheck.review(
        page.ctx.engine,
        item_id,
        verdict,
        reason=reason or None,
        reviewer=page.principal.subject,
        now=now,
    )
    page.ctx.audit.record(
        page.principal,
        "spotcheck.review",
        now=now,
        target=str(item_id),
        detail={"verdict": verdict, "reason": reason},
    )
    return RedirectResponse(f"/console/spot-checks/{c['id']}", status_code=303)

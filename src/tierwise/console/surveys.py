"""NPS surveys in the console (R-OPS-8, docs/surveys.md): the waves, NPS per tier with its
95 % interval and the number of answers (the trend over waves), and a wave's answers with
comments masked unless the role sees personal data. Read-only; it calls the same functions
as ``/surveys`` (``nps_rows``, ``answer_rows``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from tierwise.api.access import Action
from tierwise.api.surveys import answer_rows, nps_rows
from tierwise.console.web import PageDep
from tierwise.ops.surveys import service

router = APIRouter(prefix="/console", include_in_schema=False)


def _fig(v: float | None) -> str:
    return "–" if v is None else f"{v:+.0f}"


@router.get("/surveys", response_class=HTMLResponse)
def surveys_page(
    page: PageDep, wave: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None
) -> Response:
    """Waves, NPS per tier and wave, and one wave's answers (the newest by default)."""
    page.require(Action.SURVEY_READ)
    waves = service.waves(page.ctx.engine)
    rows = nps_rows(page.ctx, None)
    for r in rows:
        r["shown"] = _fig(r["nps"])
        r["interval"] = "" if r["low"] is None else f"{_fig(r['low'])} … {_fig(r['high'])}"
        r["naive"] = _fig(r["nps_unweighted"])
        r["two_shown"] = _fig(r["nps_two_phase"]) if r["followup_wave_id"] else "–"
        r["two_interval"] = (
            f"{_fig(r['low_two_phase'])} … {_fig(r['high_two_phase'])}"
            if r["low_two_phase"] is not None
            else ""
        )
        r["two_counts"] = (
            f"{r['answers_followup']} / {r['subsampled']}" if r["followup_wave_id"] else ""
        )
    chosen = wave or (waves[0]["wave_id"] if waves else None)
    answers = answer_rows(page.ctx, page.principal, chosen) if chosen else []
    return page.render(
        "surveys.html",
        waves=waves,
        rows=rows,
        two_phase=any(r["followup_wave_id"] for r in rows),
        wave=chosen,
        answers=answers[:500],
        label=page.tier_label,
    )

"""The surveys module as the API and the console serve it (R-OPS-8): waves, NPS per tier,
answers with their free-text comment masked unless the role sees personal data (unmasked
reads audited). ``/surveys`` routes and the console page both call these."""

from __future__ import annotations

import math
from typing import Any

from tierwise.api.access import CustomerRef, Principal, sees_personal
from tierwise.api.deps import AppContext
from tierwise.ops.surveys import service
from tierwise.ops.surveys.policy import SurveyPolicy, load_survey_policy

MASK = "***"


def survey_policy(ctx: AppContext) -> SurveyPolicy:
    return load_survey_policy(ctx.settings.survey_policy)


def _num(v: Any) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


def nps_rows(ctx: AppContext, wave_ids: list[int] | None) -> list[dict[str, Any]]:
    """NPS per tier of each wave (oldest first), JSON-ready (NaN → None)."""
    df = service.report(ctx.engine, wave_ids)
    out = []
    for r in df.to_dict("records"):
        row = {str(k): v for k, v in r.items()}
        for k in ("nps", "low", "high", "nps_unweighted", "low_unweighted", "high_unweighted",
                  "nps_two_phase", "low_two_phase", "high_two_phase"):  # fmt: skip
            row[k] = _num(row[k])
        for k in ("followup_wave_id", "nonrespondents", "subsampled", "answers_followup"):
            row[k] = None if row[k] is None or row[k] != row[k] else int(row[k])
        row["tier"] = None if row["tier"] != row["tier"] else row["tier"]
        row["answers"], row["population"] = int(row["answers"]), int(row["population"])
        out.append(row)
    return out


def answer_rows(ctx: AppContext, principal: Principal, wave_id: int) -> list[dict[str, Any]]:
    """A wave's answers as ``principal`` may see them: the comment masked unless the role
    sees the customer's personal data; unmasked reads audited."""
    out, seen = [], []
    for r in service.answers(ctx.engine, wave_id):
        unmasked = sees_personal(principal, CustomerRef(r["customer_id"], r["account_manager"]))
        row = dict(r)
        if not unmasked and row["comment"] is not None:
            row["comment"] = MASK
        row["masked"] = not unmasked
        out.append(row)
        if unmasked and r["comment"] is not None:
            seen.append(r["customer_id"])
    if seen:
        ctx.audit.record(
            principal,
            "personal.read",
            now=ctx.now(),
            target=f"survey {wave_id}",
            detail={"customers": len(seen), "first": seen[:20], "via": "api surveys"},
            buffered=True,
        )
    return out

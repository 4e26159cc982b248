"""Console pages of experiments, city pilots and spot checks (R-ANA-5, R-GRD-11).

The list with each experiment's power figure, one experiment's design, power check and
live result (the effect and its intervals drawn as a small interval chart), and the spot-check
queue with agree / disagree forms. The API's functions do the work (same checks, same audit).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, get_args

from fastapi import APIRouter, Form, Path, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tierwise.api.access import Action
from tierwise.console.session import check_csrf
from tierwise.console.web import Page, PageDep
from tierwise.errors import TierwiseError
from tierwise.experiments import pilots, service, spotcheck
from tierwise.experiments.design import PRIMARY_METRICS, STRATA, TreatmentKind, parse_design
from tierwise.experiments.report import result_lines
from tierwise.tags.targets import AudienceSource

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
        may_manage=page.may(Action.EXPERIMENT_MANAGE),
    )


# The amount each treatment kind needs (the design's own rule, Treatment._needs_its_field) and
# whether it is a number; the form has one "amount" box for whichever kind is chosen.
AMOUNT: dict[str, tuple[str, type]] = {
    "rebate": ("rebate_pct", float),
    "discount": ("discount_pct", float),
    "coupon": ("coupon_amount", float),
    "visits": ("visits_per_month", int),
    "campaign": ("campaign", str),
    "terms": ("payment_terms", str),
    "service": ("service_level", str),
    "policy": ("policy", str),
}
KINDS = [k for k in get_args(TreatmentKind) if k != "none"]
#: payment terms as a Chinese user types them
TERMS_ZH = {
    "预付款": "prepaid",
    "预付": "prepaid",
    "现结": "cod",
    "周结": "weekly",
    "月结": "monthly",
}


def _split(text: str) -> list[str]:
    """``成都市、重庆市`` / ``a, b`` / ``a，b`` → the items (Chinese and ASCII separators)."""
    for sep in "、，;；\n":
        text = text.replace(sep, ",")
    return [t.strip() for t in text.split(",") if t.strip()]


def _tier_choices(page: Page) -> list[tuple[str, str]]:
    """The live policy's tiers (code, label in the page's language), top tier first."""
    from tierwise.api.views import run_policy
    from tierwise.console.web import labels

    rows, _ = page.ctx.runs.page(status="published", offset=0, limit=1)
    policy = run_policy(page.ctx.settings.runs_dir, rows[0]["id"], page.ctx.cache) if rows else None
    if policy is None:
        return []
    names = labels(page.ctx, page.lang)
    return [(lv.code, names.get(lv.code, lv.code)) for lv in policy.tiers.levels]


def _form_page(page: Page, form: dict[str, Any], errors: list[str], status: int = 200) -> Response:
    from tierwise.tags.service import audiences

    return page.render(
        "experiment_new.html",
        status=status,
        f=form,
        errors=errors,
        tiers=_tier_choices(page),
        audiences=[a["name"] for a in audiences(page.ctx.engine)],
        kinds=KINDS,
        metrics=PRIMARY_METRICS,
        strata=STRATA,
    )


def _design_from_form(form: dict[str, Any]) -> dict[str, Any]:
    """The design mapping a filled form stands for (parse_design checks it)."""
    kind = form["kind"]
    treatment: dict[str, Any] = {"kind": kind}
    field, typ = AMOUNT.get(kind, ("", str))
    if field and form["amount"].strip():
        raw = form["amount"].strip()
        raw = TERMS_ZH.get(raw, raw) if kind == "terms" else raw
        try:
            treatment[field] = typ(raw)
        except ValueError:
            treatment[field] = raw  # parse_design names the field and what it expects
    population: dict[str, Any] = {
        "tiers": form["tiers"],
        "provinces": _split(form["provinces"]),
        "cities": _split(form["cities"]),
    }
    if form["audience"]:
        population["audience"] = form["audience"]
    design: dict[str, Any] = {
        "code": form["code"],
        "name": form["name"],
        "hypothesis": form["hypothesis"] or None,
        "population": population,
        "arms": [
            {"code": "control", "weight": form["weight_control"]},
            {
                "code": form["arm"] or "treatment",
                "weight": form["weight_treatment"],
                "treatment": treatment,
            },
        ],
        "strata": form["strata"],
        "start": form["start"],
        "end": form["end"],
        "tail_days": form["tail_days"],
        "metric": form["metric"],
        "layer": form["layer"] or None,
    }
    if form["target_effect"] is not None:
        design["target_effect"] = form["target_effect"]
    return design


@router.get("/experiments/new", response_class=HTMLResponse)
def experiment_new_page(page: PageDep) -> Response:
    """The design form: population, treatment, window, metric (then a power check)."""
    page.require(Action.EXPERIMENT_MANAGE)
    today = page.ctx.now().date()
    start = today + dt.timedelta(days=7)
    form = {
        "code": "", "name": "", "hypothesis": "", "tiers": [], "provinces": "", "cities": "",
        "audience": "", "arm": "treatment", "kind": "rebate", "amount": "2",
        "weight_control": 1.0, "weight_treatment": 1.0, "strata": [],
        "start": start.isoformat(), "end": (start + dt.timedelta(days=29)).isoformat(),
        "tail_days": 14, "metric": "net_margin", "target_effect": None, "layer": "",
    }  # fmt: skip
    return _form_page(page, form, [])


@router.post("/experiments/new", response_class=HTMLResponse)
def experiment_create(
    page: PageDep,
    code: Annotated[str, Form(max_length=64)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    hypothesis: Annotated[str, Form(max_length=2000)] = "",
    tiers: Annotated[list[str] | None, Form(max_length=50)] = None,
    provinces: Annotated[str, Form(max_length=2000)] = "",
    cities: Annotated[str, Form(max_length=4000)] = "",
    audience: Annotated[str, Form(max_length=40)] = "",
    arm: Annotated[str, Form(max_length=32)] = "treatment",
    kind: Annotated[str, Form(max_length=16)] = "rebate",
    amount: Annotated[str, Form(max_length=80)] = "",
    weight_control: Annotated[float, Form(gt=0, le=100)] = 1.0,
    weight_treatment: Annotated[float, Form(gt=0, le=100)] = 1.0,
    strata: Annotated[list[str] | None, Form(max_length=5)] = None,
    start: Annotated[str, Form(max_length=10)] = "",
    end: Annotated[str, Form(max_length=10)] = "",
    tail_days: Annotated[int, Form(ge=0, le=365)] = 14,
    metric: Annotated[str, Form(max_length=40)] = "net_margin",
    target_effect: Annotated[str, Form(max_length=20)] = "",
    layer: Annotated[str, Form(max_length=40)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Save the design as a draft (audited) and open its page; the form again with every
    problem of the design otherwise."""
    check_csrf(page.request, csrf)
    page.require(Action.EXPERIMENT_MANAGE)
    form: dict[str, Any] = {
        "code": code.strip(), "name": name.strip(), "hypothesis": hypothesis.strip(),
        "tiers": tiers or [], "provinces": provinces, "cities": cities, "audience": audience,
        "arm": arm.strip(), "kind": kind, "amount": amount,
        "weight_control": weight_control, "weight_treatment": weight_treatment,
        "strata": strata or [], "start": start, "end": end, "tail_days": tail_days,
        "metric": metric, "target_effect": None, "layer": layer.strip(),
    }  # fmt: skip
    errors: list[str] = []
    if target_effect.strip():
        try:
            form["target_effect"] = float(target_effect)
        except ValueError:
            errors.append(f"target_effect: {target_effect!r}")
    if not errors:
        try:
            design = parse_design(_design_from_form(form), source="design")
            now = page.ctx.now()
            service.create(page.ctx.engine, design, actor=page.principal.subject, now=now)
        except TierwiseError as err:
            errors = list(err.fields.get("errors") or [str(err)])
        else:
            page.ctx.audit.record(page.principal, "experiment.create", now=now, target=design.code)
            return RedirectResponse(f"/console/experiments/{design.code}", status_code=303)
    return _form_page(page, form, errors, status=422)


@router.post("/experiments/{code}/preview", response_class=HTMLResponse)
def experiment_preview(
    page: PageDep, code: Code, csrf: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    """The power check and the arms' sizes a start would give, with the start button."""
    check_csrf(page.request, csrf)
    page.require(Action.EXPERIMENT_MANAGE)
    s = page.ctx.settings
    try:
        preview = service.preview(
            page.ctx.engine, code, s.lake_dir, audiences=AudienceSource(s.home, s.runs_dir)
        )
        error = None
    except TierwiseError as err:
        preview, error = None, str(err)
    return _experiment_view(page, code, None, preview=preview, preview_error=error)


@router.post("/experiments/{code}/start")
def experiment_start(
    page: PageDep,
    code: Code,
    force_reason: Annotated[str, Form(max_length=2000)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Start the draft (the assignment is fixed), audited like the API's start."""
    check_csrf(page.request, csrf)
    page.require(Action.EXPERIMENT_MANAGE)
    s, now = page.ctx.settings, page.ctx.now()
    try:
        service.start(
            page.ctx.engine, code, s.lake_dir, actor=page.principal.subject, now=now,
            force_reason=force_reason.strip() or None,
            audiences=AudienceSource(s.home, s.runs_dir),
        )  # fmt: skip
    except TierwiseError as err:
        return _experiment_view(page, code, None, preview_error=str(err))
    page.ctx.audit.record(
        page.principal, "experiment.start", now=now, target=code,
        detail={"forced_reason": force_reason.strip() or None},
    )  # fmt: skip
    return RedirectResponse(f"/console/experiments/{code}", status_code=303)


@router.get("/experiments/{code}", response_class=HTMLResponse)
def experiment_page(
    page: PageDep,
    code: Code,
    as_of: Annotated[dt.date | None, Query()] = None,
) -> Response:
    """One experiment: design, power check, arms, log and the result as of a day; a draft
    has the power-check and start buttons (for who may manage experiments)."""
    return _experiment_view(page, code, as_of)


def _experiment_view(
    page: Page,
    code: str,
    as_of: dt.date | None,
    *,
    preview: dict[str, Any] | None = None,
    preview_error: str | None = None,
) -> Response:
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
        preview=preview,
        preview_error=preview_error,
        may_manage=page.may(Action.EXPERIMENT_MANAGE),
        status=422 if preview_error else 200,
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
    back: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Agree or disagree from the queue page or a held run's page (audited like the API)."""
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
    if back.startswith("/console/runs/") and "//" not in back:  # the run page's panel
        return RedirectResponse(back, status_code=303)
    return RedirectResponse(f"/console/spot-checks/{c['id']}", status_code=303)

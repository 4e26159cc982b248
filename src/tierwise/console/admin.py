"""Console pages for the data team: policies (edit, validate, dry-run, publish) and runs."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tierwise.api import grading
from tierwise.api.access import Action
from tierwise.api.views import public_row, run_policy
from tierwise.console import policy_form
from tierwise.console.confirm import changed_page, live_policy, preview
from tierwise.console.messages import translator
from tierwise.console.session import check_csrf
from tierwise.console.web import PageDep, _policy_labels, policy_titles, run_name
from tierwise.errors import ConflictError, NotFoundError, TierwiseError, UsageError
from tierwise.policy import policy_hash

router = APIRouter(prefix="/console", include_in_schema=False)
Yaml = Annotated[str, Form(min_length=1, max_length=200_000)]
Csrf = Annotated[str, Form(max_length=100)]
CHANGED_PAGE = 25


def _default_as_of(page: PageDep) -> dt.date:
    rows, _ = page.ctx.runs.page(status="published", offset=0, limit=1)
    return rows[0]["as_of"] if rows else page.ctx.now().date()


@router.get("/policies", response_class=HTMLResponse)
def policies(page: PageDep) -> Response:
    page.require(Action.POLICY_LIST)
    return page.render("policies.html", files=page.ctx.policies.files(), live=live_policy(page.ctx))


@router.get("/policies/{name}", response_class=HTMLResponse)
def policy_edit(page: PageDep, name: str) -> Response:
    page.require(Action.POLICY_LIST)
    path = page.ctx.policies.path_of(name)
    if path is None:
        raise NotFoundError(f"no policy {name!r}", policy=name)
    text = path.read_text(encoding="utf-8")
    return page.render(
        "policy.html",
        name=name,
        file=path.name,
        text=text,
        fields=policy_form.fields(text, page.lang),
        as_of=_default_as_of(page),
        may_validate=page.may(Action.POLICY_VALIDATE),
        may_publish=page.may(Action.POLICY_PUBLISH),
    )


@router.post("/policies/{name}/form", response_class=HTMLResponse)
async def policy_from_fields(page: PageDep, name: str) -> Response:
    """A form field changed: the YAML with that number rewritten in place (htmx swaps the
    text area; a value that is not a number leaves the text as it is and says so)."""
    form = await page.request.form()
    check_csrf(page.request, str(form.get("csrf", "")))
    page.require(Action.POLICY_LIST)
    text = str(form.get("yaml", ""))[:200_000]
    values = {k[2:]: str(v)[:40] for k, v in form.items() if k.startswith("f:")}
    error = None
    try:
        edited = policy_form.apply(text, values)
        if edited == text:  # nothing to rewrite: leave the text area (and the caret) alone
            return Response(status_code=204)
        text = edited
    except UsageError as err:
        bad = str(err.fields.get("field", ""))
        error = translator(page.lang)("pf_not_a_number").format(value=values.get(bad, ""))
    return page.render("_policy_yaml.html", name=name, text=text, error=error)


@router.post("/policies/{name}/fields", response_class=HTMLResponse)
def policy_to_fields(page: PageDep, name: str, yaml: Yaml, csrf: Csrf = "") -> Response:
    """The YAML was edited: the form fields read again from it."""
    check_csrf(page.request, csrf)
    page.require(Action.POLICY_LIST)
    return page.render("_policy_fields.html", name=name, fields=policy_form.fields(yaml, page.lang))


@router.post("/policies/{name}/validate", response_class=HTMLResponse)
def policy_validate(page: PageDep, name: str, yaml: Yaml, csrf: Csrf = "") -> Response:
    """The check result as an htmx fragment: every problem with its file and key path."""
    check_csrf(page.request, csrf)
    page.require(Action.POLICY_VALIDATE)
    return _check_page(page, name, grading.check(yaml))


def _check_page(page: PageDep, name: str, result: dict[str, Any], status: int = 200) -> Response:
    """The check result with every problem in the page's language and its line."""
    problems = [{**p, "text": policy_form.problem_text(p, page.lang)} for p in result["problems"]]
    return page.render(
        "policy_check.html",
        status=status,
        result={**result, "problems": problems},
        file=f"{name}.yaml",
    )


@router.post("/policies/{name}/dry-run", response_class=HTMLResponse)
def policy_dry_run(
    page: PageDep,
    name: str,
    yaml: Yaml,
    as_of: Annotated[dt.date, Form()],
    csrf: Csrf = "",
    p: Annotated[int, Form(ge=1, le=100_000)] = 1,
) -> Response:
    """What the edited policy would change against the current tiers (nothing published):
    the current → new matrix with tiers in the policy's order, and the changed customers,
    25 a page (issue 18 finding 6)."""
    check_csrf(page.request, csrf)
    page.require(Action.POLICY_VALIDATE)
    result = grading.check(yaml)
    if not result["valid"]:
        return _check_page(page, name, result)
    policy = grading.parse_text(yaml)
    ctx = page.ctx
    try:
        diff = preview(ctx, policy, as_of)
    except TierwiseError as err:
        return _dry_run_failed(page, name, err)
    order = [lv.code for lv in policy.tiers.levels]
    present = {c["from_tier"] or "" for c in diff["matrix"]} | {
        c["to_tier"] or "" for c in diff["matrix"]
    }
    # the policy's tiers top first, then any other tier customers hold now, ungraded last
    tiers = [c for c in order if c in present] + sorted(present - set(order) - {""})
    tiers += [""] if "" in present else []
    cells = {(c["from_tier"] or "", c["to_tier"] or ""): c["customers"] for c in diff["matrix"]}
    chunk, pages = changed_page(diff, order, page=p, size=CHANGED_PAGE)
    names = {}
    for cid, *_ in chunk:
        row = ctx.customers.get(cid, full=False)
        names[cid] = public_row(row, page.principal)["name"] if row else ""
    return page.render(
        "policy_diff.html",
        diff=diff,
        tiers=tiers,
        cells=cells,
        label=page.tier_label,
        name=name,
        changed=chunk,
        names=names,
        p=min(p, pages),
        pages=pages,
    )


@router.post("/policies/{name}/publish", response_class=HTMLResponse)
def policy_publish(
    page: PageDep,
    name: str,
    yaml: Yaml,
    csrf: Csrf = "",
    as_of: Annotated[dt.date | None, Form()] = None,
    confirmed: Annotated[str, Form(max_length=3)] = "",
    undo_of: Annotated[int | None, Form(ge=1)] = None,
) -> Response:
    """Publish after a confirmation with the dry run's counts; the result offers an undo
    (the text the file had before, published again: audited as an undo)."""
    check_csrf(page.request, csrf)
    page.require(Action.POLICY_PUBLISH)
    result = grading.check(yaml)
    if not result["valid"]:
        return _check_page(page, name, result)
    policy = grading.parse_text(yaml)
    ctx, now = page.ctx, page.ctx.now()
    if confirmed != "yes":
        try:
            pv = preview(ctx, policy, as_of or _default_as_of(page))
        except TierwiseError as err:
            return _dry_run_failed(page, name, err)
        return page.render("policy_confirm.html", pv=pv, name=name, label=page.tier_label)
    digest = policy_hash(policy)
    # what an undo restores: the policy's file as it is now (publishing writes
    # <name>.yaml), else the file being edited
    path = ctx.policies.folder / f"{policy.name}.yaml"
    source = path if path.is_file() else ctx.policies.path_of(name)
    previous = source.read_text(encoding="utf-8") if source is not None else None
    version = ctx.policies.record_publication(
        policy.name, digest, yaml, author=page.principal.subject, now=now
    )
    detail: dict[str, object] = {"policy_hash": digest, "version_id": version, "via": "console"}
    if undo_of is not None:
        detail["undo_of"] = undo_of
    ctx.audit.record(
        page.principal,
        "policy.publish.undo" if undo_of is not None else "policy.publish",
        now=now,
        target=policy.name,
        detail=detail,
    )
    return page.render(
        "policy_published.html",
        name=policy.name,
        digest=digest,
        version=version,
        undo=undo_of is not None,
        previous=None if undo_of is not None or previous == yaml else previous,
    )


def _dry_run_failed(page: PageDep, name: str, err: TierwiseError) -> Response:
    result = {"valid": False, "problems": [{"path": "(dry-run)", "message": err.message}]}
    return _check_page(page, name, result, status=422)


@router.get("/runs", response_class=HTMLResponse)
def runs(page: PageDep, p: Annotated[int, Query(ge=1, le=100_000)] = 1) -> Response:
    """Runs, newest first; while one is running, htmx polls the table every 2 s."""
    page.require(Action.RUN_LIST)
    rows, total = page.ctx.runs.page(status=None, offset=(p - 1) * 25, limit=25)
    partial = page.request.headers.get("hx-request") == "true"
    return page.render(
        "runs_table.html" if partial else "runs.html",
        rows=rows,
        total=total,
        p=p,
        running=any(r["status"] == "running" for r in rows),
        files=page.ctx.policies.files() if not partial else [],
        live=live_policy(page.ctx),
        titles=policy_titles(page.ctx, page.lang),
        run_name=run_name,
        as_of=_default_as_of(page),
        may_start=page.may(Action.RUN_START),
    )


def _run_page(
    page: PageDep, run_id: str, *, error: str | None = None, status: int = 200
) -> Response:
    from tierwise.pipeline.review import gate

    row = page.ctx.runs.get(run_id)  # 404 for an unknown run
    g = gate(page.ctx.engine, run_id)
    # a held run's tiers are named by its own policy (the current run's may differ)
    own = _policy_labels(page.ctx, run_id).get("en" if page.lang == "en" else "zh", {})
    t = translator(page.lang)

    def label(code: str | None) -> str:
        return own.get(code, page.tier_label(code)) if code else page.tier_label(code)

    def stratum(value: str) -> str:
        direction, _, tier = value.partition(":")
        return f"{t('spot_dir_' + direction)} · {label(tier if tier != '-' else None)}"

    titles = policy_titles(page.ctx, page.lang)
    policy = run_policy(page.ctx.settings.runs_dir, run_id, page.ctx.cache)
    if policy is not None and policy.title is not None:
        titles.setdefault(policy.name, policy.title.text(page.lang))
    return page.render(
        "run.html",
        status=status,
        r=row,
        c=g["check"],
        unreviewed=g["unreviewed"],
        titles=titles,
        run_name=run_name,
        label=label,
        stratum=stratum,
        may_review=page.may(Action.SPOTCHECK_REVIEW),
        may_release=page.may(Action.RUN_RELEASE),
        error=error,
    )


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(page: PageDep, run_id: Annotated[str, Path(min_length=1, max_length=120)]) -> Response:
    """One run; a run held for its spot check shows its sample, the review forms and the
    release button (R-GRD-11, docs/runs.md)."""
    page.require(Action.RUN_LIST)
    return _run_page(page, run_id)


@router.post("/runs/{run_id}/publish")
def run_release(
    page: PageDep, run_id: Annotated[str, Path(min_length=1, max_length=120)], csrf: Csrf = ""
) -> Response:
    """Release a held run once its spot check is finished (audited like the API)."""
    from tierwise.pipeline.review import release_run

    check_csrf(page.request, csrf)
    page.require(Action.RUN_RELEASE)
    ctx = page.ctx
    page.ctx.runs.get(run_id)
    try:
        done = release_run(
            ctx.engine,
            run_id,
            runs=ctx.settings.runs_dir,
            lake=ctx.settings.lake_dir,
            actor=page.principal.subject,
            clock=ctx.now,
        )
    except ConflictError as err:
        return _run_page(page, run_id, error=err.message, status=409)
    ctx.audit.record(
        page.principal,
        "run.release",
        now=ctx.now(),
        target=run_id,
        detail={"check_id": done.check_id, "changes": done.summary.changes, "via": "console"},
    )
    return RedirectResponse(f"/console/runs/{run_id}", status_code=303)


@router.post("/runs")
def run_start(
    page: PageDep,
    policy: Annotated[str, Form(min_length=1, max_length=80)],
    as_of: Annotated[dt.date, Form()],
    csrf: Csrf = "",
    confirmed: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """Start a run once confirmed; first a confirmation page with the dry run's counts."""
    check_csrf(page.request, csrf)
    page.require(Action.RUN_START)
    ctx = page.ctx
    path = ctx.policies.path_of(policy)
    if path is None:
        raise NotFoundError(f"no policy {policy!r}", policy=policy)
    parsed = grading.parse_text(path.read_text(encoding="utf-8"), source=path.name)
    if confirmed != "yes":
        title = parsed.title.text(page.lang) if parsed.title else parsed.name
        return page.render(
            "run_confirm.html",
            pv=preview(ctx, parsed, as_of),
            policy=policy,
            title=title,
            as_of=as_of,
            label=page.tier_label,
        )
    run_id, _thread = grading.start_run(
        ctx.engine,
        parsed,
        as_of=as_of,
        lake=ctx.settings.lake_dir,
        runs=ctx.settings.runs_dir,
        policy_dir=path.parent,
        now=ctx.now(),
        trigger="console",
    )
    ctx.audit.record(
        page.principal,
        "run.start",
        now=ctx.now(),
        target=run_id,
        detail={"policy": policy, "via": "console"},
    )
    return RedirectResponse("/console/runs", status_code=303)

"""Console pages for staff and customers: sign-in, dashboard, customer list, 360°, my tier."""

from __future__ import annotations

import json
import logging
import time
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tierwise.api.access import Action, CustomerRef, decide, scope
from tierwise.api.auth import issue_token
from tierwise.api.deps import Ctx
from tierwise.api.repos.customers import SORTS, CustomerFilter
from tierwise.api.routers.auth import client_address
from tierwise.api.routers.overrides import end_override, set_override
from tierwise.api.selfview import my_view
from tierwise.api.tabular import csv_row
from tierwise.api.views import benefits_of, public_row, run_policy, upgrade_of
from tierwise.console.benefits import benefit_name, params_text
from tierwise.console.messages import translator
from tierwise.console.session import SESSION_COOKIE, check_csrf, finish
from tierwise.console.tasks import retention_block
from tierwise.console.unavailable import unavailable_block
from tierwise.console.web import (
    Page,
    PageDep,
    csv_download,
    current_run_id,
    home_of,
    labels,
    policy_titles,
    render,
    run_name,
)
from tierwise.errors import (
    AuthenticationError,
    DataError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
)
from tierwise.explain.terms import feature_name
from tierwise.features.catalog import CATALOG
from tierwise.models.publish import read_predictions
from tierwise.ops.benefits.ledger import customer_grants, customer_redemptions
from tierwise.ops.retention import manager_names
from tierwise.recommend.service import read_lists

log = logging.getLogger(__name__)
router = APIRouter(prefix="/console", include_in_schema=False)
PAGE_SIZE = 25
MY_USES = 20  # the own view's latest uses of benefits
EXPORT_LIMIT = 10_000
Opt = Annotated[str | None, Query(max_length=80)]


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, ctx: Ctx) -> Response:
    resp = HTMLResponse(render(request, "login.html", error=None))
    return finish(request, resp, secure=ctx.settings.env == "production")


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    ctx: Ctx,
    username: Annotated[str, Form(max_length=80)],
    password: Annotated[str, Form(max_length=200)],
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    check_csrf(request, csrf)
    try:
        principal = ctx.throttle.sign_in(
            ctx.users, username, password, client_address(request), ctx.now()
        )
    except AuthenticationError:
        html = render(request, "login.html", error="login_failed")
        return HTMLResponse(html, status_code=401)
    except RateLimitedError as err:
        html = render(request, "login.html", error="login_throttled")
        retry = str(err.fields["retry_after"])
        return HTMLResponse(html, status_code=429, headers={"Retry-After": retry})
    minutes = ctx.settings.token_minutes
    token = issue_token(principal, ctx.signing_key, now=ctx.now(), minutes=minutes)
    resp = RedirectResponse(home_of(principal), status_code=303)
    resp.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=minutes * 60,
        httponly=True,
        samesite="lax",
        secure=ctx.settings.env == "production",
    )
    return resp


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form(max_length=100)] = "") -> Response:
    check_csrf(request, csrf)
    resp = RedirectResponse("/console/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE)
    return resp


@router.get("/", response_class=HTMLResponse)
def dashboard(page: PageDep) -> Response:
    page.require(Action.ANALYTICS_READ)
    data = _dashboard_data(page)
    value = data["value"]
    return page.render(
        "dashboard.html",
        value=value,
        total=sum(v["customers"] for v in value),
        data_json=json.dumps(data, ensure_ascii=False).replace("</", "<\\/"),
        label=page.tier_label,
        migration_runs=data["migration_runs"],
    )


DASHBOARD_TTL_S = 60.0


def _dashboard_data(page: Page) -> dict[str, Any]:
    """The dashboard's aggregates, cached per (published run, row scope) for up to 60 s.

    They only change when a run is published (or, for overrides and events, slowly).
    """
    ctx, sc = page.ctx, scope(page.principal)
    key = f"console-dashboard:{current_run_id(ctx)}:{sc}:{page.lang}"
    hit = ctx.cache.get(key)
    if hit is not None and time.monotonic() - hit[0] < DASHBOARD_TTL_S:
        cached: dict[str, Any] = hit[1]
        return cached
    an = ctx.analytics
    lab = labels(page.ctx, page.lang)
    titles = policy_titles(ctx, page.lang)
    # Each run's counts and the last migration are recorded at publication, and value,
    # provinces and cuisines come from one scan of a covering index: a cold render at 100 000
    # customers is under 0.2 s (it was 1-2 s; bench/bench_console.py, docs/benchmarks.md).
    runs = an.over_runs(12)
    migration = an.migration(runs[-2]["run_id"], runs[-1]["run_id"]) if len(runs) >= 2 else []
    summary = an.profile_summary(sc)
    value = sorted(summary["value"], key=lambda v: page.tier_rank(v["tier"]))
    data = {
        "labels": {**lab, "": page.tier_label(None)},
        "value": value,
        "province": summary["province"],
        "cuisine": summary["cuisine"],
        "runs": [
            {"run_id": r["run_id"], "as_of": r["as_of"].isoformat(), "tiers": r["tiers"]}
            for r in runs
        ],
        "migration": migration,
        "migration_runs": [run_name(r, titles) for r in runs[-2:]] if len(runs) >= 2 else [],
        "tags": an.tag_counts(sc),
    }
    ctx.cache[key] = (time.monotonic(), data)
    return data


def _filter(
    tier: str | None,
    layer: str | None,
    tag: str | None,
    province: str | None,
    manager: str | None,
    q: str | None,
) -> CustomerFilter:
    def v(x: str | None) -> str | None:
        return x.strip() or None if x else None

    return CustomerFilter(
        tier=v(tier),
        layer=v(layer),
        tag=v(tag),
        province=v(province),
        account_manager=v(manager),
        q=v(q),
    )


@router.get("/customers", response_class=HTMLResponse)
def customer_list(
    page: PageDep,
    tier: Opt = None,
    layer: Opt = None,
    tag: Opt = None,
    province: Opt = None,
    manager: Opt = None,
    q: Opt = None,
    p: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    sort: Annotated[str, Query(pattern="^-?[a-z_]{1,40}$")] = "customer_id",
) -> Response:
    """The list; an htmx request (``HX-Request``) gets only the table. ``sort`` is a column
    of ``SORTS`` (``-`` first: descending)."""
    page.require(Action.CUSTOMER_LIST)
    f = _filter(tier, layer, tag, province, manager, q)
    ctx = page.ctx
    key = sort.lstrip("-")
    if key not in SORTS:
        raise DataError(
            f"cannot sort by {key!r}", hint="one of " + ", ".join(SORTS), field="sort", value=key
        )
    order = list(labels(ctx, page.lang))
    rows, total = ctx.customers.page(
        f,
        scope(page.principal),
        offset=(p - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
        sort=key,
        descending=sort.startswith("-"),
        tier_order=order,
    )
    items = [
        {**public_row(r, page.principal), "churn_probability": r.get("churn_probability")}
        for r in rows
    ]
    unmasked = [i["customer_id"] for i in items if not i["masked"]]
    if unmasked:
        ctx.audit.record(
            page.principal,
            "personal.read",
            now=ctx.now(),
            target="customers",
            detail={"customers": len(unmasked), "first": unmasked[:20], "via": "console"},
            buffered=True,
        )
    params = {
        "tier": tier,
        "layer": layer,
        "tag": tag,
        "province": province,
        "manager": manager,
        "q": q,
    }
    query = urlencode({k: v for k, v in params.items() if v})
    sorted_query = urlencode({k: v for k, v in {**params, "sort": sort}.items() if v})
    partial = page.request.headers.get("hx-request") == "true"
    okey = f"console-options:{scope(page.principal)}:{current_run_id(ctx)}:{page.lang}"
    opts = ctx.cache.get(okey)
    if opts is None:
        opts = {
            "tiers": [
                r["tier"] for r in ctx.analytics.value_by_tier(scope(page.principal)) if r["tier"]
            ],
            "tags": [r["tag"] for r in ctx.analytics.tag_counts(scope(page.principal))],
            "provinces": sorted(
                {r["key"] for r in ctx.analytics.distribution("province", scope(page.principal))}
            ),
            "managers": _manager_options(page),
            "layers": _layer_options(page),
        }
        ctx.cache[okey] = opts
    return page.render(
        "customers_table.html" if partial else "customers.html",
        items=items,
        total=total,
        p=p,
        pages=max(1, -(-total // PAGE_SIZE)),
        params=params,
        query=query,
        sorted_query=sorted_query,
        sort=sort,
        sorts=SORTS,
        opts=opts,
        label=page.tier_label,
        may_export=page.may(Action.EXPORT),
    )


def _manager_options(page: Page) -> list[tuple[str, str]]:
    """``(code, label)`` of the account managers in the principal's scope, labelled by name
    from the lake's ``account_managers`` (issue 18 item 4: "张伟 (AM001)"), sorted by label;
    the code alone where the lake has no name for it."""
    codes = {
        r["key"]
        for r in page.ctx.analytics.distribution("account_manager", scope(page.principal))
        if r["key"] != "None"
    }
    try:
        names = manager_names(page.ctx.settings.lake_dir)
    except (OSError, ValueError) as err:  # an unreadable lake: codes still filter
        log.warning("account manager names unavailable: %s", err)
        names = {}
    return sorted(
        ((c, f"{names[c]} ({c})" if c in names else c) for c in codes), key=lambda o: o[1]
    )


#: the export's columns (issue 18 finding 5): the code header (``?codes=1``) and the key of
#: its Chinese / English header in the message catalog
EXPORT_COLUMNS = (
    ("customer_id", "id"),
    ("name", "name"),
    ("tier", "tier"),
    ("layers", "layer"),
    ("tags", "tags"),
    ("score", "score"),
    ("province", "region"),
    ("city", "x_city"),
    ("cuisine", "cuisine"),
    ("account_manager", "manager"),
    ("contact_name", "contact"),
    ("phone", "phone"),
    ("address", "x_address"),
    ("spend_365d", "x_spend_365d"),
    ("ltv", "ltv"),
)
_MONEY = {"spend_365d", "ltv"}


def export_row(pub: dict[str, Any], page: Page) -> list[Any]:
    """One exported customer: tier, layer and tag names in the page's language, numbers as
    numbers (``csv_row`` writes money with two decimals; masking applied by ``public_row``)."""
    lab = labels(page.ctx, page.lang)
    sep = "；" if page.lang == "zh" else "; "
    out: list[Any] = []
    for col, _key in EXPORT_COLUMNS:
        v = pub.get(col)
        if col == "tier":
            out.append(page.tier_label(v))
        elif col == "layers":
            out.append(
                sep.join(
                    f"{lab.get(f'layer:{k}', k)}：{lab.get(str(x), str(x))}"
                    if page.lang == "zh"
                    else f"{lab.get(f'layer:{k}', k)}: {lab.get(str(x), str(x))}"
                    for k, x in (v or {}).items()
                )
            )
        elif col == "tags":
            out.append(sep.join(lab.get(t, t) for t in v or []))
        elif v is None or col in _MONEY or col == "score":
            out.append(v)  # numbers: csv_row writes money with two decimals
        else:
            out.append(str(v))
    return out


def _layer_options(page: Page) -> list[tuple[str, str]]:
    """``(layer:level, "品类偏好：综合型")`` for every level of the current policy's layers."""
    ctx = page.ctx
    policy = run_policy(ctx.settings.runs_dir, current_run_id(ctx), ctx.cache)
    if policy is None:
        return []
    sep = "：" if page.lang == "zh" else ": "
    return [
        (f"{name}:{lv.code}", f"{layer.label.text(page.lang)}{sep}{lv.label.text(page.lang)}")
        for name, layer in policy.layers.items()
        for lv in layer.levels
    ]


@router.get("/customers.csv")
def export_csv(
    page: PageDep,
    tier: Opt = None,
    layer: Opt = None,
    tag: Opt = None,
    province: Opt = None,
    manager: Opt = None,
    q: Opt = None,
    codes: Annotated[bool, Query(description="code headers (customer_id ...) instead")] = False,
) -> Response:
    """The filtered list as CSV for Excel (UTF-8 with BOM), masked for the caller's role:
    headers in the page's language (codes on request), tier, layer and tag names, money with
    two decimals."""
    page.require(Action.EXPORT)
    f = _filter(tier, layer, tag, province, manager, q)
    rows = page.ctx.customers.iterate(f, scope(page.principal), limit=EXPORT_LIMIT)
    t = translator(page.lang)
    cols = [c for c, _k in EXPORT_COLUMNS]
    out = [  # money, formulas defused
        csv_row(cols, export_row(public_row(r, page.principal), page)) for r in rows
    ]
    page.ctx.audit.record(
        page.principal,
        "export",
        now=page.ctx.now(),
        target="customers",
        detail={"rows": len(rows), "via": "console"},
    )
    return csv_download([c if codes else t(k) for c, k in EXPORT_COLUMNS], out, "customers.csv")


_UNITS = {
    "zh": {"yuan": "元", "days": "天", "orders": "单", "pct": "%"},
    "en": {"yuan": "yuan", "days": "days", "orders": "orders", "pct": "%"},
}


def _feature(name: str, value: Any, lang: str) -> tuple[str, str]:
    """A feature's label and its value with a unit."""
    u = _UNITS[lang]
    if isinstance(value, bool) or value is None:
        return feature_name(name, lang), "—" if value is None else str(value)
    if not isinstance(value, int | float):
        return feature_name(name, lang), str(value)
    if name.endswith(("_rate", "_growth")) or name.startswith("share_"):
        text = f"{value * 100:.1f} {u['pct']}"
    elif any(k in name for k in ("spend", "amount", "margin", "ltv", "cost", "limit")):
        text = f"{value:,.2f} {u['yuan']}"
    elif name.endswith("_days") or name.startswith("days_"):
        one = lang == "en" and round(value) == 1  # "1 day", not "1 days"
        text = f"{value:,.0f} {'day' if one else u['days']}"
    elif name.startswith("orders"):
        text = f"{value:,.0f} {u['orders']}"
    else:
        text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return feature_name(name, lang), text


@router.get("/customers/{customer_id}", response_class=HTMLResponse)
def customer_360(page: PageDep, customer_id: str) -> Response:
    page.require(Action.CUSTOMER_READ)
    ctx = page.ctx
    row = ctx.customers.get(customer_id, full=True)
    if row is None:
        raise NotFoundError(f"no customer {customer_id!r}", customer_id=customer_id)
    d = decide(
        page.principal,
        Action.CUSTOMER_READ,
        CustomerRef(row["customer_id"], row["account_manager"]),
    )
    if not d:
        raise PermissionDeniedError(d.reason, action=Action.CUSTOMER_READ.value)
    profile = public_row(row, page.principal)
    if not profile["masked"]:
        ctx.audit.record(
            page.principal, "personal.read", now=ctx.now(), target=customer_id, buffered=True
        )
    shown = {
        k: v
        for k, v in (row.get("features") or {}).items()
        if isinstance(v, int | float)  # ids and texts are in the profile already
    }
    for k in list(shown):  # an alias shows once, under the feature it repeats
        if (f := CATALOG.get(k)) and f.alias_of in shown:
            del shown[k]
    order = {name: i for i, name in enumerate(CATALOG)}  # the catalog's groups, not A-Z codes
    ranked = sorted(shown.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))
    features = [_feature(k, v, page.lang) for k, v in ranked]
    return page.render(
        "customer.html",
        c=profile,
        **_override_block(page, row),
        **retention_block(page, row),
        **unavailable_block(page, row),
        features=features,
        explanation=row.get("explanation") or [],
        history=ctx.customers.history(customer_id),
        benefits=benefits_of(ctx.settings.runs_dir, row.get("run_id"), row.get("tier"), ctx.cache),
        upgrade=upgrade_of(row),
        label=page.tier_label,
        feature=lambda n, v: _feature(n, v, page.lang),
        predictions=read_predictions(ctx.engine, customer_id),
        recs=recommendations_block(page, row),
    )


def recommendations_block(page: Page, row: dict[str, Any]) -> dict[str, Any] | None:
    """The stored product lists of the customer in ``row`` if ``decide`` lets the role read
    them (templates/_recommendations.html; docs/recommendations.md), else None."""
    ref = CustomerRef(row["customer_id"], row["account_manager"])
    if not decide(page.principal, Action.RECOMMEND_READ, ref):
        return None
    return read_lists(page.ctx.engine, row["customer_id"])


def _override_block(page: Page, row: dict[str, Any]) -> dict[str, Any]:
    """What the 360° page's override block (templates/_override.html) shows: the active
    override if the role may list overrides, and the form if ``decide`` lets it write one."""
    ref = CustomerRef(row["customer_id"], row["account_manager"])
    if not decide(page.principal, Action.OVERRIDE_LIST, ref):
        return {"show_override": False}
    active = page.ctx.overrides.active(scope(page.principal), row["customer_id"], page.ctx.now())
    may_write = decide(page.principal, Action.OVERRIDE_WRITE, ref).allowed
    return {
        "show_override": True,
        "override": active,
        "may_override": may_write,
        "override_tiers": page.ctx.runs.current_tiers() if may_write else [],
    }


@router.post("/customers/{customer_id}/override")
def customer_override(
    page: PageDep,
    customer_id: str,
    tier: Annotated[str, Form(max_length=40)],
    reason: Annotated[str, Form(max_length=2000)] = "",
    days: Annotated[int, Form(ge=1, le=366)] = 30,
    csrf: Annotated[str, Form(max_length=100)] = "",
    confirmed: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """Set an override from the 360° page (the API's own code: decide, audit), after a
    confirmation page that shows the customer's move (up or down) and the expiry."""
    check_csrf(page.request, csrf)
    page.require(Action.OVERRIDE_WRITE)
    if confirmed != "yes":
        row = page.ctx.customers.get(customer_id, full=False)
        if row is None:
            raise NotFoundError(f"no customer {customer_id!r}", customer_id=customer_id)
        ref = CustomerRef(row["customer_id"], row["account_manager"])
        d = decide(page.principal, Action.OVERRIDE_WRITE, ref)
        if not d:
            raise PermissionDeniedError(d.reason, action=Action.OVERRIDE_WRITE.value)
        if not reason.strip():
            raise DataError("an override needs a reason", hint="say why", field="reason")
        order = page.ctx.runs.current_tiers()
        if tier not in order:
            raise DataError(f"tier {tier!r} is not a tier of the current policy", field="tier")
        now_rank = order.index(row["tier"]) if row.get("tier") in order else len(order)
        new_rank = order.index(tier)
        direction = "same" if new_rank == now_rank else "up" if new_rank < now_rank else "down"
        return page.render(
            "override_confirm.html",
            c=public_row(row, page.principal),
            tier=tier,
            days=days,
            reason=reason.strip(),
            until=page.ctx.now() + timedelta(days=days),
            direction=direction,
            label=page.tier_label,
        )
    set_override(page.ctx, page.principal, customer_id, tier, reason, days)
    return RedirectResponse(f"/console/customers/{customer_id}#override", status_code=303)


@router.post("/customers/{customer_id}/override/{override_id}/clear")
def customer_override_clear(
    page: PageDep,
    customer_id: str,
    override_id: int,
    reason: Annotated[str, Form(max_length=2000)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Clear (revoke) an override from the 360° page; a reason is required (audit log)."""
    check_csrf(page.request, csrf)
    page.require(Action.OVERRIDE_WRITE)
    if not reason.strip():
        raise DataError("clearing an override needs a reason", hint="say why", field="reason")
    if page.ctx.overrides.get(override_id)["customer_id"] != customer_id:
        raise NotFoundError(f"no override {override_id} of {customer_id!r}")
    end_override(page.ctx, page.principal, override_id, reason)
    return RedirectResponse(f"/console/customers/{customer_id}#override", status_code=303)


@router.get("/me", response_class=HTMLResponse)
def my_tier(page: PageDep) -> Response:
    """The customer-facing view (R-INT-3): the same fields as the API's ``/me``, decided by
    ``access.self_view_fields``: badge, benefits, progress in numbers, own tier history."""
    page.require(Action.SELF_READ)
    view = my_view(page.ctx, page.principal)
    names = {t["code"]: t["label"].get(page.lang, t["code"]) for t in view["tiers"]}
    prog = view["progress"]
    bar = None
    if prog and prog["items"] and prog["items"][0]["current"] is not None:
        first = prog["items"][0]
        whole = first["current"] + first["amount"]
        bar = max(0.0, min(100.0, 100.0 * first["current"] / whole)) if whole > 0 else 0.0
    row = page.ctx.customers.get(view["customer_id"])
    # the customer's own grants and latest uses (R-OPS-2), read as GET /customers/{id}/benefits
    engine = page.ctx.engine
    grants = customer_grants(engine, view["customer_id"])
    uses = customer_redemptions(engine, view["customer_id"], MY_USES)
    return page.render(
        "me.html",
        me=view,
        grants=grants,
        uses=uses,
        uses_limit=MY_USES,
        bname=lambda code, kind=None: benefit_name(code, kind, page.lang),
        bparams=lambda p: params_text(p, page.lang),
        recs=recommendations_block(page, row) if row else None,
        progress=prog,
        bar=bar,
        tier_name=lambda code: names.get(code, page.tier_label(code)) if code else "",
    )

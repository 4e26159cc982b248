"""Shared plumbing of the console pages: templates, the caller, access checks, labels."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from tierwise.api.access import Action, Principal, decide
from tierwise.api.deps import AppContext, Ctx
from tierwise.api.views import run_policy
from tierwise.console.messages import benefit_text, code_text, metric_text, translator
from tierwise.console.session import csrf_token, finish, language, principal_of
from tierwise.errors import PermissionDeniedError
from tierwise.policy.schema import Level

HERE = Path(__file__).parent
ENV = Environment(
    loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"])
)

# Front-end packages installed from the npm registry by scripts/setup.sh
NPM_PACKAGES = {"echarts": "echarts/dist", "htmx": "htmx.org/dist"}


def vendor_dir() -> Path:
    """Where scripts/setup.sh installs the npm packages (``TIERWISE_STATIC_DIR`` overrides)."""
    env = os.environ.get("TIERWISE_STATIC_DIR")
    if env:
        return Path(env)
    return HERE.parents[2] / "var" / "static" / "node_modules"


# Which pages a role reaches from the menu: each entry names the action its page needs
NAV = (
    ("dashboard", "/console/", Action.ANALYTICS_READ),
    ("customers", "/console/customers", Action.CUSTOMER_LIST),
    ("policies", "/console/policies", Action.POLICY_LIST),
    ("runs", "/console/runs", Action.RUN_LIST),
    ("models", "/console/models", Action.MODEL_LIST),
    ("analysis", "/console/analysis", Action.ANALYTICS_READ),
    ("tasks", "/console/tasks", Action.TASK_LIST),
    ("tags_page", "/console/tags", Action.TAG_READ),
    ("audiences", "/console/audiences", Action.AUDIENCE_READ),
    ("experiments", "/console/experiments", Action.EXPERIMENT_READ),
    ("credit", "/console/credit", Action.CREDIT_READ),
    ("benefits_page", "/console/benefits", Action.BENEFIT_READ),
    ("rebates", "/console/rebates", Action.REBATE_READ),
    ("service_page", "/console/service", Action.SERVICE_QUEUE),
    ("prices", "/console/prices", Action.PRICE_READ),
    ("visits", "/console/visits", Action.VISIT_READ),
    ("surveys", "/console/surveys", Action.SURVEY_READ),
    ("supply", "/console/supply", Action.SUPPLY_READ),
    ("campaigns", "/console/campaigns", Action.CAMPAIGN_READ),
    ("my_tier", "/console/me", Action.SELF_READ),
    ("users", "/console/users", Action.USER_MANAGE),
)


@dataclass
class Page:
    """One console request: the app context, the caller and their language."""

    request: Request
    ctx: AppContext
    principal: Principal
    lang: str

    def require(self, action: Action) -> None:
        """The one access check (the API's ``decide``); 403 page otherwise."""
        d = decide(self.principal, action)
        if not d:
            raise PermissionDeniedError(d.reason, action=action.value)

    def may(self, action: Action) -> bool:
        return decide(self.principal, action).allowed

    def render(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        html = render(self.request, template, principal=self.principal, lang=self.lang, **values)
        resp = HTMLResponse(html, status_code=status)
        finish(self.request, resp, secure=self.ctx.settings.env == "production")
        return resp

    def tier_label(self, code: str | None) -> str:
        if not code:
            return translator(self.lang)("ungraded")
        return labels(self.ctx, self.lang).get(code, code)

    def tier_rank(self, code: str | None) -> int:
        """Position of ``code`` in the policy's tier order (top tier first; unknown last)."""
        order = list(labels(self.ctx, self.lang))
        return order.index(code) if code in order else len(order)


def home_of(principal: Principal) -> str:
    """The page a role lands on: my tier for a customer, the dashboard for roles that read
    analytics, the customer list otherwise."""
    if principal.customer_id or decide(principal, Action.SELF_READ):
        return "/console/me"
    return "/console/" if decide(principal, Action.ANALYTICS_READ) else "/console/customers"


def render(request: Request, template: str, **values: Any) -> str:
    lang = values.get("lang") or language(request)
    principal: Principal | None = values.get("principal")
    nav = [
        (key, href)
        for key, href, action in NAV
        if principal is not None and decide(principal, action).allowed
    ]
    return ENV.get_template(template).render(
        t=translator(lang),
        benefit=lambda k, v: benefit_text(k, v, lang),
        code=lambda field, v: code_text(field, v, lang),
        metric=lambda key: metric_text(key, lang),
        csrf=csrf_token(request),
        path=request.url.path,
        nav=nav,
        **values,
    )


async def get_page(request: Request) -> Page:
    ctx: AppContext = request.app.state.ctx
    return Page(
        request, ctx, principal_of(request, ctx.signing_key, ctx.users.current), language(request)
    )


PageDep = Annotated[Page, Depends(get_page)]


def labels(ctx: AppContext, lang: str) -> dict[str, str]:
    """Tier, layer and tag labels of the current run's policy in ``lang`` (cached per run)."""
    run_id = _current_run(ctx)
    key = f"console-labels:{run_id}"
    if key not in ctx.cache:
        ctx.cache[key] = _policy_labels(ctx, run_id) if run_id else {}
    out: dict[str, dict[str, str]] = ctx.cache[key]
    return out.get(lang, {})


def _current_run(ctx: AppContext) -> str | None:
    rows, _ = ctx.runs.page(status="published", offset=0, limit=1)
    return str(rows[0]["id"]) if rows else None


def _policy_labels(ctx: AppContext, run_id: str) -> dict[str, dict[str, str]]:
    policy = run_policy(ctx.settings.runs_dir, run_id, ctx.cache)
    if policy is None:
        return {}
    out: dict[str, dict[str, str]] = {"zh": {}, "en": {}}
    levels: list[Level] = list(policy.tiers.levels)
    for layer in policy.layers.values():
        levels += layer.levels
    for lv in levels:
        out["zh"][lv.code] = lv.label.zh
        out["en"][lv.code] = lv.label.en
    for tag in policy.tags:
        out["zh"][tag.code] = tag.label.zh
        out["en"][tag.code] = tag.label.en
    for name, layer in policy.layers.items():  # the layer's own name, e.g. preference
        out["zh"][f"layer:{name}"] = layer.label.zh
        out["en"][f"layer:{name}"] = layer.label.en
    return out


def csv_download(header: list[str], rows: Iterable[list[Any]], filename: str) -> Response:
    """A CSV download that Excel opens cleanly in Chinese: UTF-8 with a BOM (rows already
    made safe by :func:`tierwise.api.tabular.csv_row`: money, formulas defused)."""
    buf = io.StringIO()
    buf.write("\ufeff")
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    return Response(
        buf.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def current_run_id(ctx: Ctx) -> str | None:
    return _current_run(ctx)


def policy_titles(ctx: AppContext, lang: str) -> dict[str, str]:
    """Policy name → its title in ``lang`` (the name when the file has no title)."""
    return {
        str(f["name"]): str((f["title"] or {}).get(lang) or f["name"]) for f in ctx.policies.files()
    }


def run_name(run: dict[str, Any], titles: dict[str, str]) -> str:
    """A run as people name it: its as-of date and its policy's title (issue 18 finding 7)."""
    name = str(run.get("policy_name") or "")
    return f"{run.get('as_of')} · {titles.get(name, name)}"

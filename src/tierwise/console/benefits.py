"""The benefits page (R-OPS-2, docs/benefits.md): what each tier gives, one customer's grants
and their use, and use and cost per month × benefit × tier.

It reads through the same functions as ``GET /customers/{id}/benefits`` and
``GET /benefits/usage``, checked by the same ``decide``: an account manager opens their own
customers, a customer only itself (the page opens on it); the tier catalogue and the usage
table are for the roles that read analytics. Redeeming stays in the API and the CLI.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from tierwise.api.access import Action, CustomerRef, Role, decide
from tierwise.console.web import PageDep
from tierwise.errors import NotFoundError, PermissionDeniedError
from tierwise.ops.benefits.ledger import current_plan, customer_grants, customer_redemptions, usage
from tierwise.ops.benefits.redeem import kind_label
from tierwise.policy.benefits import KINDS

router = APIRouter(prefix="/console", include_in_schema=False)
USAGE_DAYS = 90
REDEMPTIONS = 100

#: a parameter's name and its word values, zh and en (docs/benefits.md, "Benefit kinds")
PARAMS: dict[str, tuple[str, str]] = {
    "level": ("等级", "level"),
    "channel": ("渠道", "channel"),
    "response_hours": ("响应时限（小时）", "response (hours)"),
    "priority": ("优先级", "priority"),
    "slot": ("时段", "slot"),
    "pct": ("比例（%）", "percent"),
    "period": ("周期", "period"),
    "categories": ("品类", "categories"),
    "amount_yuan": ("面额（元）", "value (yuan)"),
    "per_month": ("每月张数", "per month"),
    "terms": ("结算方式", "terms"),
    "days": ("天数", "days"),
    "min_order_yuan": ("起送金额（元）", "minimum order (yuan)"),
}
VALUES: dict[str, tuple[str, str]] = {
    "dedicated": ("专属", "dedicated"),
    "priority": ("优先", "priority"),
    "standard": ("标准", "standard"),
    "basic": ("基础", "basic"),
    "account_manager": ("客户经理", "account manager"),
    "hotline": ("热线", "hotline"),
    "app": ("应用", "app"),
    "morning": ("上午", "morning"),
    "any": ("不限", "any time"),
    "month": ("月", "month"),
    "quarter": ("季度", "quarter"),
    "prepaid": ("预付", "prepaid"),
    "cod": ("货到付款", "cash on delivery"),
    "weekly": ("周结", "weekly"),
    "monthly": ("月结", "monthly"),
}


def params_text(params: dict[str, Any] | None, lang: str) -> str:
    """A grant's parameters in words: ``比例（%） 2 · 周期 月`` (``—`` when it has none)."""
    i = 1 if lang == "en" else 0
    parts = []
    for key, value in (params or {}).items():
        name = PARAMS.get(key, (key, key))[i]
        if isinstance(value, list):
            shown = "、".join(str(v) for v in value) if value else ("全部" if i == 0 else "all")
        elif isinstance(value, bool):
            shown = ("是", "yes")[i] if value else ("否", "no")[i]
        else:
            shown = VALUES.get(str(value), (str(value), str(value)))[i]
        parts.append(f"{name} {shown}")
    return " · ".join(parts) or "—"


def benefit_name(code: str, kind: str | None, lang: str) -> str:
    """A benefit in words: its kind's name, with the policy's code when it is not the kind's
    (``优惠券额度``, ``返利（rebate_extra）``)."""
    k = kind or code
    if k not in KINDS:
        return code
    name = kind_label(k, lang)
    return name if code == k else f"{name}（{code}）" if lang != "en" else f"{name} ({code})"


def source_text(source: str, lang: str) -> str:
    """How a use was recorded: ``接口`` / ``API``, or the file and its row."""
    if source == "api":
        return "API" if lang == "en" else "接口"
    if source.startswith("file:"):
        name, _, row = source[5:].rpartition(":")
        if row.isdigit():
            return f"file {name}, row {row}" if lang == "en" else f"文件 {name} 第 {row} 行"
    return source


def _customer(page: Any, customer_id: str) -> dict[str, Any]:
    row = page.ctx.customers.get(customer_id, full=False)
    if row is None:
        raise NotFoundError(f"no customer {customer_id!r}", customer_id=customer_id)
    d = decide(
        page.principal, Action.BENEFIT_READ, CustomerRef(row["customer_id"], row["account_manager"])
    )
    if not d:
        raise PermissionDeniedError(d.reason, action=Action.BENEFIT_READ.value)
    return dict(row)


@router.get("/benefits", response_class=HTMLResponse)
def benefits_page(
    page: PageDep,
    customer: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    start: Annotated[dt.date | None, Query(alias="from")] = None,
    end: Annotated[dt.date | None, Query(alias="to")] = None,
) -> Response:
    """A customer's grants and use (``?customer=``; a customer sees itself), the tiers'
    benefits and the use per month × benefit × tier (``?from=&to=``, the last 90 days)."""
    page.require(Action.BENEFIT_READ)
    engine = page.ctx.engine
    if page.principal.role is Role.CUSTOMER:
        customer = customer or page.principal.customer_id
    row = _customer(page, customer) if customer else None
    grants = customer_grants(engine, customer) if row and customer else []
    redemptions = customer_redemptions(engine, customer, REDEMPTIONS) if row and customer else []
    tiers: list[tuple[str, list[Any]]] = []
    rows: list[dict[str, Any]] = []
    today = page.ctx.now().date()
    end = end or today + dt.timedelta(days=1)
    start = start or end - dt.timedelta(days=USAGE_DAYS)
    staff_wide = page.may(Action.ANALYTICS_READ)
    if staff_wide:
        with engine.connect() as conn:
            plan = current_plan(conn)
        tiers = [(t, list(plan.tiers.get(t, ()))) for t in plan.order]
        rows = usage(engine, start, end)
    return page.render(
        "benefits.html",
        customer=customer,
        row=row,
        grants=grants,
        redemptions=redemptions,
        tiers=tiers,
        usage=rows,
        start=start,
        end=end,
        staff_wide=staff_wide,
        ask_customer=page.principal.role is not Role.CUSTOMER,
        label=page.tier_label,
        name=lambda code, kind=None: benefit_name(code, kind, page.lang),
        params=lambda p: params_text(p, page.lang),
        source=lambda s: source_text(s, page.lang),
        limit=REDEMPTIONS,
    )

"""The price rules page (价格规则, R-OPS-3, docs/benefits.md): the rules with filters, and a
quote form that prices a customer's lines (per line list price, net price, the rule applied
and why).

It reads through the functions ``GET /price-rules`` and ``POST /customers/{id}/quote`` call,
checked by the same ``decide``: the page needs ``price.read``; a quote is for a customer the
caller may price (an account manager: their own customers). Saving rules stays in the API and
the CLI (``tierwise prices add / import``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from tierwise.api.access import Action, CustomerRef, decide
from tierwise.console.web import PageDep
from tierwise.errors import NotFoundError, PermissionDeniedError
from tierwise.ops.benefits.price_rules import list_rules, quote
from tierwise.ops.benefits.pricing import Line, PriceRule, Quoted

router = APIRouter(prefix="/console", include_in_schema=False)
ROWS = 200
MAX_LINES = 100
ANY = {"不限": "any", "全部": "any"}  # what "any" is written as in Chinese
_TEXT = Annotated[str | None, Query(min_length=1, max_length=60, pattern=r"^[^\x00-\x1f]+$")]


def parse_lines(text: str) -> tuple[list[Line], list[tuple[int, str]]]:
    """The quote form's lines (``SKU,品类,数量,单价`` one a line; Chinese commas too) and the
    ones that could not be read (their number and text)."""
    lines, bad = [], []
    for n, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        parts = [p.strip() for p in raw.replace("，", ",").split(",")]
        try:
            if len(parts) != 4 or not parts[0]:
                raise InvalidOperation
            qty, price = Decimal(parts[2]), Decimal(parts[3])
            if not (qty.is_finite() and price.is_finite()) or qty <= 0 or price < 0:
                raise InvalidOperation
        except InvalidOperation:
            bad.append((n, raw))
            continue
        lines.append(Line(parts[0], parts[1] or None, price, qty))
    return lines, bad


def why_text(q: Quoted, rule: PriceRule | None, lang: str, tier: str) -> str:
    """Why a line has its price, in the page's language (the API's ``why`` in English)."""
    if rule is None:
        if lang == "en":
            return q.why
        return f"没有适用于等级 {tier} 的价格规则：按标价"
    if lang == "en":
        return q.why
    scope = "，".join(
        [
            f"等级 {tier if rule.tier else '不限'}",
            f"商品 {rule.sku}" if rule.sku else f"品类 {rule.category or '不限'}",
            f"地区 {rule.region or '不限'}",
        ]
    )
    pct = format(rule.value.normalize(), "f")
    result = f"减 {pct}%" if rule.kind == "discount_pct" else f"净价 {rule.value} 元"
    text = f"规则 {rule.code}（{scope}）：{result}，优先级 {rule.priority}"
    if q.others:
        text += f"；另有 {q.others} 条优先级较低或结果相同的规则"
    return text


def _customer(page: Any, customer_id: str) -> dict[str, Any]:
    row = page.ctx.customers.get(customer_id, full=False)
    if row is None:
        raise NotFoundError(f"no customer {customer_id!r}", customer_id=customer_id)
    d = decide(
        page.principal, Action.PRICE_READ, CustomerRef(row["customer_id"], row["account_manager"])
    )
    if not d:
        raise PermissionDeniedError(d.reason, action=Action.PRICE_READ.value)
    return dict(row)


@router.get("/prices", response_class=HTMLResponse)
def prices_page(
    page: PageDep,
    tier: _TEXT = None,
    sku: _TEXT = None,
    category: _TEXT = None,
    region: _TEXT = None,
    kind: Annotated[Literal["discount_pct", "net_price"] | None, Query()] = None,
    on: Annotated[dt.date | None, Query()] = None,
    customer: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    lines: Annotated[str | None, Query(max_length=10_000)] = None,
    day: Annotated[dt.date | None, Query()] = None,
) -> Response:
    """The rules that pass the filters (each a scope's value or ``any``), and a quote of
    ``lines`` for ``customer`` on ``day`` (today by default)."""
    page.require(Action.PRICE_READ)
    engine = page.ctx.engine
    scopes = {k: ANY.get(v, v) if v else None
              for k, v in (("tier", tier), ("sku", sku), ("category", category),
                           ("region", region))}  # fmt: skip
    rules = list_rules(engine, kind=kind, on=on, **scopes)
    quoted: Any = None
    bad: list[tuple[int, str]] = []
    row = None
    if customer:
        row = _customer(page, customer)
        parsed, bad = parse_lines(lines or "")
        if parsed and not bad:
            by_code = {r.code: r for r in list_rules(engine)}
            q = quote(engine, customer, row.get("province"), day or page.ctx.now().date(),
                      parsed[:MAX_LINES])  # fmt: skip
            tier_name = page.tier_label(q.tier)
            quoted = {
                "tier": q.tier,
                "region": q.region,
                "day": q.day,
                "total": q.total,
                "lines": [
                    (ln, why_text(ln, by_code.get(ln.rule or ""), page.lang, tier_name))
                    for ln in q.lines
                ],
            }
    return page.render(
        "prices.html",
        rules=rules[:ROWS],
        count=len(rules),
        limit=ROWS,
        filters={
            "tier": tier,
            "sku": sku,
            "category": category,
            "region": region,
            "kind": kind,
            "on": on,
        },
        customer=customer,
        row=row,
        lines=lines or "",
        day=day,
        bad=bad,
        quoted=quoted,
        label=page.tier_label,
    )

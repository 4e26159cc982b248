"""The periodic report's benefits section (R-OPS-2, issue 21 item 1): use and cost per month ×
benefit × tier over the months to the run's day, the same rows as ``GET /benefits/usage``,
with the totals per benefit × tier, in zh-CN or English."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal

from markupsafe import Markup, escape
from sqlalchemy import Engine

from tierwise.ops.benefits.ledger import usage
from tierwise.ops.benefits.redeem import kind_label
from tierwise.policy.benefits import KINDS

DAYS = 90
WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "section": "权益使用与成本",
        "window": "按月 × 权益 × 等级，{start} 至 {end}（含）；成本为登记的使用成本，拒绝次数另列",
        "month": "月份",
        "benefit": "权益",
        "tier": "等级",
        "uses": "使用次数",
        "quantity": "数量",
        "cost": "成本（元）",
        "refused": "拒绝次数",
        "totals": "合计：按权益 × 等级",
        "all": "合计",
        "none": "这段时间没有权益使用记录",
        "ungraded": "未分级",
    },
    "en": {
        "section": "Benefit use and cost",
        "window": "By month × benefit × tier, {start} to {end} (inclusive); cost as recorded "
        "with each use, refusals beside",
        "month": "Month",
        "benefit": "Benefit",
        "tier": "Tier",
        "uses": "Uses",
        "quantity": "Quantity",
        "cost": "Cost (yuan)",
        "refused": "Refused",
        "totals": "Totals by benefit × tier",
        "all": "Total",
        "none": "No benefit was used in this period",
        "ungraded": "Ungraded",
    },
}


def _benefit(code: str, lang: str) -> str:
    return kind_label(code, lang) if code in KINDS else code


def report_section(
    engine: Engine,
    *,
    as_of: dt.date,
    lang: str,
    labels: Mapping[str, Mapping[str, str]] | None = None,
    days: int = DAYS,
) -> Markup:
    """Use and cost per month × benefit × tier over the ``days`` to ``as_of`` (inclusive), then
    the totals per benefit × tier; ``labels``: the run's tier labels by code and language."""
    w = WORDS["en" if lang == "en" else "zh"]
    end = as_of + dt.timedelta(days=1)
    start = end - dt.timedelta(days=days)
    rows = usage(engine, start, end)

    def tier(code: str | None) -> str:
        if code is None:
            return w["ungraded"]
        return (labels or {}).get(code, {}).get(lang, code)

    head = [w["month"], w["benefit"], w["tier"], w["uses"], w["quantity"], w["cost"], w["refused"]]
    parts = [
        f"<section class='tw-benefits'><h2>{escape(w['section'])}</h2>",
        f"<p class='tw-muted'>{escape(w['window'].format(start=start, end=as_of))}</p>",
    ]
    if not rows:
        parts.append(f"<p class='tw-muted'>{escape(w['none'])}</p></section>")
        return Markup("".join(parts))  # every value above is escaped
    parts.append("<table class='tw-grid'><thead><tr>")
    parts += [f"<th>{escape(h)}</th>" for h in head]
    parts.append("</tr></thead><tbody>")
    totals: dict[tuple[str, str | None], list[Decimal]] = {}
    for r in rows:
        cells = [r["month"], _benefit(r["benefit"], lang), tier(r["tier"]), r["redemptions"],
                 r["quantity"], f"{r['cost']:,.2f}", r["refused"]]  # fmt: skip
        parts.append("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in cells) + "</tr>")
        t = totals.setdefault((r["benefit"], r["tier"]), [Decimal(0)] * 4)
        for i, k in enumerate(("redemptions", "quantity", "cost", "refused")):
            t[i] += Decimal(r[k])
    parts.append("</tbody></table>")
    parts.append(f"<h3>{escape(w['totals'])}</h3><table class='tw-grid'><thead><tr>")
    parts += [f"<th>{escape(h)}</th>" for h in head[1:]]
    parts.append("</tr></thead><tbody>")
    for (code, t_code), (uses, qty, cost, refused) in sorted(
        totals.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")
    ):
        cells = [_benefit(code, lang), tier(t_code), uses, qty, f"{cost:,.2f}", refused]
        parts.append("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in cells) + "</tr>")
    all_cost = sum((t[2] for t in totals.values()), Decimal(0))
    parts.append(
        f"<tr><td>{escape(w['all'])}</td><td></td><td>{sum(int(t[0]) for t in totals.values())}"
        f"</td><td>{sum(int(t[1]) for t in totals.values())}</td><td>{all_cost:,.2f}</td>"
        f"<td>{sum(int(t[3]) for t in totals.values())}</td></tr>"
    )
    parts.append("</tbody></table></section>")
    return Markup("".join(parts))  # every value above is escaped


def benefit_sections(
    engine: Engine, lang: str, labels: Mapping[str, Mapping[str, str]] | None = None
) -> Callable[[dt.date], Markup]:
    """The report's hook: the benefits section as of the reported run's day."""
    return lambda as_of: report_section(engine, as_of=as_of, lang=lang, labels=labels)

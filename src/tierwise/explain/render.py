"""Render reason codes as text in zh-CN (default) or English."""

from __future__ import annotations

import math
from typing import Any

from tierwise.explain.reasons import Reason
from tierwise.explain.terms import feature_name, rule_text
from tierwise.features.catalog import CATALOG
from tierwise.policy.schema import Level, Policy

_UNITS_ZH = {
    "yuan": "元",
    "orders": "单",
    "days": "天",
    "orders/month": "单/月",
    "orders/week": "单/周",
    "orders/quarter": "单/季",
    "yuan/order": "元/单",
    "yuan/year": "元/年",
    "complaints/order": "次/单",
    "logins/week": "次/周",
    "count": "个",
}


def _amount(name: str, v: float | None, lang: str) -> str:
    """A feature amount in its unit: yuan with thousands grouped, orders whole, rates in %."""
    if v is None:
        return "—" if lang == "zh" else "n/a"
    f = CATALOG.get(name)
    unit = f.unit if f else ""
    if unit == "0..1":
        return f"{v:.0%}"
    if unit in ("yuan", "orders", "days"):
        n = math.ceil(v - 1e-9) if unit != "days" else round(v)
        text = f"{n:,}".replace(",", " ")
        if lang != "zh" and n == 1:
            return f"{text} {unit.removesuffix('s')}"  # 1 day, 1 order
        return f"{text} {_UNITS_ZH[unit]}" if lang == "zh" else f"{text} {unit}"
    text = f"{v:,.2f}".rstrip("0").rstrip(".").replace(",", " ")
    return (f"{text} {_UNITS_ZH.get(unit, unit)}" if lang == "zh" else f"{text} {unit}").strip()


def _label(policy: Policy, code: Any, lang: str) -> str:
    levels: list[Level] = list(policy.tiers.levels)
    for layer in [*policy.layers.values(), *([policy.segments] if policy.segments else [])]:
        levels += layer.levels
    levels += getattr(policy.score, "segments", [])
    for lv in levels:
        if lv.code == code:
            return lv.label.text(lang)
    for t in policy.tags:
        if t.code == code:
            return t.label.text(lang)
    return str(code)


def render(reason: Reason, policy: Policy, lang: str = "zh") -> str:
    """One reason as a sentence."""
    p, zh = reason.params, lang == "zh"
    c = reason.code

    def lab(key: str) -> str:
        return _label(policy, p.get(key), lang)

    fname = feature_name(str(p.get("feature", "")), lang)
    rule = rule_text(str(p.get("rule", "")), lang)  # features by their names, not codes
    if c == "INSUFFICIENT_DATA":
        return (
            f"数据不足，暂不分级（条件：{rule}）"
            if zh
            else f"Insufficient data: not graded yet (needs {rule})"
        )
    if c == "TIER_BY_PERCENTILE":
        pos = f"{(p['position'] or 0):.1%}"
        top = f"{p['top']:.0%}" if p.get("top") else None
        if zh:
            return f"得分 {p['score']:g}，排名前 {pos}，归为{lab('tier')}" + (
                f"（前 {top}）" if top else ""
            )
        return f"Score {p['score']:g}, ranked in the top {pos}: {lab('tier')}" + (
            f" (top {top})" if top else ""
        )
    if c == "TIER_BY_RULES":
        rules = ("；" if zh else "; ").join(rule_text(r, lang) for r in p["rules"])
        return (
            f"满足{lab('tier')}的全部条件：{rules}"
            if zh
            else f"Meets every condition of {lab('tier')}: {rules}"
        )
    if c == "TIER_FALLBACK":
        return (
            f"未满足更高等级的全部条件，归为{lab('tier')}"
            if zh
            else f"No higher tier's conditions all hold: {lab('tier')}"
        )
    if c == "CONTRIBUTION":
        val = _amount(str(p["feature"]), p.get("value"), lang)
        pts = f"{(p['points'] or 0):+.2f}"
        return f"{fname} {val}：贡献 {pts} 分" if zh else f"{fname}: {val}, {pts} points"
    if c == "TOP_TIER":
        return f"已是最高等级{lab('tier')}" if zh else f"Already in the top tier, {lab('tier')}"
    if c == "UPGRADE_SCORE":
        pts = f"{(p['points'] or 0):.2f}"
        return (
            f"距{lab('next_tier')}还差 {pts} 分（门槛 {p['cutoff']:g}）"
            if zh
            else f"{pts} points short of {lab('next_tier')} (cutoff {p['cutoff']:g})"
        )
    if c == "UPGRADE_FEATURE":
        feat = str(p["feature"])
        amount = _amount(feat, p.get("amount"), lang)
        more = p.get("direction") == "more"
        target = lab("next_tier") if p.get("next_tier") else ("分级" if zh else "grading")
        if "required" in p:  # a rule's bound: say the bound, where the customer is, the gap
            req = _amount(feat, float(p["required"]), lang)
            cur = _amount(feat, p.get("current"), lang)
            op = str(p["op"])
            if zh:
                return f"{fname}需 {op} {req}（当前 {cur}，差 {amount}）才能达到{target}"
            return f"{fname} must be {op} {req} (now {cur}, {amount} to go) to reach {target}"
        if zh:
            return f"{fname}再增加 {amount} 即可升至{target}"
        return f"{'Add' if more else 'Cut'} {amount} ({fname}) to reach {target}"
    if c == "UPGRADE_ORDER_NOW":
        if zh:
            return f"现在下一单（最近采购回到 30 天内）即可升至{lab('next_tier')}"
        return f"One order now (last purchase back within 30 days) reaches {lab('next_tier')}"
    if c == "UPGRADE_RULE":
        return (
            f"升至{lab('next_tier')}还需满足：{rule}"
            if zh
            else f"To reach {lab('next_tier')}: {rule}"
        )
    if c == "LAYER":
        # the layer by its label (品类偏好), not its code (preference)
        layer = policy.layers.get(str(p["layer"]))
        name = str(p["layer"]) if layer is None else layer.label.text(lang)
        return f"{name}：{lab('level')}" if zh else f"{name}: {lab('level')}"
    if c == "SEGMENT":
        kind = "RFM " if p.get("kind") == "rfm" else ""
        return f"{kind}客户类型：{lab('segment')}" if zh else f"{kind}Segment: {lab('segment')}"
    if c == "TAG":
        return f"标签：{lab('tag')}（{rule}）" if zh else f"Tag: {lab('tag')} ({rule})"
    return f"{c} {p}"

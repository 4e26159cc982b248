"""An experiment's result in words, zh-CN and English: for the CLI, the console and the
periodic report (one wording, three places)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import Engine

from tierwise.errors import TierwiseError
from tierwise.lake import LakeLocation

WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "实验 {code}：{metric}，{first} 至 {last}（{days}/{planned} 天）",
        "incomplete": "窗口未结束：中期观察请看“随时有效区间”",
        "srm": "样本比例失衡（SRM，p={p:.2g}）：分组或埋点有问题，结果不可信",
        "srm_ok": "样本比例正常（p={p:.2g}）",
        "units": "{arm}：{units} 个账户，{outlets} 家门店",
        "effect": "{arm} 对比对照：每门店 {effect:+.2f} 元，95% 区间 [{lo:.2f}, {hi:.2f}]，p={p:.3g}",
        "cuped": "CUPED 方差减少 {got:.0%}（按前后相关性预计 {pred:.0%}）",
        "valid": "随时有效区间（mSPRT）[{lo:.2f}, {hi:.2f}]{sig}",
        "significant": "，已显著",
        "roi": "ROI（增量毛利 / 成本）{roi}，区间 [{lo}, {hi}]；成本 {cost:.2f} 元",
        "guard": "护栏 {name}：{effect:+.3f}，区间 [{lo:.3f}, {hi:.3f}]{harm}",
        "harm": " ⚠ 变差",
        "tier": "（探索性）{tier}：{effect:+.2f}，区间 [{lo:.2f}, {hi:.2f}]",
        "none": "—",
        "section": "实验（A/B 测试）",
        "no_experiments": "没有进行中或已结束的实验",
        "campaigns": "营销活动（对照组衡量）",
        "no_campaigns": "报告日之前没有营销活动",
        "campaign": "{title}（{name}，{status}）：{first} 至 {last}，对照组 {holdout:.0%}",
        "no_wave": "尚未发送",
        "all": "合计",
        "campaign_tier": "{tier}：处理组 {treated}，对照组 {holdout}，发送 {sent}，核销 {redeemed}；"
        "增量毛利 {margin} 元，成本 {cost:,.0f} 元，ROI {roi}",
    },
    "en": {
        "title": "Experiment {code}: {metric}, {first} to {last} ({days}/{planned} days)",
        "incomplete": "Window not over: for interim looks read the always-valid interval",
        "srm": "Sample ratio mismatch (SRM, p={p:.2g}): the assignment or logging is broken; "
        "do not trust the result",
        "srm_ok": "Sample ratio as designed (p={p:.2g})",
        "units": "{arm}: {units} accounts, {outlets} outlets",
        "effect": "{arm} vs control: {effect:+.2f} yuan per outlet, 95% CI [{lo:.2f}, {hi:.2f}], "
        "p={p:.3g}",
        "cuped": "CUPED removed {got:.0%} of the variance (the pre/post correlation predicts "
        "{pred:.0%})",
        "valid": "Always-valid interval (mSPRT) [{lo:.2f}, {hi:.2f}]{sig}",
        "significant": ", significant",
        "roi": "ROI (incremental margin / cost) {roi}, interval [{lo}, {hi}]; cost {cost:.2f} yuan",
        "guard": "Guardrail {name}: {effect:+.3f}, CI [{lo:.3f}, {hi:.3f}]{harm}",
        "harm": " ⚠ worse",
        "tier": "(exploratory) {tier}: {effect:+.2f}, CI [{lo:.2f}, {hi:.2f}]",
        "none": "—",
        "section": "Experiments (A/B tests)",
        "no_experiments": "No running or finished experiments",
        "campaigns": "Campaigns (measured against their holdout)",
        "no_campaigns": "No campaign before the report's day",
        "campaign": "{title} ({name}, {status}): {first} to {last}, holdout {holdout:.0%}",
        "no_wave": "no wave sent yet",
        "all": "all",
        "campaign_tier": "{tier}: treated {treated}, holdout {holdout}, sent {sent}, redeemed"
        " {redeemed}; incremental margin {margin} yuan, cost {cost:,.0f} yuan, ROI {roi}",
    },
}


def _num(v: float | None, w: dict[str, str]) -> str:
    return w["none"] if v is None else f"{v:.2f}"


def result_lines(result: dict[str, Any], lang: str = "zh") -> list[str]:
    """The result of :func:`tierwise.experiments.service.analyse_experiment` as lines."""
    w = WORDS["en" if lang == "en" else "zh"]
    first, last = result["window"]
    out = [
        w["title"].format(
            code=result["code"],
            metric=result["metric"],
            first=first,
            last=last,
            days=result["days_observed"],
            planned=result["days_planned"],
        )
    ]
    if not result["complete"]:
        out.append(w["incomplete"])
    srm = result["srm"]
    out.append(w["srm" if srm["mismatch"] else "srm_ok"].format(p=srm["p_value"]))
    for arm, units in result["units"].items():
        out.append(w["units"].format(arm=arm, units=units, outlets=result["outlets"][arm]))
    for c in result["comparisons"]:
        p, v, r = c["primary"], c["always_valid"], c["roi"]
        out.append(
            w["effect"].format(
                arm=c["arm"], effect=p["effect"], lo=p["ci_low"], hi=p["ci_high"], p=p["p_value"]
            )
        )
        if p["cuped"]:
            out.append(
                w["cuped"].format(got=p["variance_reduction"], pred=p["predicted_reduction"])
            )
        sig = w["significant"] if v["significant"] else ""
        out.append(w["valid"].format(lo=v["ci_low"], hi=v["ci_high"], sig=sig))
        out.append(
            w["roi"].format(
                roi=_num(r["roi"], w),
                lo=_num(r["roi_low"], w),
                hi=_num(r["roi_high"], w),
                cost=r["cost"],
            )
        )
        for name, g in c["guardrails"].items():
            out.append(
                w["guard"].format(
                    name=name,
                    effect=g["effect"],
                    lo=g["ci_low"],
                    hi=g["ci_high"],
                    harm=w["harm"] if g["harm"] else "",
                )
            )
        for tier, t in c["by_tier"].items():
            out.append(
                w["tier"].format(tier=tier, effect=t["effect"], lo=t["ci_low"], hi=t["ci_high"])
            )
    return out


def report_section(engine: Engine, lake: LakeLocation, *, as_of: dt.date, lang: str) -> Markup:
    """The periodic report's experiment section: every started experiment's result as of
    ``as_of`` (an experiment that cannot be analysed says why in its place)."""
    from tierwise.experiments.service import analyse_experiment, list_experiments

    w = WORDS["en" if lang == "en" else "zh"]
    parts = [f"<section class='tw-experiments'><h2>{escape(w['section'])}</h2>"]
    started = [e for e in list_experiments(engine) if e["status"] != "draft"]
    if not started:
        parts.append(f"<p class='tw-muted'>{escape(w['no_experiments'])}</p>")
    for e in started:
        parts.append(f"<h3>{escape(e['name'])} <small>{escape(e['code'])}</small></h3><ul>")
        try:
            lines = result_lines(analyse_experiment(engine, e["code"], lake, as_of=as_of), lang)
        except TierwiseError as err:
            lines = [str(err)]
        parts += [f"<li>{escape(line)}</li>" for line in lines]
        parts.append("</ul>")
    parts.append("</section>")
    return Markup("".join(parts))  # every value above is escaped


def _interval(v: dict[str, Any] | None, fmt: str, w: dict[str, str]) -> str:
    if not v:
        return w["none"]
    mid = v.get("total", v.get("roi"))
    if mid is None:
        return w["none"]
    lo, hi = v.get("ci_low"), v.get("ci_high")
    if lo is None or hi is None:
        return fmt.format(mid)
    return f"{fmt.format(mid)} [{fmt.format(lo)}, {fmt.format(hi)}]"


def campaign_lines(rep: dict[str, Any], lang: str = "zh") -> list[str]:
    """One campaign's :func:`tierwise.experiments.campaigns.report` as lines: per tier and in
    all, the arms, the funnel's ends, the incremental margin and the ROI with 95 % intervals."""
    w = WORDS["en" if lang == "en" else "zh"]
    if rep.get("all") is None:
        return [w["no_wave"]]
    out = []
    for tier, b in [*rep["by_tier"].items(), (w["all"], rep["all"])]:
        out.append(
            w["campaign_tier"].format(
                tier=tier,
                treated=b["treated"],
                holdout=b["holdout"],
                sent=b["sent"],
                redeemed=b["redeemed"],
                margin=_interval(b.get("incremental_margin"), "{:,.0f}", w),
                cost=b["cost"],
                roi=_interval(b.get("roi"), "{:+.2f}", w),
            )
        )
    return out


def campaign_section(engine: Engine, lake: LakeLocation, *, as_of: dt.date, lang: str) -> Markup:
    """The periodic report's campaign section (R-ANA-6): every campaign created on or before
    ``as_of``, measured from its creation day to ``as_of`` against its holdout."""
    from tierwise.experiments.campaigns import report
    from tierwise.ops.campaigns.service import list_campaigns

    w = WORDS["en" if lang == "en" else "zh"]
    parts = [f"<section class='tw-campaigns'><h2>{escape(w['campaigns'])}</h2>"]
    shown = [c for c in list_campaigns(engine) if c["created_at"].date() <= as_of]
    if not shown:
        parts.append(f"<p class='tw-muted'>{escape(w['no_campaigns'])}</p>")
    for c in shown:
        first = c["created_at"].date()
        head = w["campaign"].format(
            title=c["title"], name=c["name"], status=c["status"], first=first, last=as_of,
            holdout=c["holdout_share"],
        )  # fmt: skip
        parts.append(f"<h3>{escape(head)}</h3><ul>")
        try:
            lines = campaign_lines(report(engine, lake, c["name"], first, as_of), lang)
        except TierwiseError as err:
            lines = [str(err)]
        parts += [f"<li>{escape(line)}</li>" for line in lines]
        parts.append("</ul>")
    parts.append("</section>")
    return Markup("".join(parts))  # every value above is escaped


def experiment_sections(
    engine: Engine, lake: LakeLocation, lang: str
) -> Callable[[dt.date], Markup]:
    """The report's hook: the experiment and campaign sections as of the reported run's day."""
    return lambda as_of: (
        report_section(engine, lake, as_of=as_of, lang=lang)
        + campaign_section(engine, lake, as_of=as_of, lang=lang)
    )

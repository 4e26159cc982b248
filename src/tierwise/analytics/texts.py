"""Words of the analyses (CLI tables, console page, HTML report) in zh-CN and English.

Kept here rather than in the console's message catalog so that the report and the CLI,
which do not depend on the console, share them; the console page reads them through
:func:`translator` too.
"""

from __future__ import annotations

from collections.abc import Callable

ZH: dict[str, str] = {
    "title_metrics": "各等级评估指标",
    "title_effect": "等级变化效果追踪",
    "title_effect_previous": "上次运行（{as_of}）等级变化的效果",
    "title_report": "客户分级分析报告",
    "title_distribution": "等级分布",
    "title_migration": "与上次运行相比的等级迁移",
    "run": "分级运行",
    "as_of": "数据截至",
    "previous_run": "上次运行",
    "policy": "分级策略",
    "lookback": "统计窗口",
    "days": "天",
    "tier": "等级",
    "customers": "客户数",
    "share": "占比",
    "orders": "订单数",
    "spend": "采购额",
    "repurchase_rate": "复购率",
    "avg_order_value": "客单价",
    "arpu": "户均采购额",
    "return_rate": "退货率",
    "complaint_rate": "投诉率",
    "total": "合计",
    "kind": "变化类型",
    "transition": "等级变化",
    "group": "组",
    "changed": "变化客户",
    "control": "对照客户",
    "before": "之前",
    "after": "之后",
    "did": "双重差分",
    "did_spend": "采购额双重差分（元/户）",
    "did_repurchase": "复购率双重差分",
    "spend_per_customer": "户均采购额",
    "small": "样本过少",
    "no_control": "无对照组",
    "k_upgraded": "升级",
    "k_downgraded": "降级",
    "k_changed": "等级调整",
    "k_entered": "首次定级",
    "k_left": "移出等级",
    "from_tier": "原等级",
    "to_tier": "新等级",
    "ungraded": "未定级",
    "window_before": "变化前窗口",
    "window_after": "变化后窗口",
    "incomplete": "变化后窗口尚未结束：数据截至 {data_end}，只覆盖 {covered} / {days} 天，"
    "暂不报告变化后的数值。",
    "incomplete_hint": "可改用 {covered} 天的窗口。",
    "no_changes": "这次运行没有可比较的等级变化。",
    "not_compared": "未比较（无原等级或新等级）：{items}",
    "small_note": "“样本过少”：变化组或对照组少于 {n} 位客户，差异可能只是偶然。",
    "did_note": "双重差分 =（变化客户之后 − 之前）−（同一原等级未变化客户之后 − 之前）。"
    "按变化类型汇总时，每位变化客户与其原等级的对照组相比，按人数加权。",
    "metrics_note": "指标定义与特征目录一致（docs/features.md）：复购率为客户复购率的平均值；"
    "客单价 = 采购额 / 订单数；户均采购额 = 采购额 / 客户数；退货率 = 退货额 / 采购额；"
    "投诉率 = 投诉数 / 订单数。窗口为运行的统计窗口，截至其数据日期。",
    "not_yet": "活动参与率、转化率、ROI 与 NPS 暂无数据来源，尚未提供。",
    "no_previous": "这是第一次发布的运行，没有上次运行可比较。",
    "generated": "生成时间",
    "none": "—",
    "pick_run": "选择运行",
    "show": "查看",
    "effect_days": "前后窗口天数",
    "no_runs": "还没有发布的分级运行。",
    "from_to": "{a} → {b}",
}

EN: dict[str, str] = {
    "title_metrics": "Evaluation metrics per tier",
    "title_effect": "Effect of tier changes",
    "title_effect_previous": "Effect of the previous run's ({as_of}) tier changes",
    "title_report": "Customer grading report",
    "title_distribution": "Tier distribution",
    "title_migration": "Tier migration since the previous run",
    "run": "Run",
    "as_of": "Data as of",
    "previous_run": "Previous run",
    "policy": "Policy",
    "lookback": "Window",
    "days": "days",
    "tier": "Tier",
    "customers": "Customers",
    "share": "Share",
    "orders": "Orders",
    "spend": "Spend",
    "repurchase_rate": "Repurchase rate",
    "avg_order_value": "Average order value",
    "arpu": "Spend per customer (ARPU)",
    "return_rate": "Return rate",
    "complaint_rate": "Complaint rate",
    "total": "Total",
    "kind": "Change",
    "transition": "Tier change",
    "group": "Group",
    "changed": "Changed customers",
    "control": "Control customers",
    "before": "before",
    "after": "after",
    "did": "Difference-in-differences",
    "did_spend": "Spend diff-in-diff (yuan per customer)",
    "did_repurchase": "Repurchase diff-in-diff",
    "spend_per_customer": "Spend per customer",
    "small": "too few customers",
    "no_control": "no control group",
    "k_upgraded": "Upgraded",
    "k_downgraded": "Downgraded",
    "k_changed": "Tier changed",
    "k_entered": "First tier",
    "k_left": "Left the tiers",
    "from_tier": "From",
    "to_tier": "To",
    "ungraded": "Ungraded",
    "window_before": "Before window",
    "window_after": "After window",
    "incomplete": "The after window is not over yet: the data ends on {data_end} and covers "
    "{covered} of {days} days, so no after values are reported.",
    "incomplete_hint": "A {covered}-day window is complete.",
    "no_changes": "This run has no tier changes to compare.",
    "not_compared": "Not compared (no starting or no new tier): {items}",
    "small_note": '"too few customers": the changed or the control group has fewer than {n} '
    "customers; a difference may be chance.",
    "did_note": "Difference-in-differences = (changed customers after − before) − (customers "
    "of the same starting tier whose tier did not change, after − before). A change kind "
    "compares each changed customer with its own starting tier's control, weighted by size.",
    "metrics_note": "Definitions are the feature catalog's (docs/features.md): repurchase rate "
    "is the mean of the customers' repurchase rates; average order value = spend / orders; "
    "spend per customer = spend / customers; return rate = returned amount / spend; "
    "complaint rate = complaints / orders; over the run's lookback window up to its as_of.",
    "not_yet": "Campaign participation, conversion, ROI and NPS have no data source yet: "
    "not yet available.",
    "no_previous": "This is the first published run: there is no previous run to compare with.",
    "generated": "Generated",
    "none": "—",
    "pick_run": "Run",
    "show": "Show",
    "effect_days": "Days before / after",
    "no_runs": "No run has been published yet.",
    "from_to": "{a} → {b}",
}

CATALOG = {"zh": ZH, "en": EN}
LANGS = tuple(CATALOG)


def translator(lang: str) -> Callable[[str], str]:
    """``t(key)`` in ``lang`` (zh-CN unless ``en``)."""
    table = CATALOG.get(lang, ZH)
    return lambda key: table[key]


def tier_text(code: str | None, labels: dict[str, dict[str, str]], lang: str) -> str:
    """A tier's label in ``lang`` (the run's policy labels), its code when it has none."""
    if code is None:
        return translator(lang)("ungraded")
    return labels.get(code, {}).get(lang, code)


def pct(v: float | None) -> str:
    return "—" if v is None else f"{v * 100:.1f}%"


def money(v: float | None) -> str:
    return "—" if v is None else f"{v:,.2f}"


def signed(v: float | None, percent: bool = False) -> str:
    if v is None:
        return "—"
    return f"{v * 100:+.1f} pp" if percent else f"{v:+,.2f}"

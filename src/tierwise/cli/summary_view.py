"""Rich rendering of the demo's summary in the user's language (issue 18 finding 9).

Chinese by default, English with ``tierwise demo --lang en`` or an English ``LANG``; codes
of the data are shown as names (连锁/单店, 线上/批发 …: the console's catalog), tiers by the
policy's labels, runs by their as-of date and the policy's title.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from tierwise.console.messages import code_text
from tierwise.generate.summary import BookSummary
from tierwise.policy.schema import Policy

_T = {
    "zh": {
        "book": "演示数据在 {where}：{orders:,} 张订单，{lines:,} 条订单明细",
        "value": "取值", "customers": "客户数", "share": "占比",
        "by_type": "客户：按经营类型", "by_province": "客户：按省份", "by_channel": "客户：按渠道",
        "per_month": "每月订单", "month": "月份", "orders": "订单数", "revenue": "采购额（元）",
        "dirt": "注入的脏数据（truth/manifest.json）", "kind": "类型", "count": "数量",
        "mix": "{title} · {as_of} 的等级分布", "tier": "等级", "insufficient": "数据不足",
        "runs": "已发布 {n} 次运行（按月回算 + 最后一天）：{dates}；趋势和迁移图表打开即有数据",
        "tasks": "挽留：为客户经理打开了 {n:,} 个回访任务（tierwise tasks list，或控制台“挽留任务”页）",
        "models": "已训练模型：{names}",
        "skipped": "未训练的模型：{name}（{why}）",
        "warning": "流失预警回测（{as_of} 起 90 天内是否下单）：预警 {share:.1%} 的客户，"
        "精确率 {precision:.2f}，召回率 {recall:.2f}（控制台“模型”页）",
        "recs": "商品推荐：{n:,} 个客户，猜你喜欢由 {model} 生成（tierwise recommend show <编号>）",
    },
    "en": {
        "book": "Demo book at {where}: {orders:,} orders, {lines:,} order lines",
        "value": "value", "customers": "customers", "share": "share",
        "by_type": "Customers by business type", "by_province": "Customers by province",
        "by_channel": "Customers by channel",
        "per_month": "Orders per month", "month": "month", "orders": "orders",
        "revenue": "revenue (yuan)",
        "dirt": "Dirt injected (truth/manifest.json)", "kind": "kind", "count": "count",
        "mix": "{title} · tiers as of {as_of}", "tier": "tier", "insufficient": "insufficient data",
        "runs": "Published {n} runs (monthly backfill + the last day): {dates}; the trend and "
        "migration charts have data on first open",
        "tasks": "Retention: {n:,} call-back tasks open for account managers (tierwise tasks "
        "list, or the console page Retention tasks)",
        "models": "Models trained: {names}",
        "skipped": "Model not trained: {name} ({why})",
        "warning": "Churn warning backtest (orders in the 90 days after {as_of}): "
        "{share:.1%} of customers flagged, precision {precision:.2f}, recall {recall:.2f} "
        "(the console's Models page)",
        "recs": "Recommendations: {n:,} customers, new items by {model} (tierwise recommend "
        "show <id>)",
    },
}  # fmt: skip
_DIRT = {
    "zh": {
        "duplicate_customer": "重复客户", "bad_amount": "金额错误", "bad_date": "日期错误",
        "orphan_line": "无主订单明细", "refund_spike (customers)": "异常大额退款（客户数）",
        "order_brushing (customers)": "刷单（客户数）",
    },
    "en": {
        "duplicate_customer": "duplicate customers", "bad_amount": "bad amounts",
        "bad_date": "bad dates", "orphan_line": "order lines without an order",
        "refund_spike (customers)": "refund spikes (customers)",
        "order_brushing (customers)": "order brushing (customers)",
    },
}  # fmt: skip
_MODEL_NAMES = {
    "zh": {
        "clv": "客户生命周期价值",
        "churn": "流失预测",
        "value": "价值预测",
        "weights": "学习权重",
    },
    "en": {
        "clv": "lifetime value",
        "churn": "churn",
        "value": "value",
        "weights": "learned weights",
    },
}


def user_language(flag: str | None) -> str:
    """``zh`` unless ``--lang en`` or ``LANG``/``LC_ALL`` names an English locale."""
    if flag:
        return "en" if flag.lower().startswith("en") else "zh"
    env = os.environ.get("LC_ALL") or os.environ.get("LANG") or ""
    return "en" if env.lower().startswith("en") else "zh"


def _share_table(lang: str, title: str, counts: dict[str, int], field: str | None) -> Table:
    t_ = _T[lang]
    total = sum(counts.values()) or 1
    t = Table(title=title, title_justify="left")
    t.add_column(t_["value"])
    t.add_column(t_["customers"], justify="right")
    t.add_column(t_["share"], justify="right")
    for key, n in counts.items():
        name = code_text(field, str(key), lang) if field else str(key)
        t.add_row(name, f"{n:,}", f"{100 * n / total:.1f} %")
    return t


def render_summary(console: Console, s: BookSummary, where: Path, lang: str = "zh") -> None:
    """Print the book: customers by type/province/channel, orders per month, dirt."""
    t_ = _T[lang]
    console.print("\n" + t_["book"].format(where=where, orders=s.orders, lines=s.order_lines))
    console.print(_share_table(lang, t_["by_type"], s.customers_by_type, "business_type"))
    console.print(_share_table(lang, t_["by_province"], s.customers_by_province, None))
    console.print(_share_table(lang, t_["by_channel"], s.customers_by_channel, "channel"))
    months = Table(title=t_["per_month"], title_justify="left")
    months.add_column(t_["month"])
    months.add_column(t_["orders"], justify="right")
    months.add_column(t_["revenue"], justify="right")
    months.add_column("")
    peak = max(s.orders_per_month.values(), default=1)
    for month, n in s.orders_per_month.items():
        months.add_row(
            month, f"{n:,}", f"{s.revenue_per_month[month]:,.0f}", "█" * round(30 * n / peak)
        )
    console.print(months)
    dirt = Table(title=t_["dirt"], title_justify="left")
    dirt.add_column(t_["kind"])
    dirt.add_column(t_["count"], justify="right")
    for kind, n in s.dirt.items():
        dirt.add_row(_DIRT[lang].get(kind, kind), f"{n:,}")
    console.print(dirt)


def render_grading(console: Console, extra: dict[str, Any], lang: str) -> None:
    """The tier mix by the policy's labels, the runs published, tasks and models."""
    t_ = _T[lang]
    policy: Policy = extra["grading_policy"]
    title = policy.title.text(lang) if policy.title else policy.name
    result = extra["grading"]
    table = Table(title=t_["mix"].format(title=title, as_of=extra["grading_as_of"]))
    for col in ("tier", "customers", "share"):
        table.add_column(t_[col], justify="left" if col == "tier" else "right")
    graded = max(result.counts["graded"], 1)
    for cut in result.cutoffs:
        label = policy.tiers.levels[cut.tier_rank].label.text(lang)
        table.add_row(label, f"{cut.count:,}", f"{cut.count / graded:.1%}")
    table.add_row(t_["insufficient"], f"{result.counts['insufficient_data']:,}", "")
    console.print(table)
    dates = [str(d) for d, _ in extra.get("backfill", [])] + [str(extra["grading_as_of"])]
    console.print(t_["runs"].format(n=len(dates), dates=", ".join(dates)))
    if tasks := extra.get("retention_tasks"):
        console.print(t_["tasks"].format(n=tasks.get("open", 0)))
    names = _MODEL_NAMES[lang]
    if models := extra.get("models"):
        sep = "、" if lang == "zh" else ", "
        console.print(t_["models"].format(names=sep.join(names.get(k, k) for k in models)))
    for name, why in extra.get("models_skipped", {}).items():
        console.print(t_["skipped"].format(name=names.get(name, name), why=why))
    for w in extra.get("warning", []):
        console.print(
            t_["warning"].format(
                as_of=w["as_of"], share=w["flagged_share"], precision=w["precision"],
                recall=w["recall"],
            )
        )  # fmt: skip
    if recs := extra.get("recommendations"):
        console.print(t_["recs"].format(n=recs["customers"], model=recs["model"]))

"""The tag catalogue (R-FEA-7, issue 20): hundreds of tags generated from a few templates.

A tag reads the feature catalogue (:mod:`tierwise.features.catalog`) and the extra inputs of
:mod:`tierwise.tags.inputs`, all computed as of a date. Four kinds:

``flag``
    True or false; its definition is a rule in the policy's rule language
    (:mod:`tierwise.policy.rules`), e.g. ``orders_30d >= 4 and orders_30d < 8``.
``band``
    One label out of ordered bands of a number (``recency_days``: 0-7 / 8-30 / ...).
``number``
    A number read as is (``share_hotpot``), for comparisons in audiences.
``text``
    A text attribute (``cuisine``, ``province``).

Every tag has a code, a Chinese and an English name, a readable definition, its inputs and
its refresh (``event``: an order, return or payment can change it; ``daily``: the nightly
run does). ``docs/tags.md`` is rendered from this catalogue; a test keeps it in sync.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from tierwise.features.catalog import CATALOG as FEATURES
from tierwise.features.catalog import CATEGORY_KEYS
from tierwise.features.risk import RATINGS
from tierwise.generate.catalog import CUISINE_NAMES
from tierwise.tags.inputs import INPUT_CATALOG, NEEDS, RETURN_REASONS, SLOTS, TOPICS, WEEKDAYS

TagKind = Literal["flag", "band", "number", "text"]
Refresh = Literal["daily", "event"]
TagGroup = Literal["basic", "behaviour", "preference", "value", "risk", "response", "custom"]

GROUPS: dict[TagGroup, tuple[str, str]] = {
    "basic": ("基础属性", "Basic attributes"),
    "behaviour": ("交易行为", "Transaction behaviour"),
    "preference": ("品类偏好", "Category preference"),
    "value": ("价值", "Value"),
    "risk": ("风险", "Risk"),
    "response": ("营销响应", "Marketing response"),
    "custom": ("自定义", "User-defined"),
}
# tables a real-time event (order, return, payment) changes: tags reading them refresh on event
_EVENT_TABLES = {"orders", "order_lines", "returns", "invoices", "payments"}
_FEATURE_TABLES = {
    "master": "customers",
    "region": "regions",
    "orders": "orders",
    "gaps": "orders",
    "lines": "order_lines",
    "returns": "returns",
    "finance": "payments",
    "tickets": "tickets",
    "activity": "activity",
    "credit": "credit",
}


@dataclass(frozen=True)
class Band:
    """One band of a number: values at or above ``lower`` (and below the next band's)."""

    code: str
    zh: str
    en: str
    lower: float | None  # None: the lowest band (everything below the next one)


@dataclass(frozen=True)
class Tag:
    """One tag of the catalogue."""

    code: str
    group: TagGroup
    kind: TagKind
    name_zh: str
    name_en: str
    definition: str  # a rule (flag), the bands (band), or the input (number, text)
    inputs: tuple[str, ...]
    source: str = ""  # the input read (band, number, text)
    bands: tuple[Band, ...] = field(default=())
    version: int = 1  # user-defined tags: the version of their rule

    @property
    def refresh(self) -> Refresh:
        """``event`` when an order, return or payment can change the tag, else ``daily``."""
        return "event" if any(input_table(i) in _EVENT_TABLES for i in self.inputs) else "daily"

    @property
    def value_type(self) -> Literal["bool", "text", "number"]:
        """The tag's type in rule and audience expressions."""
        return {"flag": "bool", "band": "text", "number": "number", "text": "text"}[self.kind]  # type: ignore[return-value]


def input_table(name: str) -> str:
    """The canonical table an input (feature or tag input) is read from."""
    if name in INPUT_CATALOG:
        return INPUT_CATALOG[name].table
    return _FEATURE_TABLES[FEATURES[name].group]


def input_type(name: str) -> Literal["number", "text"]:
    """``number`` or ``text``: the type of an input in rule expressions."""
    if name in INPUT_CATALOG:
        return "text" if INPUT_CATALOG[name].kind == "text" else "number"
    return "text" if FEATURES[name].kind == "text" else "number"


def input_names() -> list[str]:
    """Every input a tag may read: the features (without aliases) then the tag inputs."""
    return [n for n, f in FEATURES.items() if f.alias_of is None] + list(INPUT_CATALOG)


# -- templates -------------------------------------------------------------------------------
def _fmt(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


def banded(
    code: str,
    group: TagGroup,
    source: str,
    zh: str,
    en: str,
    bands: list[tuple[str, str, str, float | None]],
) -> Iterator[Tag]:
    """A band tag over ``source`` and one flag per band (``<code>_<band>``)."""
    bs = tuple(Band(*b) for b in bands)
    parts = []
    for i, b in enumerate(bs):
        hi = bs[i + 1].lower if i + 1 < len(bs) else None
        parts.append(
            (f"< {_fmt(hi)}" if b.lower is None else f">= {_fmt(b.lower)}")
            + ("" if b.lower is None or hi is None else f" and < {_fmt(hi)}")
            + f": {b.code}"
        )
    yield Tag(code, group, "band", zh, en, f"{source} " + "; ".join(parts), (source,), source, bs)
    for i, b in enumerate(bs):
        hi = bs[i + 1].lower if i + 1 < len(bs) else None
        conds = []
        if b.lower is not None:
            conds.append(f"{source} >= {_fmt(b.lower)}")
        if hi is not None:
            conds.append(f"{source} < {_fmt(hi)}")
        yield Tag(
            f"{code}_{b.code}",
            group,
            "flag",
            f"{zh}:{b.zh}",
            f"{en}: {b.en}",
            " and ".join(conds),
            (source,),
        )


def flag(code: str, group: TagGroup, zh: str, en: str, rule: str, *inputs: str) -> Tag:
    """A flag tag: ``rule`` over ``inputs``."""
    return Tag(code, group, "flag", zh, en, rule, inputs)


def value(code: str, group: TagGroup, source: str, zh: str, en: str) -> Tag:
    """A number or text tag reading ``source`` as is."""
    kind: TagKind = "text" if input_type(source) == "text" else "number"
    return Tag(code, group, kind, zh, en, source, (source,), source)


def one_of(
    code: str,
    group: TagGroup,
    source: str,
    zh: str,
    en: str,
    values: dict[str, tuple[str, str]],
    data: dict[str, str] | None = None,
) -> Iterator[Tag]:
    """A text tag over ``source`` and one flag per known value (``<code>_<key>``); the value
    in the data is ``key`` unless ``data`` maps the key to it."""
    yield value(code, group, source, zh, en)
    for key, (vzh, ven) in values.items():
        v = (data or {}).get(key, key)
        yield flag(
            f"{code}_{key}", group, f"{zh}:{vzh}", f"{en}: {ven}", f"{source} == {v!r}", source
        )


# cuisines of the generated books (the model's ``cuisine`` column is free text): code -> zh, en
CUISINES: dict[str, tuple[str, str]] = {
    "hotpot": ("火锅", "hot pot"),
    "chuanchuan": ("串串", "chuanchuan"),
    "sichuan": ("川菜", "Sichuan"),
    "hunan": ("湘菜", "Hunan"),
    "cantonese": ("粤菜", "Cantonese"),
    "bbq": ("烧烤", "barbecue"),
    "fastfood": ("快餐", "fast food"),
    "noodles": ("面馆", "noodles"),
    "western": ("西餐", "Western"),
    "canteen": ("食堂", "canteen"),
    "wholesale": ("批发", "wholesale"),
    "supermarket": ("商超", "supermarket"),
}
assert {zh for zh, _ in CUISINES.values()} == set(CUISINE_NAMES)


def _basic() -> Iterator[Tag]:
    g: TagGroup = "basic"
    yield from one_of(
        "biz", g, "business_type", "经营类型", "Business type",
        {"chain": ("连锁", "chain"), "single": ("单店", "single store")},
    )  # fmt: skip
    yield from one_of(
        "cuisine", g, "cuisine", "菜系", "Cuisine", {k: (c, en) for k, (c, en) in CUISINES.items()},
        {k: c for k, (c, _) in CUISINES.items()},
    )  # fmt: skip
    yield from one_of(
        "scale", g, "scale", "规模", "Scale",
        {"small": ("小型", "small"), "medium": ("中型", "medium"), "large": ("大型", "large")},
    )  # fmt: skip
    yield from one_of(
        "channel", g, "channel", "渠道", "Channel",
        {"online": ("线上", "online"), "offline": ("线下", "offline"),
         "wholesale": ("批发", "wholesale"), "retail": ("零售", "retail")},
    )  # fmt: skip
    yield from one_of(
        "terms", g, "payment_terms", "账期", "Payment terms",
        {"prepaid": ("预付", "prepaid"), "cod": ("货到付款", "cash on delivery"),
         "weekly": ("周结", "weekly"), "monthly": ("月结", "monthly")},
    )  # fmt: skip
    yield value("province", g, "province", "省份", "Province")
    yield value("city", g, "city", "城市", "City")
    yield from banded("tenure", g, "tenure_days", "合作时长", "Tenure", [
        ("new", "3个月内", "under 3 months", None), ("m3", "3-12个月", "3-12 months", 90),
        ("y1", "1-2年", "1-2 years", 365), ("y2", "2-3年", "2-3 years", 730),
        ("y3", "3年以上", "3 years or more", 1095),
    ])  # fmt: skip
    yield from banded("chain_size", g, "account_outlets", "连锁规模", "Chain size", [
        ("one", "单店", "one outlet", None), ("small", "2-5家", "2-5 outlets", 2),
        ("mid", "6-20家", "6-20 outlets", 6), ("big", "20家以上", "over 20 outlets", 21),
    ])  # fmt: skip
    yield from banded("contract", g, "contract_amount", "合同规模", "Contract size", [
        ("none", "无合同", "no contract", None), ("small", "10万以下", "under 100k", 0.01),
        ("mid", "10-50万", "100k-500k", 100_000), ("big", "50万以上", "500k or more", 500_000),
    ])  # fmt: skip
    for k, (zh, en) in NEEDS.items():
        yield flag(
            f"need_{k}",
            g,
            f"特殊需求:{zh}",
            f"Special needs: {en}",
            f"needs_{k} == 1",
            f"needs_{k}",
        )
    yield from banded("delivery", g, "delivery_cost", "配送成本", "Delivery cost", [
        ("low", "低", "low", None), ("mid", "中", "medium", 8), ("high", "高", "high", 15),
    ])  # fmt: skip
    yield from banded("competition", g, "competition_index", "区域竞争", "Regional competition", [
        ("low", "低", "low", None), ("mid", "中", "medium", 0.3), ("high", "高", "high", 0.6),
    ])  # fmt: skip


def _behaviour() -> Iterator[Tag]:
    g: TagGroup = "behaviour"
    yield from banded("recency", g, "recency_days", "最近下单", "Last order", [
        ("d7", "7天内", "within 7 days", None), ("d30", "8-30天", "8-30 days", 8),
        ("d60", "31-60天", "31-60 days", 31), ("d90", "61-90天", "61-90 days", 61),
        ("d180", "91-180天", "91-180 days", 91), ("lost", "180天以上", "over 180 days", 181),
    ])  # fmt: skip
    for w, cuts in (("30d", (1, 4, 8)), ("90d", (1, 6, 18)), ("365d", (1, 12, 48))):
        yield from banded(f"freq_{w}", g, f"orders_{w}", f"近{w[:-1]}天下单", f"Orders in {w}", [
            ("none", "无", "none", None), ("low", "低频", "low", cuts[0]),
            ("mid", "中频", "medium", cuts[1]), ("high", "高频", "high", cuts[2]),
        ])  # fmt: skip
    yield from banded("freq_month", g, "orders_per_month", "月均下单", "Orders a month", [
        ("lt1", "不足1次", "under 1", None), ("m1", "1-2次", "1-2", 1), ("m3", "3-5次", "3-5", 3),
        ("m6", "6-11次", "6-11", 6), ("m12", "12次以上", "12 or more", 12),
    ])  # fmt: skip
    trend = [
        ("down", "下降", "falling", None),
        ("flat", "平稳", "flat", -0.2),
        ("up", "上升", "rising", 0.2),
    ]
    yield from banded("spend_trend", g, "spend_growth", "消费趋势", "Spend trend", trend)
    yield from banded("order_trend", g, "order_growth", "下单趋势", "Order trend", trend)
    for s, (zh, en, _, _) in SLOTS.items():
        yield value(f"slot_{s}", g, f"order_share_{s}", f"{zh}下单占比", f"Share of {en} orders")
        yield flag(f"slot_{s}_main", g, f"{zh}下单为主", f"Orders mostly in the {en}",
                   f"order_share_{s} >= 0.5", f"order_share_{s}")  # fmt: skip
    yield value("main_slot", g, "main_slot", "主要下单时段", "Main ordering time")
    for d, (zh, en) in WEEKDAYS.items():
        yield value(f"dow_{d}", g, f"order_share_{d}", f"{zh}下单占比", f"Share of orders on {en}")
    yield value("dow_weekend", g, "order_share_weekend", "周末下单占比", "Share of weekend orders")
    yield flag(
        "weekend_buyer",
        g,
        "周末型",
        "Weekend buyer",
        "order_share_weekend >= 0.4",
        "order_share_weekend",
    )
    yield flag("weekday_only", g, "仅工作日下单", "Weekdays only",
               "order_share_weekend == 0 and orders_lookback > 0", "order_share_weekend", "orders_lookback")  # fmt: skip
    for q in ("q1", "q2", "q3", "q4"):
        yield value(
            f"season_{q}",
            g,
            f"spend_share_{q}",
            f"{q.upper()}消费占比",
            f"Spend share in {q.upper()}",
        )
    yield value("peak_quarter", g, "peak_quarter", "旺季", "Peak quarter")
    yield from banded("seasonality", g, "peak_quarter_share", "季节性", "Seasonality", [
        ("flat", "平稳", "flat", None), ("mild", "轻度季节性", "mild", 0.35), ("strong", "强季节性", "strong", 0.5),
    ])  # fmt: skip
    yield from banded("aov", g, "avg_order_value", "客单价", "Order value", [
        ("lt200", "200元以下", "under 200", None), ("lt500", "200-500元", "200-500", 200),
        ("lt1000", "500-1000元", "500-1000", 500), ("lt3000", "1000-3000元", "1000-3000", 1000),
        ("ge3000", "3000元以上", "3000 or more", 3000),
    ])  # fmt: skip
    yield from banded("basket", g, "lines_per_order", "单均品项", "Lines per order", [
        ("lt3", "3项以下", "under 3", None), ("lt6", "3-5项", "3-5", 3),
        ("lt10", "6-9项", "6-9", 6), ("ge10", "10项以上", "10 or more", 10),
    ])  # fmt: skip
    yield from banded("staples", g, "staple_skus", "常购商品数", "Staple products", [
        ("none", "无", "none", None), ("few", "1-4个", "1-4", 1), ("some", "5-14个", "5-14", 5),
        ("many", "15个以上", "15 or more", 15),
    ])  # fmt: skip
    yield from banded("skus", g, "skus_lookback", "购买商品数", "Products bought", [
        ("lt10", "10个以下", "under 10", None), ("lt30", "10-29个", "10-29", 10),
        ("lt60", "30-59个", "30-59", 30), ("ge60", "60个以上", "60 or more", 60),
    ])  # fmt: skip
    yield from banded("repurchase", g, "repurchase_rate", "复购率", "Repurchase rate", [
        ("low", "低", "low", None), ("mid", "中", "medium", 0.5), ("high", "高", "high", 0.8),
        ("full", "每月复购", "every month", 1),
    ])  # fmt: skip
    yield from banded("gap", g, "median_order_gap_days", "下单间隔", "Order gap", [
        ("d3", "3天内", "up to 3 days", None), ("d7", "4-7天", "4-7 days", 4),
        ("d14", "8-14天", "8-14 days", 8), ("d30", "15-30天", "15-30 days", 15),
        ("long", "30天以上", "over 30 days", 31),
    ])  # fmt: skip
    yield flag("new_buyer", g, "新客(首单30天内)", "New buyer (first order within 30 days)",
               "days_since_first_order <= 30", "days_since_first_order")  # fmt: skip
    yield flag("never_ordered", g, "从未下单", "Never ordered", "orders_lookback == 0 and lifetime_spend == 0",
               "orders_lookback", "lifetime_spend")  # fmt: skip
    yield flag("reactivated", g, "回流客户", "Came back",
               "orders_30d > 0 and orders_prev_90d == 0 and days_since_first_order > 180",
               "orders_30d", "orders_prev_90d", "days_since_first_order")  # fmt: skip
    yield flag("slowing", g, "下单放缓", "Slowing down",
               "recency_days > 2 * median_order_gap_days and orders_365d >= 6",
               "recency_days", "median_order_gap_days", "orders_365d")  # fmt: skip
    yield flag("spend_30d_up", g, "近30天消费增长", "Spend up in the last 30 days",
               "spend_30d > 1.2 * spend_prev_30d and spend_30d > 0", "spend_30d", "spend_prev_30d")  # fmt: skip
    yield flag("spend_30d_down", g, "近30天消费下降", "Spend down in the last 30 days",
               "spend_30d < 0.8 * spend_prev_30d", "spend_30d", "spend_prev_30d")  # fmt: skip


def _preference() -> Iterator[Tag]:
    g: TagGroup = "preference"
    for zh, k in CATEGORY_KEYS.items():
        s, t = f"share_{k}", f"share_trend_{k}"
        yield value(f"cat_{k}_share", g, s, f"{zh}占比", f"Share of {k}")
        yield flag(f"cat_{k}_buyer", g, f"购买{zh}", f"Buys {k}", f"{s} > 0", s)
        yield flag(f"cat_{k}_heavy", g, f"{zh}重度", f"Heavy {k} buyer", f"{s} >= 0.3", s)
        yield flag(
            f"cat_{k}_main", g, f"主购{zh}", f"Mainly {k}", f"top_category == {k!r}", "top_category"
        )
        yield value(f"cat_{k}_trend", g, t, f"{zh}占比变化", f"Change of {k} share")
        yield flag(f"cat_{k}_rising", g, f"{zh}上升", f"{k} rising", f"{t} >= 0.05", t)
        yield flag(f"cat_{k}_falling", g, f"{zh}下降", f"{k} falling", f"{t} <= -0.05", t)
    keys = list(CATEGORY_KEYS.items())
    for i, (zh1, k1) in enumerate(keys):
        for zh2, k2 in keys[i + 1 :]:
            yield flag(
                f"pair_{k1}_{k2}", g, f"{zh1}+{zh2}", f"{k1} + {k2}",
                f"share_{k1} >= 0.1 and share_{k2} >= 0.1", f"share_{k1}", f"share_{k2}",
            )  # fmt: skip
    yield value("top_category", g, "top_category", "最常购品类", "Top category")
    yield from banded("price_level", g, "price_index", "价格带", "Price level", [
        ("discount", "折扣价", "below list", None), ("list", "标准价", "list price", 0.97),
        ("premium", "高于标价", "above list", 1.03),
    ])  # fmt: skip
    yield from banded("loyalty", g, "top_sku_share", "单品忠诚度", "Product loyalty", [
        ("low", "分散", "spread", None), ("mid", "中", "medium", 0.15), ("high", "集中", "concentrated", 0.3),
    ])  # fmt: skip
    yield from banded("breadth", g, "categories_bought", "品类宽度", "Category breadth", [
        ("narrow", "1-2类", "1-2 categories", None), ("mid", "3-5类", "3-5 categories", 3),
        ("wide", "6类以上", "6 or more", 6),
    ])  # fmt: skip


def _value() -> Iterator[Tag]:
    g: TagGroup = "value"
    yield value("spend_365d", g, "spend_365d", "近365天消费额", "Spend in 365 days")
    yield from banded("value", g, "spend_365d", "年消费规模", "Yearly spend", [
        ("v0", "无消费", "none", None), ("v1", "1万以下", "under 10k", 0.01),
        ("v2", "1-5万", "10k-50k", 10_000), ("v3", "5-20万", "50k-200k", 50_000),
        ("v4", "20-100万", "200k-1M", 200_000), ("v5", "100万以上", "1M or more", 1_000_000),
    ])  # fmt: skip
    yield from banded("ltv", g, "lifetime_spend", "历史累计消费", "Lifetime spend", [
        ("l1", "5万以下", "under 50k", None), ("l2", "5-20万", "50k-200k", 50_000),
        ("l3", "20-100万", "200k-1M", 200_000), ("l4", "100万以上", "1M or more", 1_000_000),
    ])  # fmt: skip
    yield from banded("margin_rate", g, "gross_margin_rate", "毛利率", "Margin rate", [
        ("low", "10%以下", "under 10 %", None), ("mid", "10-20%", "10-20 %", 0.1),
        ("good", "20-30%", "20-30 %", 0.2), ("high", "30%以上", "30 % or more", 0.3),
    ])  # fmt: skip
    yield from banded("margin", g, "gross_margin_lookback", "毛利额", "Gross margin", [
        ("m1", "1万以下", "under 10k", None), ("m2", "1-5万", "10k-50k", 10_000),
        ("m3", "5-20万", "50k-200k", 50_000), ("m4", "20万以上", "200k or more", 200_000),
    ])  # fmt: skip
    yield value(
        "margin_lookback", g, "gross_margin_lookback", "毛利额(回看期)", "Gross margin (lookback)"
    )
    yield value("rebate_365d", g, "rebate_365d", "近365天返利", "Rebate earned in 365 days")
    yield from banded("rebate", g, "rebate_365d", "返利规模", "Rebate earned", [
        ("none", "无返利", "none", None), ("r1", "500元以下", "under 500", 0.01),
        ("r2", "500-2000元", "500-2000", 500), ("r3", "2000-1万", "2000-10k", 2000),
        ("r4", "1万以上", "10k or more", 10_000),
    ])  # fmt: skip
    yield flag("rebate_ever", g, "曾获返利", "Has earned a rebate",
               "rebate_lifetime > 0", "rebate_lifetime")  # fmt: skip


def _risk() -> Iterator[Tag]:
    g: TagGroup = "risk"
    yield flag("overdue", g, "有逾期", "Has overdue amount", "overdue_amount > 0", "overdue_amount")
    yield from banded("overdue_band", g, "overdue_amount", "逾期金额", "Overdue amount", [
        ("none", "无", "none", None), ("small", "1000元以下", "under 1000", 0.01),
        ("mid", "1000-1万", "1000-10k", 1000), ("big", "1万以上", "10k or more", 10_000),
    ])  # fmt: skip
    yield from banded("on_time", g, "on_time_payment_rate", "账期履约", "Paying on time", [
        ("poor", "60%以下", "under 60 %", None), ("weak", "60-80%", "60-80 %", 0.6),
        ("good", "80-95%", "80-95 %", 0.8), ("full", "95%以上", "95 % or more", 0.95),
    ])  # fmt: skip
    yield from banded("complaints", g, "complaints_lookback", "投诉次数", "Complaints", [
        ("none", "无", "none", None), ("few", "1-2次", "1-2", 1), ("many", "3次以上", "3 or more", 3),
    ])  # fmt: skip
    for k, (zh, en) in TOPICS.items():
        yield flag(
            f"complaint_{k}",
            g,
            f"{zh}投诉",
            f"Complained about {en}",
            f"complaints_{k} > 0",
            f"complaints_{k}",
        )
    yield flag(
        "critical_complaint",
        g,
        "严重投诉",
        "Critical complaint",
        "critical_complaints > 0",
        "critical_complaints",
    )
    yield flag("open_ticket", g, "工单未结", "Open ticket", "open_tickets > 0", "open_tickets")
    yield flag(
        "compensated",
        g,
        "曾获赔偿",
        "Was compensated",
        "compensated_tickets > 0",
        "compensated_tickets",
    )
    yield from banded("returns_band", g, "return_rate", "退货率", "Return rate", [
        ("none", "无", "none", None), ("low", "2%以下", "under 2 %", 0.000001),
        ("mid", "2-5%", "2-5 %", 0.02), ("high", "5%以上", "5 % or more", 0.05),
    ])  # fmt: skip
    for k, (zh, en) in RETURN_REASONS.items():
        yield flag(
            f"return_{k}", g, f"退货:{zh}", f"Returned: {en}", f"returns_{k} > 0", f"returns_{k}"
        )
    yield flag("dispute", g, "法律纠纷", "Legal dispute", "legal_disputes > 0", "legal_disputes")
    yield from one_of(
        "rating", g, "credit_rating", "信用等级", "Credit rating", {r.lower(): (r, r) for r in RATINGS},
        {r.lower(): r for r in RATINGS},
    )  # fmt: skip
    yield flag("rating_low", g, "信用偏低", "Low credit rating", "credit_rank >= 4", "credit_rank")


def _response() -> Iterator[Tag]:
    g: TagGroup = "response"
    yield from banded("logins", g, "logins_per_week", "登录频率", "Logins a week", [
        ("none", "不登录", "none", None), ("low", "每周不足1次", "under 1", 0.01),
        ("mid", "1-4次", "1-4", 1), ("high", "5次以上", "5 or more", 5),
    ])  # fmt: skip
    yield from banded("engagement", g, "interactions_90d", "互动次数", "Interactions", [
        ("none", "无互动", "none", None), ("low", "1-4次", "1-4", 1),
        ("mid", "5-14次", "5-14", 5), ("high", "15次以上", "15 or more", 15),
    ])  # fmt: skip
    yield from banded("active_days", g, "active_days_30d", "近30天活跃天数", "Active days in 30", [
        ("none", "0天", "none", None), ("some", "1-9天", "1-9", 1), ("most", "10天以上", "10 or more", 10),
    ])  # fmt: skip
    yield flag("app_dormant", g, "线上沉睡", "Dormant online",
               "logins_30d == 0 and orders_90d > 0", "logins_30d", "orders_90d")  # fmt: skip
    yield flag("responsive", g, "互动活跃", "Responsive",
               "interactions_30d >= 3", "interactions_30d")  # fmt: skip
    # coupon sensitivity: settled coupons only (a coupon still valid has no outcome yet)
    yield value(
        "coupon_rate", g, "coupon_redemption_rate", "优惠券核销率", "Coupon redemption rate"
    )
    yield from banded("coupon_sensitivity", g, "coupon_redemption_rate", "优惠券敏感度",
                      "Coupon sensitivity", [
        ("low", "低(30%以下)", "low (under 30 %)", None), ("mid", "中(30-70%)", "medium (30-70 %)", 0.3),
        ("high", "高(70%以上)", "high (70 % or more)", 0.7),
    ])  # fmt: skip
    yield flag("coupon_user", g, "用券客户", "Uses coupons",
               "coupons_redeemed_lookback > 0", "coupons_redeemed_lookback")  # fmt: skip
    yield flag("coupon_ignorer", g, "不用券", "Ignores coupons",
               "coupons_settled_lookback >= 2 and coupons_redeemed_lookback == 0",
               "coupons_settled_lookback", "coupons_redeemed_lookback")  # fmt: skip
    # campaign response: an order within 14 days of a touch
    yield flag("campaign_touched", g, "曾被营销触达", "Reached by a campaign",
               "campaign_touches_lookback > 0", "campaign_touches_lookback")  # fmt: skip
    yield from banded("campaign_response", g, "campaign_response_rate", "营销响应率",
                      "Campaign response", [
        ("low", "低(30%以下)", "low (under 30 %)", None), ("mid", "中(30-70%)", "medium (30-70 %)", 0.3),
        ("high", "高(70%以上)", "high (70 % or more)", 0.7),
    ])  # fmt: skip
    # visit response
    yield flag("visited_90d", g, "近90天被拜访", "Visited in 90 days",
               "visits_90d > 0", "visits_90d")  # fmt: skip
    yield from banded("visit_recency", g, "days_since_visit", "最近拜访", "Last visit", [
        ("d30", "30天内", "within 30 days", None), ("d90", "31-90天", "31-90 days", 31),
        ("d180", "91-180天", "91-180 days", 91), ("long", "180天以上", "over 180 days", 181),
    ])  # fmt: skip
    yield from banded("visit_response", g, "visit_order_rate", "拜访后下单率",
                      "Orders after visits", [
        ("low", "低(30%以下)", "low (under 30 %)", None), ("mid", "中(30-70%)", "medium (30-70 %)", 0.3),
        ("high", "高(70%以上)", "high (70 % or more)", 0.7),
    ])  # fmt: skip
    # survey answer: the last NPS answer sent on or before the date
    yield value("nps_score", g, "nps_last_score", "最近NPS评分", "Last NPS score")
    yield from one_of("nps_answer", g, "nps_last_class", "最近NPS类别", "Last NPS answer", {
        "promoter": ("推荐者", "promoter"), "passive": ("中立者", "passive"),
        "detractor": ("贬损者", "detractor"),
    })  # fmt: skip
    yield flag("survey_silent", g, "问卷不回复", "Does not answer surveys",
               "surveys_lookback >= 2 and survey_answers_lookback == 0",
               "surveys_lookback", "survey_answers_lookback")  # fmt: skip
    yield flag("benefit_user", g, "使用权益", "Uses tier benefits",
               "benefit_uses_lookback > 0", "benefit_uses_lookback")  # fmt: skip


def builtin_tags() -> tuple[Tag, ...]:
    """The built-in catalogue, in group order."""
    tags = (*_basic(), *_behaviour(), *_preference(), *_value(), *_risk(), *_response())
    codes = [t.code for t in tags]
    dupes = {c for c in codes if codes.count(c) > 1}
    if dupes:  # pragma: no cover - guarded by a test
        raise AssertionError(f"duplicate tag codes {sorted(dupes)}")
    # a tag may share its code with an input only when it is that input read as is
    inputs = set(input_names())
    clash = [t.code for t in tags if t.code in inputs and t.source != t.code]
    if clash:  # pragma: no cover - guarded by a test
        raise AssertionError(f"tag codes that are input names {clash}")
    return tags


TAGS: tuple[Tag, ...] = builtin_tags()
TAG_CATALOG: dict[str, Tag] = {t.code: t for t in TAGS}

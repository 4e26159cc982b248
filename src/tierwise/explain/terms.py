"""Short Chinese and English names of the features, for rendered explanations and pages.

Every feature of :data:`tierwise.features.catalog.CATALOG` has a name in both languages here
(a test fails for a new feature without them); an alias (``alias_of``) takes the name of the
feature it repeats. ``score`` and ``model_score`` are the grading's own columns.
"""

from __future__ import annotations

import re

from tierwise.features.catalog import CATALOG, CATEGORY_KEYS

#: English names of the product categories (keys of ``CATEGORY_KEYS``' values)
CATEGORY_EN: dict[str, str] = {
    "hotpot": "hotpot ingredients",
    "seasoning": "Sichuan seasonings",
    "frozen_snack": "frozen snacks",
    "meat": "fresh meat",
    "vegetable": "vegetables",
    "seafood": "seafood",
    "grain_oil": "grain and oil",
    "frozen": "frozen goods",
    "drinks": "drinks",
    "disposables": "disposables",
}

_ZH: dict[str, str] = {
    "account_id": "所属账户",
    "outlets": "门店数",
    "business_type": "经营类型",
    "cuisine": "菜系",
    "scale": "规模",
    "channel": "渠道",
    "region_id": "配送区域",
    "tenure_days": "合作天数",
    "contract_amount": "合同金额",
    "has_special_needs": "特殊需求",
    "delivery_cost": "配送成本",
    "competition_index": "区域竞争度",
    "recency_days": "距上次下单天数",
    "days_since_first_order": "距首单天数",
    "orders_30d": "近30天订单数",
    "orders_90d": "近90天订单数",
    "orders_365d": "近一年订单数",
    "orders_lookback": "观察期订单数",
    "spend_30d": "近30天采购额",
    "spend_90d": "近90天采购额",
    "spend_365d": "近一年采购额",
    "spend_lookback": "观察期采购额",
    "orders_per_week": "周均订单数",
    "orders_per_month": "月均订单数",
    "orders_per_quarter": "季均订单数",
    "avg_order_value": "客单价",
    "repurchase_rate": "复购率",
    "spend_growth": "采购额增长",
    "median_order_gap_days": "下单间隔中位数",
    "gross_margin_lookback": "毛利",
    "gross_margin_rate": "毛利率",
    "top_category": "偏好品类",
    "return_amount": "退款金额",
    "return_rate": "退货率",
    "invoices_due": "到期账单数",
    "on_time_payment_rate": "账期履约率",
    "overdue_amount": "逾期金额",
    "complaints_lookback": "投诉次数",
    "complaint_rate": "投诉率",
    "legal_disputes": "法律纠纷数",
    "credit_rating": "信用评级",
    "logins_30d": "近30天登录次数",
    "logins_per_week": "周均登录次数",
    "interactions_90d": "近90天互动次数",
    "score": "得分",
    "model_score": "模型得分",
    "r_score": "R 分",
    "f_score": "F 分",
    "m_score": "M 分",
    "tier": "等级",
    "tier_rank": "等级序号",
    "churn_probability": "流失概率",
    **{f"share_{k}": f"{zh}占比" for zh, k in CATEGORY_KEYS.items()},
}

_EN: dict[str, str] = {
    "account_id": "Account",
    "outlets": "Outlets",
    "business_type": "Business type",
    "cuisine": "Cuisine",
    "scale": "Outlet size",
    "channel": "Sales channel",
    "region_id": "Delivery district",
    "tenure_days": "Days as a customer",
    "contract_amount": "Contract amount",
    "has_special_needs": "Special needs",
    "delivery_cost": "Delivery cost",
    "competition_index": "Regional competition",
    "recency_days": "Days since the last order",
    "days_since_first_order": "Days since the first order",
    "orders_30d": "Orders, last 30 days",
    "orders_90d": "Orders, last 90 days",
    "orders_365d": "Orders, last 365 days",
    "orders_lookback": "Orders in the lookback window",
    "spend_30d": "Spend, last 30 days",
    "spend_90d": "Spend, last 90 days",
    "spend_365d": "Spend, last 365 days",
    "spend_lookback": "Spend in the lookback window",
    "orders_per_week": "Orders per week",
    "orders_per_month": "Orders per month",
    "orders_per_quarter": "Orders per quarter",
    "avg_order_value": "Average order value",
    "repurchase_rate": "Repurchase rate",
    "spend_growth": "Spend growth",
    "median_order_gap_days": "Median days between orders",
    "gross_margin_lookback": "Gross margin",
    "gross_margin_rate": "Gross margin rate",
    "top_category": "Preferred category",
    "return_amount": "Amount refunded",
    "return_rate": "Return rate",
    "invoices_due": "Invoices due",
    "on_time_payment_rate": "On-time payment rate",
    "overdue_amount": "Overdue amount",
    "complaints_lookback": "Complaints",
    "complaint_rate": "Complaint rate",
    "legal_disputes": "Legal disputes",
    "credit_rating": "Credit rating",
    "logins_30d": "Logins, last 30 days",
    "logins_per_week": "Logins per week",
    "interactions_90d": "Interactions, last 90 days",
    "score": "Score",
    "model_score": "Model score",
    "r_score": "R score",
    "f_score": "F score",
    "m_score": "M score",
    "tier": "Tier",
    "tier_rank": "Tier rank",
    "churn_probability": "Churn probability",
    **{f"share_{k}": f"Share of {en}" for k, en in CATEGORY_EN.items()},
}

_NAMES = {"zh": _ZH, "en": _EN}


def feature_name(name: str, lang: str) -> str:
    """The feature's short name in ``lang`` (``zh``; anything else reads English).

    An alias reads as the feature it repeats; a name that is no feature (a model's
    prediction column, say) shows as itself.
    """
    table = _NAMES["zh" if lang == "zh" else "en"]
    alias_of = f.alias_of if (f := CATALOG.get(name)) else None
    return table.get(name) or table.get(alias_of or name, name)


# a quoted string, or a name: names inside quotes are values and stay as written
_TOKEN = re.compile(r"""'[^']*'|"[^"]*"|\b[A-Za-z_][A-Za-z0-9_]*\b""")


_WORDS_ZH = {"and": "且", "or": "或", "not": "非"}


def rule_text(rule: str, lang: str) -> str:
    """A rule with each feature named in ``lang`` (``orders_365d >= 12`` reads
    ``Orders, last 365 days >= 12``); in Chinese ``and`` / ``or`` / ``not`` read 且 / 或 / 非
    (issue 18); comparison operators, numbers and quoted values stay as written."""
    words = _WORDS_ZH if lang == "zh" else {}

    def one(m: re.Match[str]) -> str:
        tok = m.group(0)
        if tok in words:
            return words[tok]
        return feature_name(tok, lang) if tok in _ZH or tok in CATALOG else tok

    return _TOKEN.sub(one, rule)

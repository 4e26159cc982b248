"""Short Chinese and English names of the features, for rendered explanations."""

from __future__ import annotations

from tierwise.features.catalog import CATALOG, CATEGORY_KEYS

_ZH: dict[str, str] = {
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
    "return_amount": "退款金额",
    "return_rate": "退货率",
    "invoices_due": "到期账单数",
    "on_time_payment_rate": "账期履约率",
    "overdue_amount": "逾期金额",
    "complaints_lookback": "投诉次数",
    "complaint_rate": "投诉率",
    "legal_disputes": "法律纠纷数",
    "logins_30d": "近30天登录次数",
    "logins_per_week": "周均登录次数",
    "interactions_90d": "近90天互动次数",
    "tenure_days": "合作天数",
    "contract_amount": "合同金额",
    "delivery_cost": "配送成本",
    "competition_index": "区域竞争度",
    "has_special_needs": "特殊需求",
    "outlets": "门店数",
    "score": "得分",
    "model_score": "模型得分",
    **{f"share_{k}": f"{zh}占比" for zh, k in CATEGORY_KEYS.items()},
}


def feature_name(name: str, lang: str) -> str:
    """The feature's short name in ``lang`` (``zh`` or ``en``)."""
    if lang == "zh":
        alias_of = f.alias_of if (f := CATALOG.get(name)) else None
        return _ZH.get(name) or _ZH.get(alias_of or name, name)
    return name.replace("_", " ")

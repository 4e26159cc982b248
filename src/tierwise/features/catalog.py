"""The feature catalog: every feature Tierwise computes, declared before the code that fills it.

Each feature has a name (the column in the feature table and the name rule expressions use),
a meaning, a unit, the window it covers and the *group* that computes it (a group reads one
source table; only the groups a policy needs are computed). ``docs/features.md`` is rendered
from this catalog and a test keeps it in sync.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tierwise.errors import UsageError
from tierwise.model.tables import CATEGORIES

Kind = Literal["number", "text"]
Group = Literal[
    "master",
    "region",
    "orders",
    "gaps",
    "lines",
    "returns",
    "finance",
    "tickets",
    "activity",
    "credit",
]

#: ASCII names for the product categories (feature ``share_<name>``).
CATEGORY_KEYS: dict[str, str] = {
    "火锅食材": "hotpot",
    "川菜调料": "seasoning",
    "速冻小吃": "frozen_snack",
    "鲜肉": "meat",
    "蔬菜": "vegetable",
    "水产": "seafood",
    "粮油": "grain_oil",
    "冻品": "frozen",
    "饮料": "drinks",
    "一次性用品": "disposables",
}
assert set(CATEGORY_KEYS) == set(CATEGORIES)


@dataclass(frozen=True)
class Feature:
    """One feature of the per-customer feature table."""

    name: str
    meaning: str
    unit: str
    window: str
    group: Group
    kind: Kind = "number"
    alias_of: str | None = None  # the same value under another name rules read best with


def _f(
    name: str,
    meaning: str,
    unit: str,
    window: str,
    group: Group,
    kind: Kind = "number",
    *,
    alias_of: str | None = None,
) -> Feature:
    return Feature(name, meaning, unit, window, group, kind, alias_of)


_LB = "lookback"  # the policy's lookback window (default 365 days) ending at as_of

FEATURES: tuple[Feature, ...] = (
    # master data (R-FEA-2, R-FEA-4, R-FEA-7)
    _f("account_id", "Account (chain) the outlet belongs to.", "id", "as_of", "master", "text"),
    _f(
        "outlets",
        "Outlets counted in the entity (1 for an outlet, n for an account).",
        "count",
        "as_of",
        "master",
    ),
    _f(
        "business_type",
        "Chain outlet or single store (连锁/单店).",
        "chain|single",
        "as_of",
        "master",
        "text",
    ),
    _f("cuisine", "Cuisine (菜系).", "text", "as_of", "master", "text"),
    _f("scale", "Outlet size (规模).", "small|medium|large", "as_of", "master", "text"),
    _f(
        "channel",
        "Main sales channel (渠道).",
        "online|offline|wholesale|retail",
        "as_of",
        "master",
        "text",
    ),
    _f("region_id", "Delivery district.", "id", "as_of", "master", "text"),
    _f(
        "tenure_days",
        "Days since the cooperation started (合作时长).",
        "days",
        "signup..as_of",
        "master",
    ),
    _f(
        "contract_amount",
        "Annual contract amount (合同金额), 0 when there is no contract.",
        "yuan/year",
        "as_of",
        "master",
    ),
    _f(
        "has_special_needs",
        "1 when the customer has special needs (定制/VIP/冷链), else 0.",
        "0/1",
        "as_of",
        "master",
    ),
    # geography (R-FEA-5)
    _f(
        "delivery_cost",
        "Average cost of one delivery to the customer's district (配送成本).",
        "yuan/order",
        "as_of",
        "region",
    ),
    _f(
        "competition_index",
        "Regional competition of the district (区域竞争度).",
        "0..1",
        "as_of",
        "region",
    ),
    # purchase behaviour (R-FEA-1)
    _f(
        "recency_days",
        "Days from the last order to as_of (R of RFM); empty when never ordered.",
        "days",
        "all history",
        "orders",
    ),
    _f(
        "days_since_last_order",
        "Same as recency_days (the name rules read best with).",
        "days",
        "all history",
        "orders",
        alias_of="recency_days",
    ),
    _f(
        "days_since_first_order",
        "Days from the first order to as_of.",
        "days",
        "all history",
        "orders",
    ),
    _f("orders_30d", "Orders in the 30 days ending at as_of.", "orders", "30d", "orders"),
    _f("orders_90d", "Orders in the 90 days ending at as_of.", "orders", "90d", "orders"),
    _f(
        "orders_365d",
        "Orders in the 365 days ending at as_of (F of RFM by default).",
        "orders",
        "365d",
        "orders",
    ),
    _f("orders_lookback", "Orders in the policy's lookback window.", "orders", _LB, "orders"),
    _f("spend_30d", "Order amount in the 30 days ending at as_of.", "yuan", "30d", "orders"),
    _f("spend_90d", "Order amount in the 90 days ending at as_of.", "yuan", "90d", "orders"),
    _f(
        "spend_365d",
        "Order amount in the 365 days ending at as_of (M of RFM by default).",
        "yuan",
        "365d",
        "orders",
    ),
    _f("spend_lookback", "Order amount in the policy's lookback window.", "yuan", _LB, "orders"),
    _f(
        "orders_per_week",
        "Orders per week over the observed part of the lookback (see note 1).",
        "orders/week",
        _LB,
        "orders",
    ),
    _f(
        "orders_per_month",
        "Orders per month (30.4375 days) over the observed part of the lookback.",
        "orders/month",
        _LB,
        "orders",
    ),
    _f(
        "orders_per_quarter",
        "Orders per quarter (91.3125 days) over the observed part of the lookback.",
        "orders/quarter",
        _LB,
        "orders",
    ),
    _f(
        "avg_order_value",
        "Average order value (客单价): spend_lookback / orders_lookback.",
        "yuan/order",
        _LB,
        "orders",
    ),
    _f(
        "repurchase_rate",
        "Repurchase rate (复购率): share of calendar months since the first order (within the lookback) with at least one order (note 2).",
        "0..1",
        _LB,
        "orders",
    ),
    _f(
        "spend_growth",
        "Spend trend: (spend last 90d − spend previous 90d) / (sum of both), in −1..1; 0 when both are 0.",
        "−1..1",
        "180d",
        "orders",
    ),
    _f(
        "median_order_gap_days",
        "Median days between consecutive order days in the lookback; empty with fewer than 2 order days.",
        "days",
        _LB,
        "gaps",
    ),
    _f(
        "gross_margin_lookback",
        "Gross margin (毛利) of the order lines in the lookback: amount − cost.",
        "yuan",
        _LB,
        "lines",
    ),
    _f("gross_margin_rate", "Gross margin / line amount in the lookback.", "0..1", _LB, "lines"),
    *(
        _f(
            f"share_{key}",
            f"Share of line amount in category {zh} (lookback).",
            "0..1",
            _LB,
            "lines",
        )
        for zh, key in CATEGORY_KEYS.items()
    ),
    _f(
        "top_category",
        "Category key with the largest line amount in the lookback (偏好).",
        "category key",
        _LB,
        "lines",
        "text",
    ),
    _f("return_amount", "Amount refunded in the lookback.", "yuan", _LB, "returns"),
    _f(
        "return_rate",
        "Return rate (退货率): return_amount / spend_lookback (0 without spend).",
        "0..1",
        _LB,
        "returns",
    ),
    # credit risk (R-FEA-3)
    _f(
        "invoices_due",
        "Invoices issued in the lookback whose due date is on or before as_of.",
        "invoices",
        _LB,
        "finance",
    ),
    _f(
        "on_time_payment_rate",
        "账期履约率: share of invoices_due paid in full by their due date; 1 when none are due.",
        "0..1",
        _LB,
        "finance",
    ),
    _f(
        "overdue_amount",
        "Amount past due at as_of (all invoices due before as_of, minus payments up to as_of).",
        "yuan",
        "all history",
        "finance",
    ),
    _f(
        "complaints_lookback",
        "Complaint tickets raised in the lookback.",
        "tickets",
        _LB,
        "tickets",
    ),
    _f(
        "complaint_rate",
        "Complaint rate (投诉率): complaints_lookback / orders_lookback (0 without orders).",
        "complaints/order",
        _LB,
        "tickets",
    ),
    _f(
        "legal_disputes",
        "Open legal disputes on the latest credit report on or before as_of.",
        "count",
        "latest report",
        "credit",
    ),
    _f(
        "credit_rating",
        "Rating of the latest credit report on or before as_of; empty without one.",
        "AAA..C",
        "latest report",
        "credit",
        "text",
    ),
    # activity (R-FEA-6)
    _f(
        "logins_30d",
        "App / web logins in the 30 days ending at as_of.",
        "logins",
        "30d",
        "activity",
    ),
    _f(
        "logins_per_week",
        "Logins per week over the 90 days ending at as_of (登录频率).",
        "logins/week",
        "90d",
        "activity",
    ),
    _f(
        "interactions_90d",
        "Interactions (messages, campaign clicks, calls) in the 90 days ending at as_of.",
        "interactions",
        "90d",
        "activity",
    ),
)

CATALOG: dict[str, Feature] = {f.name: f for f in FEATURES}

NOTES: tuple[str, ...] = (
    "Observed window: min(lookback, days since the first order + 1), at least 30 days, so a "
    "customer who started two months ago is not diluted over a year and one order yesterday "
    "does not read as 30 orders a month.",
    "Repurchase rate: calendar months from the later of the first order and the lookback start, "
    "up to the month of as_of, inclusive; the share of those months with at least one order. "
    "A customer ordering every month scores 1; one order then silence for 11 months scores 1/12.",
    "Every feature uses rows whose event time is on or before as_of (timestamps: before the day "
    "after as_of). Customers whose signup_date is after as_of do not exist yet and get no row.",
    "At account level (entity: account) the same definitions run with the account as the key: "
    "orders of all outlets count together, ratios are recomputed from the sums (never averaged), "
    "text attributes take the smallest value over the outlets (deterministic), tenure starts "
    "at the first outlet's signup, the contract amount is the largest outlet contract, "
    "delivery cost and competition are outlet means, legal disputes are summed and the credit "
    "rating is the worst outlet's.",
)


def feature(name: str) -> Feature:
    """The feature called ``name``; a clear error listing the features if there is none."""
    try:
        return CATALOG[name]
    except KeyError:
        raise UsageError(
            f"there is no feature {name!r}", hint="features are: " + ", ".join(CATALOG)
        ) from None

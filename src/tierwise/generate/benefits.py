"""Benefit grants and redemptions of the book under the default regime (issue 15, R-OPS-2).

The regime is the one the shipped policy describes (``policies/kuailv-tuned.yaml``: 铂金 /
黄金 / 白银 / 青铜 with structured benefits), run the way a distributor without Tierwise runs
it: at the start of each quarter an outlet's tier follows its purchases of the previous
quarter against fixed thresholds (:data:`TIER_MIN_FEN`, about the top 5 / 20 / 50 % of the
generated outlets' quarters), and the tier's benefits that are *used one at a time* are
granted for that quarter (``benefit_grants``: valid from the quarter's first day until the
next quarter's, exclusive, like the benefits ledger). The other benefits of a tier (service
level, rebate, payment terms) apply by themselves and are what the book's other tables
already show (customers' terms, ``rebate_accruals``); they are not granted as rows here.

Redemptions (``benefit_redemptions``) are uses against a grant, each on a real order of the
book in the grant's validity window (brushing orders excluded), with the outlet's latent use
rates (:class:`UseRates`, drawn from the book's seed, stream 43, written to
``truth/benefits.parquet``):

* ``delivery_priority``: each order is delivered in the priority slot with chance
  ``priority_use``;
* ``coupon_allowance``: the k-th order of a calendar month (k < ``per_month``) uses one of
  the month's coupons with chance ``allowance_use``; its cost is the coupon's face value;
* ``custom_selection``: the first order of a month comes with a custom selection request
  with chance ``custom_use``.

``free_delivery_threshold`` is granted but its uses (every qualifying order) are not listed.
Like the rest of the history, the redemptions do not move orders (the world measures
responses). The numbers are assumptions, documented in docs/generator.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from tierwise.generate.arrowkit import canonical, dates, ids, money, pick
from tierwise.generate.calendar import month_of
from tierwise.generate.orders import OrderBatch

TIERS = ("platinum", "gold", "silver", "bronze")
#: previous quarter's purchases (fen) from which an outlet holds the tier; below: bronze
TIER_MIN_FEN = np.array([80_000_00, 30_000_00, 10_000_00, 1])
#: the redeemable benefits each tier gives: (code = kind, params as the policy stores them)
TIER_BENEFITS: dict[str, tuple[tuple[str, dict[str, object]], ...]] = {
    "platinum": (
        ("delivery_priority", {"priority": 1, "slot": "morning"}),
        ("custom_selection", {}),
        ("coupon_allowance", {"amount_yuan": "50", "per_month": 2}),
        ("free_delivery_threshold", {"min_order_yuan": "0"}),
    ),
    "gold": (
        ("delivery_priority", {"priority": 2, "slot": "any"}),
        ("coupon_allowance", {"amount_yuan": "30", "per_month": 1}),
        ("free_delivery_threshold", {"min_order_yuan": "300"}),
    ),
    "silver": (("free_delivery_threshold", {"min_order_yuan": "500"}),),
    "bronze": (),
}
KINDS = ("delivery_priority", "custom_selection", "coupon_allowance", "free_delivery_threshold")
PRIORITY_COST_FEN = 8_00  # routing cost of one priority delivery slot (assumption)
PRIORITY_USE = (2.0, 2.0)  # Beta(a, b) per outlet: share of its orders sent in the priority slot
ALLOWANCE_USE = (4.0, 2.0)  # Beta: chance a month's coupon of the allowance is used
CUSTOM_USE = (1.0, 3.0)  # Beta: chance of a custom selection request in a month


@dataclass(frozen=True)
class UseRates:
    """How much each outlet uses the benefits it holds (index = customer number)."""

    priority_use: np.ndarray
    allowance_use: np.ndarray
    custom_use: np.ndarray

    def table(self) -> pa.Table:
        """The rates as ``truth/benefits.parquet``."""
        n = len(self.priority_use)
        return pa.table(
            {
                "customer_id": ids("C", np.arange(1, n + 1), 7),
                "priority_use": self.priority_use,
                "allowance_use": self.allowance_use,
                "custom_use": self.custom_use,
            }
        )


def draw_use_rates(n: int, book_seed: int) -> UseRates:
    """The outlets' use rates, from the book's seed (stream 43)."""
    rng = np.random.default_rng([book_seed, 43])
    return UseRates(
        priority_use=rng.beta(*PRIORITY_USE, n),
        allowance_use=rng.beta(*ALLOWANCE_USE, n),
        custom_use=rng.beta(*CUSTOM_USE, n),
    )


def _quarter(day: np.ndarray) -> np.ndarray:
    year = day.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    out: np.ndarray = year * 4 + (month_of(day) - 1) // 3
    return out


def quarter_start(q: np.ndarray) -> np.ndarray:
    """Day number of the first day of quarter ``q`` (= year × 4 + quarter index)."""
    months = (q // 4 - 1970) * 12 + (q % 4) * 3
    out: np.ndarray = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    return out


def tiers_of(spend_fen: np.ndarray) -> np.ndarray:
    """Tier index (into :data:`TIERS`) of a quarter's purchases; -1 for none."""
    out: np.ndarray = np.where(
        spend_fen > 0, np.searchsorted(-TIER_MIN_FEN, -spend_fen, side="left"), -1
    )
    return out


def _params(p: dict[str, object]) -> str:
    return json.dumps(p, ensure_ascii=False, sort_keys=True)


# Lookup arrays by tier index: benefits given, their codes and parameters (padded), the
# position of each kind in the tier's list (-1: not given), the coupon allowance.
_CODE_LISTS = [[code for code, _ in TIER_BENEFITS[t]] for t in TIERS]
_N = np.array([len(c) for c in _CODE_LISTS])
_WIDTH = int(_N.max())
_CODES = np.array([c + [""] * (_WIDTH - len(c)) for c in _CODE_LISTS])
_PARAMS = np.array(
    [
        [_params(p) for _, p in TIER_BENEFITS[t]] + [""] * (_WIDTH - n)
        for t, n in zip(TIERS, _N, strict=True)
    ]
)
_POS = np.array([[c.index(k) if k in c else -1 for c in _CODE_LISTS] for k in KINDS])
_ALLOWANCE = [dict(TIER_BENEFITS[t]).get("coupon_allowance", {}) for t in TIERS]
_PER_MONTH = np.array([int(str(a.get("per_month", 0))) for a in _ALLOWANCE])
_AMOUNT_FEN = np.array([round(float(str(a.get("amount_yuan", 0))) * 100) for a in _ALLOWANCE])


def simulate_benefits(
    book: OrderBatch,
    order_id: pa.Array,
    rates: UseRates,
    first: int,
    end: int,
    rng: np.random.Generator,
    counters: dict[str, int],
) -> dict[str, pa.Table]:
    """``benefit_grants`` and ``benefit_redemptions`` of one batch's orders over the book."""
    quarter = _quarter(book.day)
    key = book.cust * 100_000 + quarter
    uniq, inverse = np.unique(key, return_inverse=True)
    spend = np.bincount(inverse, weights=book.amount, minlength=len(uniq)).round().astype(np.int64)
    s_cust, s_q = uniq // 100_000, uniq % 100_000
    # a tier for the quarter after each whole quarter of the book, if it starts in the book
    g_q = s_q + 1
    starts = quarter_start(g_q)
    g_tier = tiers_of(spend)
    ok = (quarter_start(s_q) >= first) & (starts <= end) & (g_tier >= 0)
    g_cust, g_q, g_tier, starts = s_cust[ok], g_q[ok], g_tier[ok], starts[ok]
    n_ben = _N[g_tier]
    g_first = np.cumsum(n_ben) - n_ben  # each (customer, quarter)'s first grant row
    gid = _take(counters, "grant", int(n_ben.sum()))
    row = np.repeat(np.arange(len(g_cust)), n_ben)
    j = np.arange(len(row)) - g_first[row]
    tier_b = g_tier[row]
    code = _CODES[tier_b, j]
    grants = canonical(
        "benefit_grants",
        {
            "grant_id": ids("BG", gid, 10),
            "customer_id": ids("C", g_cust[row] + 1, 7),
            "tier": pick(TIERS, tier_b),
            "benefit": pa.array(code, pa.string()),
            "kind": pa.array(code, pa.string()),
            "params": pa.array(_PARAMS[tier_b, j], pa.string()),
            "valid_from": dates(starts[row]),
            "valid_until": dates(quarter_start(g_q[row] + 1)),
        },
    )
    # each order's (customer, quarter) entry: orders of outlets without a tier are dropped
    o_idx = np.flatnonzero(~book.brushing)
    g_key = g_cust * 100_000 + g_q
    if len(g_key) == 0:
        o_idx = o_idx[:0]
    pos = np.minimum(np.searchsorted(g_key, key[o_idx]), len(g_key) - 1)
    has = g_key[pos] == key[o_idx]
    o_idx, pos = o_idx[has], pos[has]
    o_tier = g_tier[pos]
    o_cust, o_day = book.cust[o_idx], book.day[o_idx]
    # rank of the order within its customer's calendar month
    month = o_cust * 10_000 + (
        o_day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    )
    new_month = np.concatenate([[True], month[1:] != month[:-1]]) if len(month) else month
    month_first = np.maximum.accumulate(np.where(new_month, np.arange(len(month)), 0))
    rank = np.arange(len(month)) - month_first
    u_priority, u_coupon, u_custom = rng.random((3, len(o_idx)))
    uses = []  # (order position, kind index, cost fen)
    k_pr, k_cs = KINDS.index("delivery_priority"), KINDS.index("custom_selection")
    k_ca = KINDS.index("coupon_allowance")
    pr = (_POS[k_pr, o_tier] >= 0) & (u_priority < rates.priority_use[o_cust])
    uses.append((np.flatnonzero(pr), k_pr, np.full(int(pr.sum()), PRIORITY_COST_FEN)))
    ca = (rank < _PER_MONTH[o_tier]) & (u_coupon < rates.allowance_use[o_cust])
    uses.append((np.flatnonzero(ca), k_ca, _AMOUNT_FEN[o_tier[ca]]))
    cs = (_POS[k_cs, o_tier] >= 0) & (rank == 0) & (u_custom < rates.custom_use[o_cust])
    uses.append((np.flatnonzero(cs), k_cs, np.zeros(int(cs.sum()), np.int64)))
    at = np.concatenate([u[0] for u in uses])
    kind = np.concatenate([np.full(len(u[0]), u[1]) for u in uses])
    cost = np.concatenate([u[2] for u in uses]).astype(np.int64)
    order = np.lexsort((kind, at))  # by order (customer, time), then kind
    at, kind, cost = at[order], kind[order], cost[order]
    grant_row = g_first[pos[at]] + _POS[kind, o_tier[at]]
    rid = _take(counters, "redemption", len(at))
    redemptions = canonical(
        "benefit_redemptions",
        {
            "redemption_id": ids("BR", rid, 10),
            "grant_id": ids("BG", gid[grant_row] if len(at) else np.zeros(0, np.int64), 10),
            "customer_id": ids("C", o_cust[at] + 1, 7),
            "benefit": pick(KINDS, kind),
            "used_on": dates(o_day[at]),
            "quantity": pa.array(np.ones(len(at), np.int32), pa.int32()),
            "cost": money(cost),
            "order_id": order_id.take(pa.array(o_idx[at])),
        },
    )
    return {"benefit_grants": grants, "benefit_redemptions": redemptions}


def _take(counters: dict[str, int], kind: str, n: int) -> np.ndarray:
    start = counters.get(kind, 1)
    counters[kind] = start + n
    return np.arange(start, start + n, dtype=np.int64)

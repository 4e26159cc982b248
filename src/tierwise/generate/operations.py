"""The book's operations history under the default regime of the source documents.

What a distributor that grades its customers already does, written as operations tables:

* **visits**: account managers visit chain and large outlets about monthly, call medium
  outlets every two months and small ones every quarter, while the outlet is active;
* **coupons** and **campaign_touches**: a monthly 满减 campaign (``MJyyyymm``) pushes one
  coupon (20 yuan off an order of 300 yuan or more, valid 14 days) to 15 % of the active
  app (online) outlets; an outlet uses it on its first order that reaches the threshold in
  the validity window if it notices it (its latent coupon awareness);
* **rebate_accruals**: 月结 (monthly-terms) outlets, the best customers, accrue a 1 % rebate
  on each whole quarter's purchases;
* **survey_answers**: an NPS survey on the 15th of each quarter's last month to the active
  outlets; who answers and
  the score follow the outlet's latent satisfaction (docs/generator.md, response models);
* **account_managers** (territory = the city most of their outlets are in, 8 visits a day)
  and **price_rules** (the rules an order line's ``price_rule`` names).

The history does not respond to itself (a coupon here does not add orders): responses are the
world's business (``tierwise world simulate``), where they are measured against the truth.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.special import ndtri

from tierwise.generate import names
from tierwise.generate.arrowkit import canonical, dates, ids, money, pick
from tierwise.generate.calendar import day_number, from_day_number, month_of
from tierwise.generate.geo import DISTRICTS
from tierwise.generate.latent import Latent
from tierwise.generate.lines import RULES
from tierwise.generate.orders import OrderBatch
from tierwise.generate.population import Population

CAPACITY_PER_DAY = 8
VISIT_EVERY = np.array([90, 60, 30])  # days between visits/calls by scale (small, medium, large)
COUPON_SHARE, COUPON_FEN, COUPON_THRESHOLD_FEN, COUPON_DAYS = 0.15, 2000, 30000, 14
REBATE_PCT = 1.0
NPS_RESPONSE = (0.12, 0.04)  # response chance = a + b × |satisfaction − 6|
PRICE_RULES = (
    ("list", "标价", 0.0, "outlets without a contract"),
    ("chain_contract", "连锁协议价", 8.0, "outlets of chains with a contract (5–12 % off)"),
    ("tier_discount", "等级折扣", 2.0, "outlets whose tier or plan grants a discount"),
    ("promo", "促销价", 10.0, "items on promotion"),
)
assert tuple(r[0] for r in PRICE_RULES) == RULES


def _alive(pop: Population, cust: np.ndarray, day: np.ndarray) -> np.ndarray:
    out: np.ndarray = (pop.signup[cust] <= day) & (pop.churn[cust] > day)
    return out


def _visits(
    pop: Population, lo: int, hi: int, first: int, end: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    cust = np.arange(lo, hi)
    every = np.where(pop.chain[lo:hi], 30, VISIT_EVERY[pop.scale[lo:hi]])
    offset = rng.integers(0, every)
    counts = (end - first - offset) // every + 1
    c = np.repeat(cust, counts)
    k = np.arange(len(c)) - np.repeat(np.cumsum(counts) - counts, counts)
    day = first + np.repeat(offset, counts) + k * np.repeat(every, counts)
    ok = _alive(pop, c, day)
    return c[ok], day[ok]


def _month_starts(first: int, end: int) -> np.ndarray:
    days = np.arange(first, end + 1)
    out: np.ndarray = days[
        (
            days.astype("datetime64[D]")
            .astype("datetime64[M]")
            .astype("datetime64[D]")
            .astype(np.int64)
            == days
        )
    ]
    return out


def simulate_operations(
    pop: Population,
    latent: Latent,
    book: OrderBatch,
    order_id: pa.Array,
    lo: int,
    hi: int,
    first: int,
    end: int,
    rng: np.random.Generator,
    counters: dict[str, int],
) -> dict[str, pa.Table]:
    """The operations tables of customers ``lo:hi`` over the book ``first..end``."""
    v_cust, v_day = _visits(pop, lo, hi, first, end, rng)
    tables: dict[str, pa.Table] = {
        "visits": canonical(
            "visits",
            {
                "visit_id": ids("VS", _take(counters, "visit", len(v_cust)), 10),
                "customer_id": ids("C", v_cust + 1, 7),
                "manager_id": ids("AM", pop.manager[v_cust], 3),
                "visit_date": dates(v_day),
                "kind": pick(
                    ("visit", "call"),
                    (~pop.chain[v_cust] & (pop.scale[v_cust] < 2)).astype(np.int64),
                ),
            },
        )
    }
    # Monthly 满减 coupons to a share of the active app outlets.
    months = _month_starts(first, end - COUPON_DAYS)
    cust = np.arange(lo, hi)
    online = cust[pop.channel[lo:hi] == 0]
    c_cust = np.repeat(online, len(months))
    c_day = np.tile(months, len(online))
    pick_it = (rng.random(len(c_cust)) < COUPON_SHARE) & _alive(pop, c_cust, c_day)
    c_cust, c_day = c_cust[pick_it], c_day[pick_it]
    order = np.lexsort((c_day, c_cust))
    c_cust, c_day = c_cust[order], c_day[order]
    notices = rng.random(len(c_cust)) < np.minimum(1.0, latent.coupon_awareness[c_cust])
    # first order of the customer in [issue, issue + valid) reaching the threshold
    ok_orders = np.flatnonzero((book.amount >= COUPON_THRESHOLD_FEN) & ~book.brushing)
    key = book.cust[ok_orders] * 1_000_000 + book.day[ok_orders]
    hit = np.zeros(len(c_cust), np.int64)
    used = np.zeros(len(c_cust), bool)
    if len(key):
        pos = np.minimum(np.searchsorted(key, c_cust * 1_000_000 + c_day), len(key) - 1)
        hit = ok_orders[pos]
        used = notices & (book.cust[hit] == c_cust) & (book.day[hit] >= c_day)
        used &= book.day[hit] < c_day + COUPON_DAYS
    redeemed = pc.if_else(
        pa.array(used), pc.take(order_id, pa.array(hit)), pa.scalar(None, pa.string())
    )
    campaign = [f"MJ{from_day_number(int(d)):%Y%m}" for d in c_day.tolist()]
    tables["coupons"] = canonical(
        "coupons",
        {
            "coupon_id": ids("CP", _take(counters, "coupon", len(c_cust)), 10),
            "customer_id": ids("C", c_cust + 1, 7),
            "campaign_id": campaign,
            "issued_date": dates(c_day),
            "expires_date": dates(c_day + COUPON_DAYS - 1),
            "value": money(np.full(len(c_cust), COUPON_FEN)),
            "threshold": money(np.full(len(c_cust), COUPON_THRESHOLD_FEN)),
            "redeemed_order_id": redeemed,
            "redeemed_amount": money(np.where(used, COUPON_FEN, 0)),
        },
    )
    tables["campaign_touches"] = canonical(
        "campaign_touches",
        {
            "campaign_id": campaign,
            "customer_id": ids("C", c_cust + 1, 7),
            "touch_date": dates(c_day),
            "channel": pick(("app", "sms", "call"), np.zeros(len(c_cust), np.int64)),
        },
    )
    # Quarterly 1 % rebate for 月结 outlets on whole quarters of the book.
    monthly = pop.terms[book.cust] == 3
    month = month_of(book.day)
    year = book.day.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    quarter = year * 4 + (month - 1) // 3
    q_key = book.cust[monthly] * 100_000 + quarter[monthly]
    uniq, inverse = np.unique(q_key, return_inverse=True)
    basis = (
        np.bincount(inverse, weights=book.amount[monthly], minlength=len(uniq))
        .round()
        .astype(np.int64)
    )
    r_cust, r_q = uniq // 100_000, uniq % 100_000
    q_start = np.array([_quarter_start(int(q)) for q in r_q.tolist()], dtype=np.int64)
    q_end = np.array([_quarter_start(int(q) + 1) - 1 for q in r_q.tolist()], dtype=np.int64)
    whole = (q_start >= first) & (q_end <= end)
    r_cust, q_start, q_end, basis = r_cust[whole], q_start[whole], q_end[whole], basis[whole]
    tables["rebate_accruals"] = canonical(
        "rebate_accruals",
        {
            "customer_id": ids("C", r_cust + 1, 7),
            "period_start": dates(q_start),
            "period_end": dates(q_end),
            "basis": money(basis),
            "percent": pa.array(np.full(len(r_cust), REBATE_PCT)),
            "amount": money(np.round(basis * REBATE_PCT / 100).astype(np.int64)),
        },
    )
    # Quarterly NPS survey on the 15th of March, June, September and December.
    years = range(from_day_number(first).year, from_day_number(end).year + 1)
    dec15 = np.array(
        [day_number(dt.date(y, m, 15)) for y in years for m in (3, 6, 9, 12)], dtype=np.int64
    )
    dec15 = dec15[(dec15 >= first) & (dec15 <= end)]
    s_cust = np.repeat(cust, len(dec15))
    s_day = np.tile(dec15, len(cust))
    ok = _alive(pop, s_cust, s_day)
    s_cust, s_day = s_cust[ok], s_day[ok]
    sat = latent.satisfaction[s_cust]
    answered = rng.random(len(s_cust)) < NPS_RESPONSE[0] + NPS_RESPONSE[1] * np.abs(sat - 6)
    z = ndtri(np.clip(rng.random(len(s_cust)), 1e-9, 1 - 1e-9))
    score = np.clip(np.round(sat + 1.2 * z), 0, 10).astype(np.int32)
    tables["survey_answers"] = canonical(
        "survey_answers",
        {
            "survey_id": ids("SV", _take(counters, "survey", len(s_cust)), 10),
            "customer_id": ids("C", s_cust + 1, 7),
            "sent_date": dates(s_day),
            "answered": pa.array(answered),
            "score": pc.if_else(
                pa.array(answered), pa.array(score, pa.int32()), pa.scalar(None, pa.int32())
            ),
        },
    )
    return tables


def _quarter_start(q: int) -> int:
    """Day number of the first day of quarter ``q`` (= year × 4 + quarter index)."""
    year, idx = divmod(q, 4)
    return int(
        np.datetime64(f"{year:04d}-{idx * 3 + 1:02d}-01").astype("datetime64[D]").astype(np.int64)
    )


def _take(counters: dict[str, int], kind: str, n: int) -> np.ndarray:
    start = counters.get(kind, 1)
    counters[kind] = start + n
    return np.arange(start, start + n, dtype=np.int64)


def managers_table(pop: Population, cities: list[str], seed: int) -> pa.Table:
    """Account managers: territory = the city most of their outlets are in."""
    n_m = int(pop.manager.max())
    city = np.array(cities, dtype=object)
    territory = []
    for m in range(1, n_m + 1):
        mine = city[pop.manager == m].astype(str)
        if len(mine):
            vals, counts = np.unique(mine, return_counts=True)
            territory.append(str(vals[np.argmax(counts)]))
        else:
            territory.append("")
    rng = np.random.default_rng([seed, 41])
    return canonical(
        "account_managers",
        {
            "manager_id": ids("AM", np.arange(1, n_m + 1), 3),
            "name": names.contact_names(rng, n_m, seed),
            "territory": territory,
            "capacity_per_day": pa.array(np.full(n_m, CAPACITY_PER_DAY), pa.int32()),
        },
    )


# Approximate city centres (latitude, longitude; WGS-84) of the book's cities.
CITY_CENTRES: dict[str, tuple[float, float]] = {
    "上海市": (31.23, 121.47), "北京市": (39.90, 116.41), "南京市": (32.06, 118.80),
    "广州市": (23.13, 113.26), "成都市": (30.66, 104.07), "昆明市": (25.04, 102.71),
    "杭州市": (30.27, 120.16), "武汉市": (30.59, 114.31), "深圳市": (22.54, 114.06),
    "绵阳市": (31.47, 104.68), "西安市": (34.34, 108.94), "贵阳市": (26.65, 106.63),
    "重庆市": (29.56, 106.55), "长沙市": (28.23, 112.94),
}  # fmt: skip


def locations_table(pop: Population, seed: int) -> pa.Table:
    """Outlet coordinates: the city centre, the district's offset (up to ~10 km) and the outlet's
    own (up to ~2 km)."""
    rng = np.random.default_rng([seed, 42])
    centre = np.array([CITY_CENTRES[d.city] for d in DISTRICTS])
    district = centre + rng.uniform(-0.09, 0.09, centre.shape)
    here = district[pop.district] + rng.uniform(-0.018, 0.018, (pop.n, 2))
    return canonical(
        "outlet_locations",
        {
            "customer_id": ids("C", np.arange(1, pop.n + 1), 7),
            "latitude": np.round(here[:, 0], 6),
            "longitude": np.round(here[:, 1], 6),
        },
    )


def price_rules_table() -> pa.Table:
    """The price rules an order line's ``price_rule`` names."""
    return canonical(
        "price_rules",
        {
            "rule_id": [r[0] for r in PRICE_RULES],
            "name": [r[1] for r in PRICE_RULES],
            "percent_off": [r[2] for r in PRICE_RULES],
            "applies_to": [r[3] for r in PRICE_RULES],
        },
    )

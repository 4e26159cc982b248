"""Master data tables: regions, products and customers, in the canonical schema."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tierwise.generate import names
from tierwise.generate.arrowkit import canonical, dates, ids, money, pick
from tierwise.generate.catalog import (
    CUISINE_NAMES,
    GRADES,
    LEAD_TIME,
    LINES,
    PACKS,
    SHELF_LIFE,
    WEIGHED_UNITS,
    base_products,
)
from tierwise.generate.geo import DISTRICTS
from tierwise.generate.population import NEVER, SCALES, TERMS, Population
from tierwise.model.arrow import MONEY
from tierwise.model.tables import CATEGORIES, CHANNELS

CATEGORY_CODE = ("HG", "TL", "SD", "XR", "SC", "SH", "LY", "DP", "YL", "YC")
TASTE_DIMS = 6  # dimensions of the latent taste space shared by outlets and SKUs
NEW_SHARE = 0.08  # share of SKUs launched during the book
_HOME_CITIES = ("成都市", "绵阳市", "重庆市")  # near the warehouse: cheap to serve
_NEEDS = ("custom_menu", "vip_service", "cold_chain")
_ORDINALS = ("", "二", "三", "四", "五", "六", "七", "八", "九", "十")


@dataclass(frozen=True)
class Catalogue:
    """The products as arrays (index = SKU number) plus the canonical table."""

    sku: list[str]
    category: np.ndarray  # index into CATEGORIES
    weighed: np.ndarray  # bool: sold by kg
    price_fen: np.ndarray
    cost_fen: np.ndarray
    table: pa.Table
    base: np.ndarray  # base product number (variants of one base share a taste)
    premium: np.ndarray  # -1 (economy pack/grade) .. 1 (premium), for the price-level taste
    embedding: np.ndarray  # (n_sku, TASTE_DIMS) float32: where the SKU sits in taste space
    popularity: np.ndarray  # log-popularity of the SKU among outlets that like its kind
    launch: np.ndarray  # day number it is first sold (-NEVER: long listed)

    def by_category(self) -> tuple[np.ndarray, np.ndarray]:
        """First SKU number and SKU count of each category (the catalogue is category-sorted)."""
        counts = np.bincount(self.category, minlength=len(CATEGORIES))
        return np.concatenate([[0], np.cumsum(counts)[:-1]]), counts

    @property
    def n(self) -> int:
        return len(self.sku)


def regions_table(rng: np.random.Generator) -> pa.Table:
    """The delivery districts with their cost to serve and competition index."""
    home = np.array([d.city in _HOME_CITIES for d in DISTRICTS])
    n = len(DISTRICTS)
    cost = np.where(home, rng.uniform(6, 15, n), rng.uniform(18, 45, n))
    competition = np.clip(np.where(home, rng.uniform(0.4, 0.95, n), rng.uniform(0.2, 0.8, n)), 0, 1)
    return canonical(
        "regions",
        {
            "region_id": [d.code for d in DISTRICTS],
            "province": [d.province for d in DISTRICTS],
            "city": [d.city for d in DISTRICTS],
            "district": [d.district for d in DISTRICTS],
            "delivery_cost": money(np.round(cost * 100).astype(np.int64)),
            "competition_index": np.round(competition, 3),
        },
    )


def _supplier_names(rng: np.random.Generator) -> list[str]:
    """One supplier per (category, product line): a company in a plausible city."""
    cities = ("成都", "重庆", "眉山", "德阳", "绵阳", "乐山", "昆明", "武汉", "广州", "郑州")
    words = ("食品", "农业", "贸易", "供应链", "实业")
    return [
        f"{cities[int(rng.integers(len(cities)))]}{line}{words[int(rng.integers(len(words)))]}有限公司"
        for cat in CATEGORIES
        for line in LINES[cat]
    ]


def products(rng: np.random.Generator, first_day: int, last_day: int) -> Catalogue:
    """The catalogue (1 107 SKUs) with seed-perturbed prices, tastes and launch dates.

    Parameters
    ----------
    rng:
        The catalogue's random stream.
    first_day, last_day:
        Day numbers of the book; about 8 % of the SKUs are launched between them (new products
        that spread through the outlets whose taste they match).
    """
    bases = base_products()
    n_base = len(bases)
    base_emb = rng.normal(0, 1, (n_base, TASTE_DIMS))
    suppliers = _supplier_names(rng)
    rows: dict[str, list[object]] = {k: [] for k in (
        "sku", "name", "category", "unit", "subcategory", "brand", "spec", "pack_size",
        "shelf_life_days", "supplier", "lead_time_days",
    )}  # fmt: skip
    base_idx, premium, price, weighed = [], [], [], []
    per_cat = np.zeros(len(CATEGORIES), dtype=np.int64)
    for b, (ci, sub, name, unit, base_price) in enumerate(bases):
        cat = CATEGORIES[ci]
        is_weighed = unit in WEIGHED_UNITS
        for li, line in enumerate(LINES[cat]):
            for pi, (label, size, factor) in enumerate(GRADES if is_weighed else PACKS):
                per_cat[ci] += 1
                rows["sku"].append(f"{CATEGORY_CODE[ci]}{per_cat[ci]:04d}")
                rows["name"].append(f"{line}{name}({label})")
                rows["category"].append(cat)
                rows["unit"].append(unit)
                rows["subcategory"].append(sub)
                rows["brand"].append(line)
                rows["spec"].append(label)
                rows["pack_size"].append(size if not is_weighed else 1.0)
                rows["shelf_life_days"].append(SHELF_LIFE[cat])
                rows["supplier"].append(suppliers[ci * 3 + li])
                rows["lead_time_days"].append(LEAD_TIME[cat] + int(rng.integers(0, 3)))
                base_idx.append(b)
                premium.append(pi - 1.0)
                price.append(base_price * factor)
                weighed.append(is_weighed)
    n = len(rows["sku"])
    cat_idx = np.array([CATEGORIES.index(str(c)) for c in rows["category"]], dtype=np.int64)
    list_price = np.array(price)
    price_fen = np.round(list_price * rng.uniform(0.9, 1.1, n) * 10).astype(np.int64) * 10
    cost_fen = np.round(price_fen * rng.uniform(0.68, 0.85, n)).astype(np.int64)
    base_arr = np.array(base_idx, dtype=np.int64)
    embedding = (base_emb[base_arr] + rng.normal(0, 0.35, (n, TASTE_DIMS))).astype(np.float32)
    popularity = rng.normal(0, 0.7, n)
    # New products: launched during the book (after its first quarter), never long listed.
    is_new = rng.random(n) < NEW_SHARE
    span = max(last_day - first_day, 1)
    launch = np.where(
        is_new, first_day + span // 4 + rng.integers(0, max(span * 3 // 4, 1), n), -NEVER
    )
    tbl = canonical(
        "products",
        {
            **rows,
            "unit_cost": money(cost_fen),
            "unit_price": money(price_fen),
            "launch_date": pc.if_else(
                pa.array(is_new), dates(np.maximum(launch, 0)), pa.scalar(None, pa.date32())
            ),
        },
    )
    return Catalogue(
        rows["sku"],  # type: ignore[arg-type]
        cat_idx,
        np.array(weighed),
        price_fen,
        cost_fen,
        tbl,
        base_arr,
        np.array(premium),
        embedding,
        popularity,
        launch.astype(np.int64),
    )


def customers_table(pop: Population, rng: np.random.Generator) -> tuple[pa.Table, list[str]]:
    """The customer master table, and each customer's account (company) name."""
    n = pop.n
    first_outlet = np.concatenate([[True], pop.account[1:] != pop.account[:-1]])
    brand_of_account = names.brands(rng, int(pop.account.max()) + 1)
    shop, account_name, address = [], [], []
    company = base = ""
    used: dict[str, int] = {}
    for i in range(n):
        cuisine = CUISINE_NAMES[pop.cuisine[i]]
        district = int(pop.district[i])
        addr, road = names.street(rng, district)
        if first_outlet[i]:  # a chain's outlets share the account's sign and company
            base = brand_of_account[pop.account[i]] + names.kind_word(rng, cuisine)
            city = DISTRICTS[district].city
            sole = (
                not pop.chain[i] and cuisine not in ("批发", "商超", "食堂") and rng.random() < 0.4
            )
            company = (
                names.sole_trader_name(district, base)
                if sole
                else names.company_name(rng, city, cuisine)
            )
            used = {}
        branch = pop.chain[i] or rng.random() < 0.25
        # A chain's second outlet on the same road is its 二店, then 三店 ...
        k = used.get(road, 0)
        used[road] = k + 1
        nth = _ORDINALS[k] if k < len(_ORDINALS) else f"{k + 1}号"
        shop.append(f"{base}({road}{nth}店)" if branch else base)
        account_name.append(company)
        address.append(addr)
    # Expected yearly spend, for contracts and credit lines that fit the customer.
    yearly = pop.weekdays.sum(axis=1) * pop.p_on * 52 * (1 + pop.lines) * pop.line_value
    has_contract = rng.random(n) < np.where(pop.chain | (pop.scale == 2), 0.7, 0.25)
    contract = np.round(yearly * rng.uniform(0.8, 1.2, n) / 100_000) * 100_000
    credit = np.round(yearly * np.array([0.0, 0.01, 0.04, 0.12])[pop.terms] / 100_000) * 100_000
    needs_mask = rng.random((n, 3)) < np.array([0.05, 0.04, 0.06]) * (1 + pop.scale[:, None])
    needs = [",".join(_NEEDS[j] for j in range(3) if row[j]) or None for row in needs_mask.tolist()]
    tbl = canonical(
        "customers",
        {
            "customer_id": ids("C", np.arange(1, n + 1), 7),
            "account_id": ids("A", pop.account + 1, 7),
            "account_name": account_name,
            "name": shop,
            "business_type": np.where(pop.chain, "chain", "single").tolist(),
            "cuisine": pick(CUISINE_NAMES, pop.cuisine),
            "scale": pick(SCALES, pop.scale),
            "province": [DISTRICTS[d].province for d in pop.district.tolist()],
            "city": [DISTRICTS[d].city for d in pop.district.tolist()],
            "district": [DISTRICTS[d].district for d in pop.district.tolist()],
            "address": address,
            "region_id": [DISTRICTS[d].code for d in pop.district.tolist()],
            "channel": pick(CHANNELS, pop.channel),
            "signup_date": dates(pop.signup),
            "contract_amount": pc.if_else(
                pa.array(has_contract), money(contract.astype(np.int64)), pa.scalar(None, MONEY)
            ),
            "payment_terms": pick(TERMS, pop.terms),
            "credit_limit": money(credit.astype(np.int64)),
            "account_manager": ids("AM", pop.manager, 3),
            "contact_name": names.contact_names(rng, n, int(rng.integers(0, 2**31))),
            "phone": names.phones(rng, n),
            "special_needs": needs,
        },
    )
    return tbl, account_name

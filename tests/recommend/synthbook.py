"""A small purchase book with known structure, for the recommenders' tests.

- Outlets of three cuisines (火锅, 川菜, 粤菜), chain or single, two provinces, tiers.
- Each outlet has 14 staples (from its cuisine's 20) with its own reorder interval each (3 to
  28 days): an order every 2 days holds the staples that are due, so what comes next is what
  is due, not what is most frequent (buy-again should beat top-frequency on repeat items).
- Each outlet has a hidden taste (two per cuisine) with a pool of 8 specialty SKUs; over time
  it adopts pool SKUs one by one (a new product spreading through similar outlets). The
  taste is not in any column, so only the purchases reveal it: collaborative filtering should
  beat (similar-outlet) popularity on new items.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from tierwise.recommend.book import Book

CUISINES = ("火锅", "川菜", "粤菜")
CATS = ("火锅食材", "川菜调料", "蔬菜", "鲜肉", "水产", "冻品")


def products() -> pd.DataFrame:
    rows = []
    n = 0
    for c in range(len(CUISINES)):
        for j in range(20):  # staples of cuisine c
            rows.append((f"ST{c}{j:03d}", f"主料{c}-{j}", CATS[j % 4], c, -1))
            n += 1
        for t in range(2):  # two hidden tastes per cuisine
            for j in range(8):
                rows.append((f"TS{c}{t}{j:02d}", f"特色{c}-{t}-{j}", CATS[4 + j % 2], c, t))
    for j in range(10):  # generic popular items anybody buys now and then
        rows.append((f"GN0{j:03d}", f"通用{j}", "冻品", -1, -1))
    df = pd.DataFrame(rows, columns=["sku", "name", "category", "cuisine_ix", "taste"])
    rng = np.random.default_rng(7)
    df["unit_price"] = rng.uniform(10, 100, len(df)).round(2)
    df["unit_cost"] = (df["unit_price"] * rng.uniform(0.6, 0.9, len(df))).round(2)
    return df


def make_book(
    n_customers: int = 240, days: int = 200, seed: int = 0, end: dt.date = dt.date(2026, 6, 30)
) -> tuple[Book, pd.DataFrame]:
    """(book as of ``end``, hidden truth per customer: cuisine index and taste)."""
    rng = np.random.default_rng(seed)
    prod = products()
    start = end - dt.timedelta(days=days - 1)
    ix = {sku: i for i, sku in enumerate(prod["sku"])}
    skus = prod["sku"].tolist()
    cust_rows, lines, truth = [], [], []
    for n in range(n_customers):
        cid = f"C{n:07d}"
        c = n % 3
        taste = int(rng.integers(2))
        tier = ("gold", "silver", "bronze")[int(rng.integers(3))]
        cust_rows.append(
            (cid, CUISINES[c], ("chain", "single")[n % 2], ("四川省", "广东省")[(n // 2) % 2], tier)
        )
        truth.append((cid, c, taste))
        staples = rng.choice(20, 14, replace=False)
        interval = rng.integers(3, 29, 14)
        last = -rng.integers(0, interval)  # staggered phases
        pool = prod.index[(prod["cuisine_ix"] == c) & (prod["taste"] == taste)].to_numpy()
        adopt_days = np.sort(rng.choice(np.arange(10, days), len(pool), replace=False))
        adopted: list[int] = []
        order_no = 0
        for d in range(int(rng.integers(2)), days, 2):
            day = start + dt.timedelta(days=d)
            items = [
                ix[f"ST{c}{s:03d}"]
                for s, iv, la in zip(staples, interval, last, strict=True)
                if d - la >= iv
            ]
            last = np.where(d - last >= interval, d, last)
            while len(adopted) < len(pool) and adopt_days[len(adopted)] <= d:
                adopted.append(int(pool[len(adopted)]))
                items.append(adopted[-1])  # first purchase on adoption
            if adopted and rng.random() < 0.3:
                items.append(int(rng.choice(adopted)))
            if rng.random() < 0.1:
                items.append(ix[f"GN0{int(rng.integers(10)):03d}"])
            if not items:
                continue
            order_no += 1
            oid = f"SO{n:05d}{order_no:05d}"
            for j in dict.fromkeys(items):
                lines.append((cid, oid, day, skus[j], float(rng.integers(1, 6))))
    customers = pd.DataFrame(
        cust_rows, columns=["customer_id", "cuisine", "business_type", "province", "tier"]
    )
    lines_df = pd.DataFrame(lines, columns=["customer_id", "order_id", "day", "sku", "quantity"])
    book = Book(lines_df, prod.drop(columns=["cuisine_ix", "taste"]), customers, end)
    return book, pd.DataFrame(truth, columns=["customer_id", "cuisine_ix", "taste"])

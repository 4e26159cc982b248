"""常购清单 (buy again): a customer's repeat items, ranked by how due they are.

For each (customer, SKU) the customer has bought, :func:`repeat_stats` keeps what the score
needs: in how many orders (``n``), the first and last day, the usual quantity (median per
line) and how many of those orders fell in the season window (the calendar months around the
next day, in earlier years). :func:`score_stats` turns them into a score at a given day:

``score = share × (0.2 + 0.8 × due) × season``

- ``share`` = n / the customer's orders (frequency);
- ``due`` from ``r`` = days since the last purchase / the item's own reorder interval
  ((last − first) / (n − 1); an item bought once: the customer's whole history): ``r`` up to
  1 counts as ``r`` (not due yet … due), 1–3 as 1 (due or a little late), beyond 3 as 3/r (the
  item has lapsed: fading, not dropped);
- ``season`` = (purchases in the window + 1) / (expected purchases in it + 1), clipped to
  0.5–2, only for customers with at least a year of history (1 otherwise).

The stats are stored with the list (:mod:`tierwise.recommend.store`), so a real-time order
re-scores one customer from them without reading the lake (:func:`apply_order`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
import pandas as pd

from tierwise.recommend.book import Book

SEASON_MIN_HISTORY_DAYS = 365
STAT_COLUMNS = ("u", "i", "n", "first_day", "last_day", "qty", "in_season")


def _season_months(day: dt.date) -> tuple[int, int, int]:
    m = day.month
    return ((m - 2) % 12 + 1, m, m % 12 + 1)


def repeat_stats(book: Book) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per (customer, SKU) purchase stats and per customer order stats, from ``book``.

    Returns ``(items, customers)``: ``items`` has :data:`STAT_COLUMNS` (codes ``u``/``i``),
    ``customers`` has ``u``, ``orders``, ``first_day`` (index = ``u``).
    """
    import duckdb

    lines = book.lines[["u", "i", "order_id", "day", "quantity"]]
    months = list(_season_months(book.as_of + dt.timedelta(days=1)))
    db = duckdb.connect()
    db.register("lines", lines)
    season_cut = pd.Timestamp(book.as_of) - pd.Timedelta(days=300)  # earlier years only
    items = db.execute(
        """
        SELECT u, i, COUNT(DISTINCT order_id) AS n, MIN(day) AS first_day, MAX(day) AS last_day,
               MEDIAN(quantity) AS qty,
               COUNT(DISTINCT order_id) FILTER (WHERE month(day) IN (?, ?, ?) AND day < ?)
                   AS in_season
        FROM lines GROUP BY u, i ORDER BY u, i
        """,
        [*months, season_cut],
    ).df()
    customers = db.execute(
        "SELECT u, COUNT(DISTINCT order_id) AS orders, MIN(day) AS first_day "
        "FROM lines GROUP BY u ORDER BY u"
    ).df()
    db.close()
    items["first_day"] = pd.to_datetime(items["first_day"])
    items["last_day"] = pd.to_datetime(items["last_day"])
    customers["first_day"] = pd.to_datetime(customers["first_day"])
    return items, customers.set_index("u")


def score_stats(items: pd.DataFrame, customers: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """``items`` with ``interval`` (days), ``due_ratio`` and ``score`` at ``as_of`` (see module)."""
    now = pd.Timestamp(as_of)
    cust = customers.reindex(items["u"].to_numpy())
    orders = cust["orders"].to_numpy(dtype=float)
    history = (now - cust["first_day"]).dt.days.to_numpy(dtype=float) + 1.0
    n = items["n"].to_numpy(dtype=float)
    span = (items["last_day"] - items["first_day"]).dt.days.to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        interval = np.where(n >= 2, span / np.maximum(n - 1, 1), history)
        interval = np.maximum(interval, 1.0)
        since = (now - items["last_day"]).dt.days.to_numpy(dtype=float)
        r = np.maximum(since, 0.0) / interval
        due = np.where(r <= 1, r, np.where(r <= 3, 1.0, 3.0 / r))
        share = n / np.maximum(orders, 1.0)
        # a season window is 3 of 12 months; purchases in it beyond that share lift the score
        years = np.maximum(history - 300, 0) / 365.0
        expected = n * 0.25 * np.minimum(years, 1.0)
        season = np.where(
            history >= SEASON_MIN_HISTORY_DAYS,
            np.clip((items["in_season"].to_numpy(dtype=float) + 1) / (expected + 1), 0.5, 2.0),
            1.0,
        )
    return items.assign(interval=interval, due_ratio=r, score=share * (0.2 + 0.8 * due) * season)


def top_per_user(scored: pd.DataFrame, k: int) -> pd.DataFrame:
    """The ``k`` best-scored rows per ``u`` (ties: the lower SKU code first)."""
    s = scored.sort_values(["u", "score", "i"], ascending=[True, False, True], kind="stable")
    return s[s.groupby("u").cumcount() < k]


def buy_again(book: Book, k: int = 10) -> pd.DataFrame:
    """The top ``k`` repeat items of every customer with history, scored at ``book.as_of``."""
    items, customers = repeat_stats(book)
    return top_per_user(score_stats(items, customers, book.as_of), k)


def apply_order(
    items: pd.DataFrame,
    customers: pd.DataFrame,
    u: int,
    day: dt.date,
    lines: Iterable[tuple[int, float]],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The stats of customer ``u`` after one more order on ``day`` with ``lines`` (item, qty).

    The usual quantity keeps its median unless the item is new to the customer (then the
    order's quantity); the season count is unchanged (the order is in the current year).
    """
    items = items.copy()
    customers = customers.copy()
    ts = pd.Timestamp(day)
    customers["orders"] = customers["orders"] + (customers.index == u)  # a row per customer
    for i, qty in dict(lines).items():
        hit = (items["u"] == u) & (items["i"] == i)
        if hit.any():
            items.loc[hit, "n"] = items.loc[hit, "n"] + 1
            items.loc[hit, "last_day"] = ts
        else:
            row = {"u": u, "i": i, "n": 1, "first_day": ts, "last_day": ts, "qty": qty}
            items = pd.concat([items, pd.DataFrame([{**row, "in_season": 0}])], ignore_index=True)
    return items, customers

"""Backtest of both lists and the ship rule (R-OPS-7, R-ANA-*): on a book with known structure
(staples with own reorder intervals, hidden tastes), buy-again beats personal top-frequency on
repeat items and ALS beats (similar-outlet) popularity on new items."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from tierwise.recommend.book import Book
from tierwise.recommend.evaluate import Backtest, backtest, ship_decision

CUT = dt.date(2026, 6, 10)


@pytest.fixture(scope="module")
def bt(book: Book) -> Backtest:
    return backtest(book, CUT, horizon_days=14)


def test_buy_again_beats_top_frequency_and_popularity_on_repeat_items(bt: Backtest) -> None:
    again = bt.figure("repeat", "buy_again")
    for base in ("top_frequency", "popularity"):
        r, n = bt.figure("repeat", base)
        assert again[0] > r and again[1] > n, (base, again, (r, n))


def test_als_beats_popularity_on_new_items_and_ships(bt: Backtest) -> None:
    als = bt.figure("new", "als")
    for base in ("popularity", "segment_popularity"):
        assert als[0] > bt.figure("new", base)[0] and als[1] > bt.figure("new", base)[1]
    assert bt.figure("new", "top_frequency") == (0.0, 0.0)
    d = ship_decision(bt)
    assert d.cf_ships and d.model == "als" and "beat" in d.reason


def test_figures_per_tier_and_metrics_in_range(bt: Backtest) -> None:
    t = bt.table
    assert {"gold", "silver", "bronze", "all"} <= set(t["tier"])
    assert t["recall"].between(0, 1).all() and t["ndcg"].between(0, 1).all()
    all_rows = t[t["tier"] == "all"]
    per_tier = t[t["tier"] != "all"].groupby(["list", "model"])["evaluated"].sum()
    assert (all_rows.set_index(["list", "model"])["evaluated"] == per_tier).all()


def test_cf_that_loses_does_not_ship(bt: Backtest) -> None:
    t = bt.table.copy()
    worse = (t["list"] == "new") & t["model"].isin(["als", "item_knn"])
    t.loc[worse, ["recall", "ndcg"]] = 0.01
    d = ship_decision(Backtest(t, bt.cutoff, bt.horizon_days, bt.k))
    assert not d.cf_ships and d.model == "segment_popularity" and "did not beat" in d.reason


def test_next_basket_target_is_one_order(book: Book) -> None:
    from tierwise.recommend.evaluate import targets

    nxt = targets(book, CUT, 0)
    after = book.lines[book.lines["day"] > pd.Timestamp(CUT)]
    u = next(iter(nxt))
    mine = after[after["u"] == u]
    first = mine[mine["day"] == mine["day"].min()]
    assert nxt[u] == set(first[first["order_id"] == first["order_id"].min()]["i"])

"""Both lists per customer, the store, and the refresh after a real-time order (R-OPS-7)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine

from tierwise.recommend.book import Book
from tierwise.recommend.lists import build_lists
from tierwise.recommend.policy import RecommendPolicy, Rules
from tierwise.recommend.service import read_lists, refresh_after_orders, store_lists
from tierwise.store.migrate import upgrade

NOW = dt.datetime(2026, 7, 1, 8)


def with_newcomer(book: Book) -> Book:
    """The book plus an outlet that never ordered (cold start)."""
    extra = pd.DataFrame(
        [("C9999999", "火锅", "single", "四川省", "gold")],
        columns=["customer_id", "cuisine", "business_type", "province", "tier"],
    )
    lines = book.lines[["customer_id", "order_id", "day", "sku", "quantity"]]
    return Book(lines, book.products, pd.concat([book.customers, extra]), book.as_of)


def test_lists_have_reasons_new_items_are_new_and_cold_start_is_marked(book: Book) -> None:
    b = with_newcomer(book)
    rows = {r["customer_id"]: r for r in build_lists(b, RecommendPolicy(), "als")}
    assert len(rows) == b.n_users
    one = rows["C0000001"]
    bought = set(b.lines.loc[b.lines["customer_id"] == "C0000001", "sku"])
    assert one["model"] == "als" and not one["cold_start"]
    assert len(one["buy_again"]) == 10 and {i["sku"] for i in one["buy_again"]} <= bought
    assert len(one["new_items"]) == 10 and not {i["sku"] for i in one["new_items"]} & bought
    assert all(i["reason"]["zh"] and i["reason"]["en"] for i in one["buy_again"] + one["new_items"])
    assert "常买" in one["buy_again"][0]["reason"]["zh"] and one["buy_again"][0]["usual_qty"] > 0
    cold = rows["C9999999"]
    assert cold["cold_start"] == 1 and cold["model"] == "segment_popularity"
    assert cold["buy_again"] == [] and len(cold["new_items"]) == 10
    assert cold["new_items"][0]["reason"]["zh"] == "与你相似的单店火锅店常买"


def test_business_rules_remove_and_boost(book: Book) -> None:
    base = {r["customer_id"]: r for r in build_lists(book, RecommendPolicy(), "als")}
    first = base["C0000001"]["new_items"]
    gone, boosted = first[0]["sku"], first[-1]["sku"]
    blocked_cat = first[1]["category"]
    rules = Rules(
        out_of_stock=[gone], clearance={boosted: 5.0}, blocked_categories={"川菜": [blocked_cat]}
    )
    after = {r["customer_id"]: r for r in build_lists(book, RecommendPolicy(rules=rules), "als")}
    new = after["C0000001"]["new_items"]  # C0000001 is a 川菜 outlet
    skus = [i["sku"] for i in new]
    assert gone not in skus and skus[0] == boosted
    assert "清仓" in new[0]["reason"]["zh"]
    assert not any(i["category"] == blocked_cat for i in new)


def test_store_read_and_refresh_after_an_order(book: Book, engine: Engine) -> None:
    upgrade(engine)
    rows = [
        r for r in build_lists(book, RecommendPolicy(), "als") if r["customer_id"] == "C0000002"
    ]
    assert store_lists(engine, rows, "run-1", NOW) == 1
    before = read_lists(engine, "C0000002")
    assert before is not None and before["source"] == "build" and before["run_id"] == "run-1"
    due = before["buy_again"][0]["sku"]
    new = before["new_items"][0]["sku"]
    event = {
        "kind": "order",
        "customer_id": "C0000002",
        "event_time": dt.datetime(2026, 7, 1, 9),
        "payload": {"lines": [{"sku": due, "quantity": 2}, {"sku": new, "quantity": 1}]},
    }
    with engine.begin() as conn:
        assert refresh_after_orders(conn, [event], NOW) == ["C0000002"]
        assert refresh_after_orders(conn, [{**event, "customer_id": "C404"}], NOW) == []
    after = read_lists(engine, "C0000002")
    assert after is not None and after["source"] == "realtime"
    again = {i["sku"]: i for i in after["buy_again"]}
    # just bought: no longer due (0 days since), so it drops out of first place
    assert after["buy_again"][0]["sku"] != due
    assert due not in again or again[due]["days_since"] == 0
    assert new not in {i["sku"] for i in after["new_items"]}
    assert after["stats"]["orders"] == before["stats"]["orders"] + 1

"""常购清单 (R-OPS-7): repeat items ranked by how due they are, with the usual quantity."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from tierwise.errors import DataError
from tierwise.recommend.book import Book
from tierwise.recommend.buy_again import buy_again, repeat_stats, score_stats

D = dt.date(2026, 6, 30)


def _book(lines: list[tuple[str, str, str, str, float]]) -> Book:
    products = pd.DataFrame(
        {
            "sku": ["A", "B", "C"],
            "name": ["大白菜", "牛油", "毛肚"],
            "category": ["蔬菜", "火锅食材", "火锅食材"],
            "unit_price": [10.0, 50.0, 80.0],
            "unit_cost": [8.0, 40.0, 50.0],
        }
    )
    customers = pd.DataFrame(
        {
            "customer_id": ["C1"],
            "cuisine": ["火锅"],
            "business_type": ["single"],
            "province": ["四川省"],
        }
    )
    df = pd.DataFrame(lines, columns=["customer_id", "order_id", "day", "sku", "quantity"])
    return Book(df, products, customers, D)


def test_due_item_ranks_above_more_frequent_item_just_bought() -> None:
    """A (6 orders, every 5 days, bought yesterday) is more frequent, B (5 orders, every 6 days,
    last 6 days ago) is due: buy again puts B first, top-frequency would put A first."""
    lines = []
    for d in range(1, 30, 5):
        lines.append(("C1", f"O{d}", str(D - dt.timedelta(days=d)), "A", 3.0))
    for d in range(6, 31, 6):
        lines.append(("C1", f"P{d}", str(D - dt.timedelta(days=d)), "B", 2.0))
    top = buy_again(_book(lines), k=5)
    assert top["n"].tolist() == [5, 6]
    assert top["i"].tolist() == [1, 0]  # B (code 1) before A (code 0)
    b = top.iloc[0]
    assert b["interval"] == pytest.approx(6.0) and b["due_ratio"] == pytest.approx(1.0)
    assert b["qty"] == 2.0


def test_lapsed_item_fades_and_usual_quantity_is_the_median() -> None:
    lines = [
        ("C1", f"O{d}", str(D - dt.timedelta(days=d)), "A", q)
        for d, q in ((90, 1), (95, 5), (100, 2))
    ]
    lines += [("C1", f"P{d}", str(D - dt.timedelta(days=d)), "B", 1.0) for d in (5, 10, 15)]
    items, customers = repeat_stats(_book(lines))
    s = score_stats(items, customers, D).set_index("i")
    assert s.loc[0, "qty"] == 2.0  # median of 1, 5, 2
    assert s.loc[0, "due_ratio"] == pytest.approx(90 / 5)  # lapsed 18 intervals ago
    assert s.loc[0, "score"] < s.loc[1, "score"]


def test_nothing_after_as_of_is_used() -> None:
    later = str(D + dt.timedelta(days=1))
    book = _book([("C1", "O1", str(D), "A", 1.0), ("C1", "O2", later, "B", 1.0)])
    assert set(book.lines["sku"]) == {"A"}


def test_unknown_sku_is_a_clear_error() -> None:
    with pytest.raises(DataError) as err:
        _book([("C1", "O1", str(D), "ZZ", 1.0)])
    assert "ZZ" in str(err.value) and err.value.fields["column"] == "sku"


def test_missing_column_names_the_available_ones() -> None:
    with pytest.raises(DataError, match="lacks column"):
        Book(pd.DataFrame({"customer_id": []}), pd.DataFrame(), pd.DataFrame(), D)

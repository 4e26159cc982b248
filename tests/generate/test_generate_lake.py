"""The clean lake of a generated book: schemas, integrity, and the behaviours it must show (R-DAT-1)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from tierwise.generate import GenerateConfig, GenerateResult
from tierwise.model import TABLES
from tierwise.model.arrow import arrow_schema


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_table_has_exactly_the_canonical_schema(
    book: GenerateResult, name: str, read: Callable[[str], pa.Table]
) -> None:
    parts = sorted((book.lake / name).glob("part-*.parquet"))
    assert parts, f"no parts for {name}"
    for part in parts:
        assert pq.read_schema(part).equals(arrow_schema(TABLES[name]), check_metadata=False), part
    assert read(name).num_rows > 0


def test_references_resolve(book: GenerateResult, read: Callable[[str], pa.Table]) -> None:
    customers = set(read("customers")["customer_id"].to_pylist())
    orders = read("orders")
    order_ids = set(orders["order_id"].to_pylist())
    assert len(order_ids) == orders.num_rows, "order ids are unique"
    for name in ("orders", "returns", "invoices", "payments", "tickets", "activity", "credit"):
        assert set(read(name)["customer_id"].to_pylist()) <= customers, name
    assert set(read("order_lines")["order_id"].to_pylist()) <= order_ids
    assert set(read("returns")["order_id"].to_pylist()) <= order_ids
    invoices = set(read("invoices")["invoice_id"].to_pylist())
    assert set(read("payments")["invoice_id"].to_pylist()) <= invoices
    skus = set(read("products")["sku"].to_pylist())
    assert set(read("order_lines")["sku"].to_pylist()) <= skus
    regions = set(read("regions")["region_id"].to_pylist())
    assert set(read("customers")["region_id"].to_pylist()) <= regions


def test_order_amount_is_the_sum_of_its_lines(
    book: GenerateResult, read: Callable[[str], pa.Table]
) -> None:
    lines = read("order_lines")
    sums = lines.group_by("order_id").aggregate([("amount", "sum")])
    orders = read("orders").join(sums, "order_id")
    assert orders.num_rows == read("orders").num_rows
    assert pc.all(pc.equal(orders["amount"], orders["amount_sum"])).as_py()


def test_nothing_after_the_end_of_the_book_is_in_the_lake(
    tiny: GenerateConfig, read: Callable[[str], pa.Table]
) -> None:
    end = dt.datetime.combine(tiny.end_date, dt.time.max)
    for name, col in (
        ("orders", "order_time"),
        ("returns", "return_time"),
        ("tickets", "created_time"),
    ):
        assert pc.max(read(name)[col]).as_py() <= end, name
    for name, col in (("payments", "paid_date"), ("invoices", "issue_date"), ("activity", "date")):
        assert pc.max(read(name)[col]).as_py() <= tiny.end_date, name


def test_chinese_new_year_closure_empties_the_week(
    book: GenerateResult, read: Callable[[str], pa.Table]
) -> None:
    times = read("orders")["order_time"].to_numpy().astype("datetime64[D]")
    cny = np.datetime64("2026-02-17")
    closed = np.sum((times >= cny - 1) & (times < cny + 6))
    before = np.sum((times >= cny - 40) & (times < cny - 33))
    after = np.sum((times >= cny + 35) & (times < cny + 42))
    assert closed < 0.35 * min(before, after), (closed, before, after)


def test_chains_have_several_outlets_and_singles_one(
    book: GenerateResult, read: Callable[[str], pa.Table]
) -> None:
    customers = read("customers")
    per_account = customers.group_by(["account_id", "business_type"]).aggregate(
        [("customer_id", "count")]
    )
    chains = per_account.filter(pc.equal(per_account["business_type"], "chain"))
    singles = per_account.filter(pc.equal(per_account["business_type"], "single"))
    assert chains.num_rows >= 2
    assert pc.min(chains["customer_id_count"]).as_py() >= 2
    assert pc.max(chains["customer_id_count"]).as_py() >= 3
    assert pc.max(singles["customer_id_count"]).as_py() == 1


def test_churned_customers_stop_ordering_and_growers_grow(
    book: GenerateResult, read: Callable[[str], pa.Table]
) -> None:
    truth = pq.read_table(book.out / "truth" / "customers.parquet")
    orders = read("orders")
    last = orders.group_by("customer_id").aggregate([("order_time", "max")])
    joined = truth.join(last, "customer_id")
    churned = joined.filter(joined["churned_in_book"])
    assert churned.num_rows > 0
    last_day = pc.cast(churned["order_time_max"], pa.date32())
    assert pc.all(pc.less(last_day, churned["churn_date"])).as_py()
    # Customers who churned in the book spend nothing in the horizon; steady ones do.
    assert pc.sum(churned["spend_next_180d"]).as_py() == 0
    steady = truth.filter(pc.equal(truth["trajectory"], "steady"))
    assert pc.mean(pc.cast(steady["spend_next_180d"], pa.float64())).as_py() > 0


def test_category_preferences_follow_cuisine(
    book: GenerateResult, read: Callable[[str], pa.Table]
) -> None:
    lines = read("order_lines").select(["order_id", "category"])
    orders = read("orders").select(["order_id", "customer_id"])
    cuisine = read("customers").select(["customer_id", "cuisine"])
    t = lines.join(orders, "order_id").join(cuisine, "customer_id")

    def hotpot_share(kind: str) -> float:
        mine = t.filter(pc.equal(t["cuisine"], kind))
        return (
            pc.sum(pc.cast(pc.equal(mine["category"], "火锅食材"), pa.int64())).as_py()
            / mine.num_rows
        )

    assert hotpot_share("火锅") > 2 * hotpot_share("川菜")


def test_realistic_chinese_master_data(
    book: GenerateResult, read: Callable[[str], pa.Table]
) -> None:
    c = read("customers")
    phones = c["phone"].to_pylist()
    assert all(len(p) == 11 and p.isdigit() and p[0] == "1" for p in phones)
    assert any(name.endswith("有限公司") for name in c["account_name"].to_pylist())
    assert any("店)" in name for name in c["name"].to_pylist())
    assert set(c["province"].to_pylist()) >= {"四川省", "重庆市"}


def test_restaurants_order_on_set_weekdays(read: Callable[[str], pa.Table]) -> None:
    orders = read("orders")
    days = orders["order_time"].to_numpy().astype("datetime64[D]").astype(np.int64)
    weekday = (days + 3) % 7
    cust = np.unique(orders["customer_id"].to_numpy(zero_copy_only=False), return_inverse=True)[1]
    counts = np.zeros((cust.max() + 1, 7))
    np.add.at(counts, (cust, weekday), 1)
    busy = counts[counts.sum(axis=1) >= 30]
    shares = busy / busy.sum(axis=1, keepdims=True)
    # Zero-ish days: most customers never order on some weekday at all.
    assert np.mean(shares.min(axis=1) < 0.05) > 0.5


def test_late_payers_complainers_and_disputes_show_in_the_lake(
    book: GenerateResult, read: Callable[[str], pa.Table]
) -> None:
    truth = pq.read_table(book.out / "truth" / "customers.parquet")
    pays = read("payments").join(read("invoices").select(["invoice_id", "due_date"]), "invoice_id")
    late = pays.append_column("late", pc.greater(pays["paid_date"], pays["due_date"]))
    rate = late.group_by("customer_id").aggregate([("late", "mean")]).join(truth, "customer_id")
    flagged = rate.filter(rate["late_payer"])["late_mean"]
    others = rate.filter(pc.invert(rate["late_payer"]))["late_mean"]
    assert pc.mean(flagged).as_py() > 3 * pc.mean(others).as_py()

    tickets = read("tickets")
    complaints = tickets.filter(pc.equal(tickets["kind"], "complaint"))
    per = (
        complaints.group_by("customer_id")
        .aggregate([("ticket_id", "count")])
        .join(truth, "customer_id")
    )
    loud = pc.mean(per.filter(per["complainer"])["ticket_id_count"]).as_py()
    quiet = pc.mean(per.filter(pc.invert(per["complainer"]))["ticket_id_count"]).as_py()
    assert loud > 3 * quiet

    credit = read("credit")
    disputed = set(
        credit.filter(pc.greater(credit["legal_disputes"], 0))["customer_id"].to_pylist()
    )
    assert disputed
    assert disputed <= set(truth.filter(truth["legal_dispute"])["customer_id"].to_pylist())


def test_money_never_flows_backwards(read: Callable[[str], pa.Table]) -> None:
    """Refunds never exceed their order, payments never exceed their invoice, nor precede it."""
    refunds = (
        read("returns").group_by("order_id").aggregate([("amount", "sum"), ("return_time", "min")])
    )
    r = refunds.join(read("orders"), "order_id")
    assert pc.all(pc.less_equal(r["amount_sum"], r["amount"])).as_py()
    assert pc.all(pc.greater_equal(r["return_time_min"], r["order_time"])).as_py()
    paid = (
        read("payments").group_by("invoice_id").aggregate([("amount", "sum"), ("paid_date", "min")])
    )
    p = paid.join(read("invoices"), "invoice_id")
    assert pc.all(pc.less_equal(p["amount_sum"], p["amount"])).as_py()
    assert pc.all(pc.greater_equal(p["paid_date_min"], p["issue_date"])).as_py()

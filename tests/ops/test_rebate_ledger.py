"""The rebate ledger (R-OPS-3, issue 21 item 2): accruals from the published tier's rebate and
the period's net sales, idempotent re-accrual, payouts that pay each row once, statements that
equal the ledger (on SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import Engine, func, select

import tierwise.pipeline  # noqa: F401  (registers the benefits hook with the tier writer)
from tierwise.errors import ConflictError, DataError
from tierwise.ops.benefits.decide import BenefitPlan, Grant, PlanBenefit
from tierwise.ops.benefits.ledger import store_plan
from tierwise.ops.benefits.rebate_files import statement_rows, write_rows
from tierwise.ops.benefits.rebate_ledger import (
    LedgerRow,
    Rate,
    accrue,
    parse_period,
    rate_for,
    reconcile,
    totals,
)
from tierwise.ops.benefits.rebate_store import (
    accrue_period,
    batch_lines,
    ledger_rows,
    net_sales,
    pay,
    statement,
)
from tierwise.store.migrate import upgrade
from tierwise.store.runs import Assignment, Cutoff, RunStore
from tierwise.store.schema import RebateAccrual
from tierwise.tierstate.decide import StabilityRule
from tinylake import ts, write_lake

D = Decimal
NOV = parse_period("2026-11")
NOW = dt.datetime(2026, 12, 1, 2)
PLAN = BenefitPlan(
    ("gold", "silver", "bronze"),
    {
        "gold": (PlanBenefit("rebate", "rebate", {"pct": "2", "period": "month"}),),
        "silver": (PlanBenefit("rebate", "rebate", {"pct": "1.5", "period": "month"}),),
        "bronze": (),
    },
)


def _seed(engine: Engine) -> None:
    """C1 gold (2 %), C2 silver (1.5 %), C3 bronze (no rebate), published on 2026-10-31."""
    upgrade(engine)
    store_plan(engine, "h", "p", PLAN, dt.datetime(2026, 11, 1))
    store = RunStore(engine)
    store.begin(
        "r1",
        policy_name="p",
        policy_hash="h",
        as_of=dt.date(2026, 10, 31),
        data_fingerprint="f",
        started_at=dt.datetime(2026, 11, 1),
    )
    store.publish(
        "r1",
        [
            Assignment("C1", "gold", 90.0),
            Assignment("C2", "silver", 60.0),
            Assignment("C3", "bronze", 10.0),
        ],
        [Cutoff("gold", 0, 80.0), Cutoff("silver", 1, 50.0), Cutoff("bronze", 2, None)],
        rule=StabilityRule(),
        now=dt.datetime(2026, 11, 1, 3),
    )


# --- pure decisions ---------------------------------------------------------------------------


def test_periods_are_months_and_quarters() -> None:
    q = parse_period("2026-Q4")
    assert (q.kind, q.start, q.end, q.label) == (
        "quarter",
        dt.date(2026, 10, 1),
        dt.date(2026, 12, 31),
        "2026-Q4",
    )
    feb = parse_period("2028-02")
    assert (feb.start, feb.end, feb.stop) == (
        dt.date(2028, 2, 1),
        dt.date(2028, 2, 29),
        dt.date(2028, 3, 1),
    )


@pytest.mark.parametrize("bad", ["2026-13", "2026-Q5", "26-11", "2026/11", "", "0000-01"])
def test_a_bad_period_is_one_clear_error(bad: str) -> None:
    with pytest.raises(DataError, match="is not a rebate period") as err:
        parse_period(bad)
    assert err.value.fields["field"] == "period"


@pytest.mark.parametrize(
    ("gross", "refunds", "pct", "amount"),
    [
        ("1234.56", "34.56", "2", "24.00"),
        ("100.25", "0", "2", "2.01"),  # 2.005: half up, not to even
        ("333.33", "0", "1.5", "5.00"),  # 4.99995
        ("0.24", "0", "2", "0.00"),  # 0.0048
        ("500.00", "800.00", "2", "0.00"),  # refunds above sales: no negative rebate
    ],
)
def test_accrual_is_the_percent_of_net_sales_to_the_cent(
    gross: str, refunds: str, pct: str, amount: str
) -> None:
    a = accrue("C1", Rate(D(pct), "gold", 1), D(gross), D(refunds))
    assert a.amount == D(amount) and str(a.amount) == amount
    assert a.net == D(gross) - D(refunds)


def test_negative_sales_are_refused() -> None:
    with pytest.raises(DataError, match=r"refunds -1\.00 is negative"):
        accrue("C1", None, D("10"), D("-1.00"))


def _g(
    gid: int, pct: str, start: dt.date, until: dt.date | None, status: str, period: str = "month"
) -> Grant:
    return Grant(
        gid, "rebate", "rebate", {"pct": pct, "period": period}, "gold", start, until, status
    )


def test_the_rate_is_the_rebate_in_force_on_the_periods_last_day() -> None:
    """A grant in downgrade grace past the period's end still pays; one ended before does not;
    a quarterly rebate is not accrued in a month period."""
    grace = _g(1, "2", dt.date(2026, 1, 1), dt.date(2026, 12, 10), "expired")
    assert rate_for([grace], NOV) == Rate(D(2), "gold", 1)
    ended = _g(2, "2", dt.date(2026, 1, 1), dt.date(2026, 11, 30), "expired")
    assert rate_for([ended], NOV) is None
    quarterly = _g(3, "3", dt.date(2026, 1, 1), None, "active", period="quarter")
    assert rate_for([quarterly], NOV) is None
    assert rate_for([quarterly], parse_period("2026-Q4")) == Rate(D(3), "gold", 3)
    later = _g(4, "2", dt.date(2026, 12, 1), None, "active")
    assert rate_for([later], NOV) is None


def test_reconcile_never_rewrites_a_paid_row() -> None:
    target = accrue("C1", Rate(D(2), "gold", 1), D("1000"), D("0"))  # 20.00
    assert [c.action for c in reconcile([], target)] == ["insert"]
    assert reconcile([LedgerRow(7, D("20.00"), "accrued")], target)[0].amount == D("20.00")
    (adj,) = reconcile([LedgerRow(7, D("25.00"), "paid")], target)
    assert (adj.action, adj.entry, adj.amount) == ("insert", "adjustment", D("-5.00"))
    assert reconcile([LedgerRow(7, D("20.00"), "paid")], target) == []


# --- the store ----------------------------------------------------------------------------------


def test_net_sales_nets_refunds_granted_in_the_period(tmp_path: Path) -> None:
    lake = write_lake(
        tmp_path / "lake",
        {
            "customers": [{"customer_id": "C1"}, {"customer_id": "C2"}],
            "orders": [
                {
                    "order_id": "o1",
                    "customer_id": "C1",
                    "order_time": ts(2026, 11, 1, 0),
                    "amount": 1000,
                },
                {
                    "order_id": "o2",
                    "customer_id": "C1",
                    "order_time": ts(2026, 11, 30, 23),
                    "amount": "234.56",
                },
                {
                    "order_id": "o3",
                    "customer_id": "C1",
                    "order_time": ts(2026, 12, 1, 0),
                    "amount": 999,
                },
                {
                    "order_id": "o4",
                    "customer_id": "C2",
                    "order_time": ts(2026, 10, 28),
                    "amount": 500,
                },
            ],
            "returns": [
                {
                    "return_id": "x1",
                    "order_id": "o1",
                    "customer_id": "C1",
                    "return_time": ts(2026, 11, 5),
                    "amount": "34.56",
                },
                {
                    "return_id": "x2",
                    "order_id": "o4",
                    "customer_id": "C2",
                    "return_time": ts(2026, 11, 2),
                    "amount": 100,
                },
            ],
        },
    )
    assert net_sales(lake, NOV) == {
        "C1": (D("1234.56"), D("34.56")),
        "C2": (D("0.00"), D("100.00")),
    }


SALES = {"C1": (D("1234.56"), D("34.56")), "C2": (D("333.33"), D("0")), "C3": (D("5000"), D(0))}


def _rows(engine: Engine) -> list[tuple[object, ...]]:
    return [
        (r["customer_id"], r["entry"], r["tier"], r["pct"], r["net"], r["amount"], r["status"])
        for r in sorted(ledger_rows(engine), key=lambda r: r["id"])
    ]


def test_accrual_reaccrual_payout_and_statement(engine: Engine, tmp_path: Path) -> None:
    _seed(engine)
    first = accrue_period(engine, NOV, SALES, now=NOW)
    assert (first.customers, first.inserted, first.total) == (2, 2, D("29.00"))
    assert _rows(engine) == [
        ("C1", "accrual", "gold", D("2.000"), D("1200.00"), D("24.00"), "accrued"),
        ("C2", "accrual", "silver", D("1.500"), D("333.33"), D("5.00"), "accrued"),
    ]  # C3 (bronze) has no rebate grant: nothing accrued
    ids = [r["id"] for r in ledger_rows(engine)]
    written = ledger_rows(engine)

    again = accrue_period(engine, NOV, SALES, now=NOW + dt.timedelta(hours=1))
    assert (again.inserted, again.updated, again.deleted, again.unchanged) == (0, 0, 0, 2)
    assert [r["id"] for r in ledger_rows(engine)] == ids and again.total == first.total
    assert ledger_rows(engine) == written  # not even updated_at moved

    late = {**SALES, "C1": (D("1234.56"), D("234.56"))}  # a late refund before payout
    moved = accrue_period(engine, NOV, late, now=NOW + dt.timedelta(hours=2))
    assert (moved.inserted, moved.updated) == (0, 1) and moved.total == D("25.00")

    batch = pay(engine, "payout", period="2026-11", actor="t", now=NOW + dt.timedelta(days=1))
    assert (batch.lines, batch.total) == (2, D("25.00"))
    with pytest.raises(ConflictError, match="nothing to pay"):
        pay(engine, "credit_note", period="2026-11", actor="t", now=NOW + dt.timedelta(days=2))

    # a refund after payout: the paid row stays, the difference is an adjustment to pay next
    after = {**SALES, "C1": (D("1234.56"), D("334.56"))}
    adj = accrue_period(engine, NOV, after, now=NOW + dt.timedelta(days=3))
    assert (adj.inserted, adj.updated, adj.total) == (1, 0, D("23.00"))
    assert _rows(engine)[-1] == (
        "C1",
        "adjustment",
        "gold",
        D("2.000"),
        D("900.00"),
        D("-2.00"),
        "accrued",
    )
    assert accrue_period(engine, NOV, after, now=NOW + dt.timedelta(days=4)).inserted == 0
    note = pay(engine, "credit_note", period=None, actor="t", now=NOW + dt.timedelta(days=5))
    assert (note.lines, note.total) == (1, D("-2.00"))
    b, lines = batch_lines(engine, batch.id)
    assert b.total == sum(r["amount"] for r in lines) == D("25.00")

    # the statement's totals equal the ledger's rows
    st = statement(engine, "C1")
    ledger_c1 = [r for r in ledger_rows(engine) if r["customer_id"] == "C1"]
    t = totals(st)
    assert t.accrued == sum(r["amount"] for r in ledger_c1) == D("18.00")
    assert (t.paid, t.outstanding) == (D("18.00"), D("0.00"))
    rows = statement_rows("C1", st)
    assert rows[0][:3] == ["客户编号", "期间", "期初"] and rows[-3][1] == "计提合计"
    assert rows[-3][10] == D("18.00")
    out = write_rows(tmp_path / "对账单.xlsx", rows, "返利对账单")
    sheet = load_workbook(out).active
    assert sheet is not None
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    assert values[0][10] == "返利金额(元)" and values[1][10] == 20.0 and values[-3][10] == 18.0
    csv_text = write_rows(tmp_path / "s.csv", rows, "s").read_bytes().decode("utf-8-sig")
    assert csv_text.splitlines()[1].startswith("C1,2026-11,2026-11-01,2026-11-30,计提,gold,2.000,")


def test_two_payouts_at_once_pay_each_row_once(engine: Engine) -> None:
    _seed(engine)
    accrue_period(engine, NOV, SALES, now=NOW)
    results: list[object] = []

    def run() -> None:
        try:
            results.append(pay(engine, "payout", period=None, actor="t", now=NOW))
        except ConflictError as err:
            results.append(err)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    paid = [r for r in results if not isinstance(r, ConflictError)]
    assert len(paid) == 1 and sum(isinstance(r, ConflictError) for r in results) == 1
    with engine.connect() as conn:
        n = conn.execute(
            select(func.count()).where(
                RebateAccrual.status == "paid", RebateAccrual.payout_id.is_not(None)
            )
        ).scalar_one()
    assert n == 2


def test_a_customer_who_loses_the_rebate_before_the_period_ends_gets_nothing(
    engine: Engine,
) -> None:
    """An open accrual of a customer with no rebate in force any more is removed on re-accrual
    (nothing paid yet), so the ledger says what the tiers say."""
    _seed(engine)
    accrue_period(engine, NOV, SALES, now=NOW)
    store_plan(engine, "h2", "p2", BenefitPlan(PLAN.order, {**PLAN.tiers, "silver": ()}), NOW)
    store = RunStore(engine)
    store.begin(
        "r2",
        policy_name="p2",
        policy_hash="h2",
        as_of=dt.date(2026, 11, 20),
        data_fingerprint="f",
        started_at=NOW,
    )
    store.publish(
        "r2",
        [Assignment("C1", "gold", 90.0), Assignment("C2", "silver", 60.0)],
        [Cutoff("gold", 0, 80.0), Cutoff("silver", 1, 50.0), Cutoff("bronze", 2, None)],
        rule=StabilityRule(),
        now=dt.datetime(2026, 11, 20, 3),
    )
    r = accrue_period(engine, NOV, SALES, now=NOW)
    assert (r.deleted, r.total) == (1, D("24.00"))
    assert [x[0] for x in _rows(engine)] == ["C1"]


@settings(max_examples=200, deadline=None)
@given(
    steps=st.lists(
        st.one_of(
            st.tuples(
                st.just("accrue"), st.integers(0, 10**7), st.integers(0, 10**6), st.booleans()
            ),
            st.tuples(st.just("pay"), st.just(0), st.just(0), st.just(False)),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_after_any_accruals_and_payouts_the_rows_sum_to_the_last_accrual(
    steps: list[tuple[str, int, int, bool]],
) -> None:
    """Whatever the order of re-accruals (new figures, a lost rebate) and payouts: the rows
    sum to the last accrual's amount, a paid row never changes, at most one row is open."""
    rows: dict[int, LedgerRow] = {}
    paid_before: dict[int, Decimal] = {}
    last = D(0)
    next_id = 1
    for kind, gross_fen, refund_fen, has_rate in steps:
        if kind == "pay":
            rows = {i: LedgerRow(i, r.amount, "paid") for i, r in rows.items()}
            paid_before = {i: r.amount for i, r in rows.items()}
            continue
        rate = Rate(D("1.75"), "gold", 1) if has_rate else None
        target = accrue("C1", rate, D(gross_fen) / 100, D(refund_fen) / 100)
        for ch in reconcile(list(rows.values()), target):
            if ch.action == "insert":
                rows[next_id] = LedgerRow(next_id, ch.amount, "accrued")
                next_id += 1
            elif ch.action == "update":
                assert ch.row_id is not None and rows[ch.row_id].status == "accrued"
                rows[ch.row_id] = LedgerRow(ch.row_id, ch.amount, "accrued")
            else:
                assert ch.row_id is not None and rows[ch.row_id].status == "accrued"
                del rows[ch.row_id]
        last = target.amount
        assert sum((r.amount for r in rows.values()), D(0)) == last
        assert sum(r.status == "accrued" for r in rows.values()) <= 1
        assert {i: rows[i].amount for i in paid_before} == paid_before

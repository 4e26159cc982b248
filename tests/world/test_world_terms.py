"""The world's payment terms include 半月结 (semimonthly) and 45-day terms (net45), the codes of
the credit policy (issue 15, issue 22, R-OPS-4): bills follow their cycle, lateness and orders
respond like the other terms."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from tierwise.errors import UsageError
from tierwise.ops.credit.policy import CREDIT_DAYS, TERMS
from tierwise.world import parse_plan, simulate
from tierwise.world.plan import TERMS as WORLD_TERMS

ARMS = [
    {"name": "semi", "share": 0.3, "treatment": {"kind": "payment_terms", "terms": "semimonthly"}},
    {"name": "net45", "share": 0.3, "treatment": {"kind": "payment_terms", "terms": "net45"}},
    {"name": "control", "rest": True},
]


@pytest.fixture(scope="module")
def terms_world(book: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("terms")
    plan = parse_plan({"start": "2026-11-01", "days": 120, "seed": 5, "arms": ARMS})
    simulate(book, plan, out)
    return out


def _bills(out: Path, arm: str) -> pd.DataFrame:
    who = pq.read_table(out / "truth" / "assignment.parquet").to_pandas()
    ids = set(who.loc[who.arm == arm, "customer_id"])
    bills = pq.read_table(out / "lake" / "invoices").to_pandas()
    return bills[bills.customer_id.isin(ids)]


def test_the_world_knows_every_terms_code_of_the_credit_policy() -> None:
    assert set(WORLD_TERMS) == set(TERMS)
    for code in TERMS:
        parse_plan({"start": "2026-11-01", "arms": [
            {"name": "a", "share": 0.5, "treatment": {"kind": "payment_terms", "terms": code}}
        ]})  # fmt: skip
    with pytest.raises(UsageError, match="arms\\[0\\] \\(a\\)"):
        parse_plan({"start": "2026-11-01", "arms": [
            {"name": "a", "share": 0.5, "treatment": {"kind": "payment_terms", "terms": "net60"}}
        ]})  # fmt: skip


def test_semimonthly_bills_each_half_month_due_fifteen_days_later(terms_world: Path) -> None:
    bills = _bills(terms_world, "semi")
    assert len(bills) > 100
    issue = pd.to_datetime(bills.issue_date)
    assert set(issue.dt.day) == {1, 16}
    due = pd.to_datetime(bills.due_date) - issue
    assert (due == pd.Timedelta(days=CREDIT_DAYS["semimonthly"])).all()
    assert not bills.duplicated(["customer_id", "issue_date"]).any()
    # a customer ordering through the window gets about two bills a month
    per = bills.groupby("customer_id").size()
    assert per.max() >= 6


def test_net45_bills_each_month_due_45_days_later(terms_world: Path) -> None:
    bills = _bills(terms_world, "net45")
    issue = pd.to_datetime(bills.issue_date)
    assert len(bills) > 100 and set(issue.dt.day) == {1}
    due = pd.to_datetime(bills.due_date) - issue
    assert (due == pd.Timedelta(days=CREDIT_DAYS["net45"])).all()
    assert pd.to_datetime(bills.issue_date).max() <= pd.Timestamp(dt.date(2027, 2, 28))


def test_orders_respond_to_how_much_stricter_or_looser_the_new_terms_are(
    terms_world: Path,
) -> None:
    effects = pq.read_table(terms_world / "truth" / "effects.parquet").to_pandas()
    own = pq.read_table(terms_world / "lake" / "customers").to_pandas()
    own = own.set_index("customer_id")["payment_terms"]
    orders = effects[effects.metric == "orders"].assign(
        terms=lambda d: own.loc[d.customer_id].to_numpy()
    )
    diff = orders.y_treated - orders.y_control
    semi, net45 = orders.arm == "semi", orders.arm == "net45"
    # 半月结 is looser than cod, stricter than 月结; 45 days is looser than every own terms
    assert diff[semi & (orders.terms == "cod")].mean() > 0
    assert diff[semi & (orders.terms == "monthly")].mean() < 0
    assert diff[net45].mean() > 0
    assert diff[net45 & (orders.terms == "monthly")].mean() > 0
    assert (diff[orders.arm == "control"] == 0).all()

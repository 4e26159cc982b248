"""Effect of tier changes (R-ANA-4): the difference-in-differences worked out by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from tierwise.analytics.effect import FEATURES, tier_change_effect
from tierwise.analytics.lakeio import last_order_day, open_tables
from tinylake import ts, write_lake

AS_OF = dt.date(2025, 6, 30)
RANKS = {"gold": 0, "silver": 1, "bronze": 2}
# (customer, from, to, kind)
COHORT = [
    ("up1", "silver", "gold", "upgraded"),
    ("ctrl1", "silver", "silver", "unchanged"),
    ("ctrl2", "silver", "silver", "unchanged"),
    ("b1", "bronze", "silver", "upgraded"),
    ("bc1", "bronze", "bronze", "unchanged"),
    ("down1", "gold", "silver", "downgraded"),
    ("g1", "gold", "gold", "unchanged"),
    ("new1", None, "gold", "entered"),
]


def _cohort() -> pa.Table:
    cols = list(zip(*COHORT, strict=True))
    return pa.table(
        {
            n: pa.array(list(v), pa.string())
            for n, v in zip(("entity_id", "from_tier", "to_tier", "kind"), cols, strict=True)
        }
    )


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    orders = [
        ("up1", ts(2025, 6, 10), 100),
        ("up1", ts(2025, 7, 10), 300),
        ("up1", ts(2025, 7, 31), 1000),  # the day after the 30-day after window
        ("up1", ts(2025, 5, 31), 700),  # the day before the 30-day before window
        ("ctrl1", ts(2025, 6, 5), 100),
        ("ctrl1", ts(2025, 7, 5), 150),
        ("ctrl2", ts(2025, 7, 20), 50),
        ("b1", ts(2025, 7, 2), 100),
        ("down1", ts(2025, 6, 15), 400),
        ("g1", ts(2025, 6, 20), 200),
        ("g1", ts(2025, 7, 20), 200),
        ("new1", ts(2025, 7, 1), 9999),
    ]
    return write_lake(
        tmp_path / "lake",
        {
            "customers": [{"customer_id": c[0]} for c in COHORT],
            "orders": [
                {"order_id": f"o{i}", "customer_id": c, "order_time": t, "amount": a}
                for i, (c, t, a) in enumerate(orders)
            ],
        },
    )


def _effect(lake: Path, days: int = 30, min_group: int = 2):  # type: ignore[no-untyped-def]
    tables = open_tables(lake, FEATURES)
    return tier_change_effect(
        tables,
        _cohort(),
        run_id="r",
        as_of=AS_OF,
        days=days,
        data_end=last_order_day(tables),
        ranks=RANKS,
        min_group=min_group,
    )


def test_golden_diff_in_diff(lake: Path) -> None:
    e = _effect(lake)
    assert e.complete and e.days_covered == 30 and e.data_end == dt.date(2025, 7, 31)
    assert (e.before_start, e.after_end) == (dt.date(2025, 6, 1), dt.date(2025, 7, 30))
    rows = {(r.kind, r.from_tier, r.to_tier): r for r in e.by_transition}
    sg = rows[("upgraded", "silver", "gold")]
    # up1 100 → 300 (the 700 of 31 May and the 1000 of 31 July are outside both windows);
    # silver control: ctrl1 100 → 150, ctrl2 0 → 50: means 50 → 100
    assert (sg.treated.customers, sg.control.customers) == (1, 2)
    assert (sg.treated.spend_before, sg.treated.spend_after) == (100.0, 300.0)
    assert (sg.control.spend_before, sg.control.spend_after) == (50.0, 100.0)
    assert sg.did_spend == pytest.approx(200 - 50)
    # repurchase (one calendar month in each window): up1 1 → 1, control 0.5 → 1
    assert sg.did_repurchase == pytest.approx(0 - 0.5)
    assert sg.small  # one customer is fewer than min_group = 2
    bs = rows[("upgraded", "bronze", "silver")]
    assert bs.did_spend == pytest.approx(100.0) and bs.did_repurchase == pytest.approx(1.0)
    gs = rows[("downgraded", "gold", "silver")]
    assert gs.did_spend == pytest.approx(-400.0) and gs.did_repurchase == pytest.approx(-1.0)
    kinds = {r.kind: r for r in e.by_kind}
    up = kinds["upgraded"]
    # each upgraded customer against its own starting tier's control, pooled by size
    assert up.treated.customers == 2 and up.control.customers == 3
    assert up.did_spend == pytest.approx((150 + 100) / 2)
    assert up.did_repurchase == pytest.approx((-0.5 + 1.0) / 2)
    assert not up.small
    assert kinds["downgraded"].did_spend == pytest.approx(-400.0)
    assert e.not_compared == {"entered": 1}


def test_rows_after_the_window_never_count(lake: Path) -> None:
    """With 31 days the after window reaches 31 July: up1's 1000 now counts (and so the
    30-day figure above really excluded it)."""
    e = _effect(lake, days=31)
    sg = next(r for r in e.by_transition if r.from_tier == "silver" and r.to_tier == "gold")
    assert sg.treated.spend_after == pytest.approx(1300.0)
    assert sg.treated.spend_before == pytest.approx(800.0)  # 31 May is in a 31-day window


def test_an_incomplete_after_window_is_not_reported_as_whole(lake: Path) -> None:
    e = _effect(lake, days=45)
    assert not e.complete and e.days_covered == 31
    for r in e.by_transition + e.by_kind:
        assert r.treated.spend_after is None and r.did_spend is None
        assert r.did_repurchase is None and r.treated.spend_before is not None


def test_small_groups_are_flagged(lake: Path) -> None:
    e = _effect(lake, min_group=1)
    assert not any(r.small for r in e.by_transition)
    e = _effect(lake, min_group=30)
    assert all(r.small for r in e.by_transition + e.by_kind)


@pytest.mark.parametrize("keep", [["unchanged"], []])
def test_a_run_without_changes_has_an_empty_table(lake: Path, keep: list[str]) -> None:
    tables = open_tables(lake, FEATURES)
    cohort = _cohort().filter(pc.is_in(_cohort()["kind"], pa.array(keep, pa.string())))
    e = tier_change_effect(
        tables, cohort, run_id="r", as_of=AS_OF, days=30, data_end=last_order_day(tables)
    )
    assert e.by_kind == [] and e.by_transition == [] and e.complete

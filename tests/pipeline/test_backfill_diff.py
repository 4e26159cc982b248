"""Backfill dates and migrations (R-GRD-11) and the policy diff matrix (R-GRD-12), on tiny
lakes whose tiers are computed by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tierwise.errors import UsageError
from tierwise.pipeline.backfill import backfill, backfill_dates
from tierwise.pipeline.diff import policy_diff
from tierwise.pipeline.publish import grade_and_publish
from tierwise.policy import parse_policy
from tierwise.store.db import make_engine, sqlite_url
from tierwise.store.migrate import upgrade
from tierwise.store.runs import RunStore
from tinylake import ts, write_lake

D = dt.date


def test_backfill_dates() -> None:
    assert backfill_dates(D(2025, 1, 31), D(2025, 4, 30), "month") == [
        D(2025, 1, 31), D(2025, 2, 28), D(2025, 3, 31), D(2025, 4, 30)
    ]  # fmt: skip
    assert backfill_dates(D(2025, 1, 15), D(2025, 3, 30), "month") == [
        D(2025, 1, 31),
        D(2025, 2, 28),
    ]
    assert backfill_dates(D(2025, 1, 31), D(2025, 2, 20), "week") == [
        D(2025, 1, 31), D(2025, 2, 7), D(2025, 2, 14)
    ]  # fmt: skip
    with pytest.raises(UsageError):
        backfill_dates(D(2025, 3, 1), D(2025, 1, 1), "week")


def _policy(top_gold: float = 0.25, top_silver: float = 0.5, name: str = "t") -> Any:
    return parse_policy(
        {
            "name": name, "entity": "outlet", "lookback_days": 365,
            "eligibility": {"when": "orders_lookback >= 1"},
            "score": {"method": "rfm_formula", "recency": "recency_days",
                      "frequency": "orders_365d", "frequency_step": 1,
                      "monetary": "spend_365d", "monetary_step": 1000},
            "tiers": {"method": "percentile", "levels": [
                {"code": "gold", "label": {"zh": "金", "en": "Gold"}, "top": top_gold},
                {"code": "silver", "label": {"zh": "银", "en": "Silver"}, "top": top_silver},
                {"code": "bronze", "label": {"zh": "铜", "en": "Bronze"}}]},
            "stability": {"downgrade_after_runs": 2, "max_steps_down": 1},
        },
        source="test",
    )  # fmt: skip


def _lake(tmp: Path) -> Path:
    # c1..c8: i orders of 500 yuan in June 2025 (scores 2.3 2.9 3.2 3.8 4.1 4.4 4.4 4.7);
    # c9 buys 6 x 1000 yuan in May only.
    orders = [
        {"order_id": f"L{i}-{k}", "customer_id": f"c{i}", "order_time": ts(2025, 6, 2 + 3 * k),
         "amount": 500}
        for i in range(1, 9) for k in range(i)
    ] + [{"order_id": f"M{k}", "customer_id": "c9", "order_time": ts(2025, 5, 2 + k), "amount": 1000}
         for k in range(6)]  # fmt: skip
    customers = [{"customer_id": f"c{i}"} for i in range(1, 10)]
    return write_lake(tmp / "lake", {"customers": customers, "orders": orders})


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 1, 1)

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(seconds=1)
        return self.now


def test_backfill_shows_mix_and_migrations_and_publishes_in_order(tmp_path: Path) -> None:
    lake = _lake(tmp_path)
    engine = make_engine(sqlite_url(tmp_path / "s.db"))
    upgrade(engine)
    dates = backfill_dates(D(2025, 4, 30), D(2025, 6, 30), "month")
    steps = backfill(_policy(), dates, lake=lake, runs=tmp_path / "runs", engine=engine,
                     publish=True, clock=Clock())  # fmt: skip
    assert [s.as_of for s in steps] == dates
    # April: nobody has ordered yet
    assert steps[0].mix == {"—": 9} and steps[0].migration is None
    # May: c9 alone is graded (r 5, f 5, m 5: 5.0): gold
    assert steps[1].mix == {"gold": 1, "—": 8}
    assert steps[1].migration == {("—", "—"): 8, ("—", "gold"): 1}
    # June: c9 (recency 54 days: r 4) scores 4.6; ranks c8 0, c9 1, c6/c7 2 (2/9 < 25 %),
    # c5 4 (silver), c1..c4 bronze
    assert steps[2].mix == {"gold": 4, "silver": 1, "bronze": 4}
    assert steps[2].migration[("gold", "gold")] == 1  # type: ignore[index]
    assert steps[2].migration is not None and steps[2].migration[("—", "bronze")] == 4
    assert steps[2].published is not None
    assert RunStore(engine).current_run().as_of == D(2025, 6, 30)  # type: ignore[union-attr]


def test_policy_diff_matrix_by_hand(tmp_path: Path) -> None:
    lake = write_lake(
        tmp_path / "lake",
        {"customers": [{"customer_id": f"c{i}"} for i in range(1, 9)],
         "orders": [{"order_id": f"L{i}-{k}", "customer_id": f"c{i}",
                     "order_time": ts(2025, 6, 2 + 3 * k), "amount": 500}
                    for i in range(1, 9) for k in range(i)]},
    )  # fmt: skip
    engine = make_engine(sqlite_url(tmp_path / "s.db"))
    upgrade(engine)
    grade_and_publish(_policy(), as_of=D(2025, 6, 30), lake=lake, runs=tmp_path / "runs",
                      engine=engine, clock=Clock())  # fmt: skip
    # published: gold {c6, c7, c8}, silver {c5}, bronze {c1..c4}. New policy: gold top 50 %,
    # silver top 75 %: ranks c8 0, c6/c7 1, c5 3, c4 4, c3 5, c2 6, c1 7 of 8 →
    # gold {c5..c8}, silver {c3, c4} (positions .5, .625), bronze {c1, c2}.
    d = policy_diff(_policy(0.5, 0.75, "t2"), lake=lake, engine=engine, examples=1)
    assert d.as_of == D(2025, 6, 30)
    assert d.matrix == {
        ("bronze", "bronze"): 2, ("bronze", "silver"): 2, ("gold", "gold"): 3, ("silver", "gold"): 1
    }  # fmt: skip
    assert d.moves == {"up": 3, "down": 0, "entered": 0, "left": 0, "other": 0, "same": 5}
    moved = {(e["from"], e["to"]) for e in d.examples}
    assert moved == {("bronze", "silver"), ("silver", "gold")}
    ex = next(e for e in d.examples if e["from"] == "silver")
    assert ex["customer_id"] == "c5" and ex["new_score"] == pytest.approx(4.1)
    assert set(ex["reasons"]) == {"recency_days", "orders_365d", "spend_365d"}
    # nothing was published
    assert RunStore(engine).tiers()["c5"] == "silver"


def test_policy_diff_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, repo_root: Path) -> None:
    from tierwise.cli.main import _load_commands, app
    from tierwise.settings import get_settings

    lake = _lake(tmp_path)
    monkeypatch.setenv("TIERWISE_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    try:
        engine = make_engine(get_settings().state_url)
        upgrade(engine)
        grade_and_publish(_policy(), as_of=D(2025, 6, 30), lake=lake, runs=tmp_path / "runs",
                          engine=engine, clock=Clock())  # fmt: skip
        engine.dispose()
        _load_commands()
        res = CliRunner().invoke(
            app,
            ["policy", "diff", str(repo_root / "policies" / "kuailv.yaml"), "--lake", str(lake)],
        )
        assert res.exit_code == 0, res.output
        assert "published tier (rows)" in res.output and "up " in res.output
    finally:
        get_settings.cache_clear()

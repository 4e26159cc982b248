"""The analyses of a published run, from the store and the lake (R-ANA-4, R-ANA-6)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from anabook import AS_OF_2, RUN_1, RUN_2, build
from tierwise.analytics.service import run_effect, run_metrics
from tierwise.analytics.source import cohort, latest_run_id, load_run, previous_run
from tierwise.errors import NotFoundError, UsageError


def test_cohort_from_the_published_changes(tmp_path: Path, engine: Engine) -> None:
    build(tmp_path, engine)
    run = load_run(engine, RUN_2, tmp_path / "runs")
    assert (run.as_of, run.lookback_days, run.ranks["gold"]) == (AS_OF_2, 90, 0)
    assert run.labels["gold"] == {"zh": "黄金", "en": "Gold"}
    rows = {r["entity_id"]: r for r in cohort(engine, run).to_pylist()}
    assert rows["up1"] == {
        "entity_id": "up1",
        "from_tier": "silver",
        "to_tier": "gold",
        "kind": "upgraded",
    }
    assert rows["down1"]["kind"] == "downgraded" and rows["b1"]["kind"] == "upgraded"
    assert rows["new1"]["kind"] == "entered" and rows["new1"]["from_tier"] is None
    assert {c for c, r in rows.items() if r["kind"] == "unchanged"} == {
        "ctrl1",
        "ctrl2",
        "bc1",
        "g1",
    }
    assert rows["g1"]["from_tier"] == rows["g1"]["to_tier"] == "gold"
    assert previous_run(engine, run) is not None and latest_run_id(engine) == RUN_2


def test_effect_end_to_end_matches_the_hand_worked_numbers(tmp_path: Path, engine: Engine) -> None:
    lake = build(tmp_path, engine)
    _run, e = run_effect(engine, lake, RUN_2, 30, runs_dir=tmp_path / "runs", min_group=2)
    up = next(r for r in e.by_kind if r.kind == "upgraded")
    assert up.did_spend == pytest.approx(125.0) and up.did_repurchase == pytest.approx(0.25)
    assert e.not_compared == {"entered": 1}
    # a scope (an account manager's customers) keeps only its rows
    _run, e = run_effect(engine, lake, RUN_2, 30, allowed={"up1", "g1"})
    assert [(r.kind, r.treated.customers, r.control.customers) for r in e.by_transition] == [
        ("upgraded", 1, 0)
    ]
    assert e.by_transition[0].did_spend is None


def test_metrics_use_the_run_window(tmp_path: Path, engine: Engine) -> None:
    lake = build(tmp_path, engine)
    m = run_metrics(engine, lake, RUN_2, runs_dir=tmp_path / "runs")
    assert [(r.tier, r.customers) for r in m.tiers] == [("gold", 3), ("silver", 4), ("bronze", 1)]
    gold = m.tiers[0]
    # gold = up1, g1, new1 over 2025-04-02..06-30: up1 700 + 100, g1 200, new1 nothing yet
    assert gold.spend == pytest.approx(1000.0) and gold.orders == 3
    assert gold.arpu == pytest.approx(1000 / 3)


def test_bad_runs_are_refused(tmp_path: Path, engine: Engine) -> None:
    lake = build(tmp_path, engine)
    with pytest.raises(NotFoundError, match="no published run 'nope'"):
        run_metrics(engine, lake, "nope")
    with pytest.raises(UsageError, match="first published run"):
        run_effect(engine, lake, RUN_1, 30)
    with pytest.raises(UsageError, match="at least 1, got 0"):
        run_effect(engine, lake, RUN_2, 0)


def test_report_adds_the_previous_runs_effect_while_this_one_is_open(
    tmp_path: Path, engine: Engine
) -> None:
    """A run as of 2025-07-15 (no change): its 30-day after window is open (the data ends on
    07-31), so the report also shows run 2's complete effect."""
    import datetime as dt

    from anabook import CUTOFFS, SCORE, TIERS_2
    from tierwise.analytics.report import analyze_run, render_sections
    from tierwise.store.runs import Assignment, RunStore
    from tierwise.tierstate.decide import StabilityRule

    lake = build(tmp_path, engine)
    store = RunStore(engine)
    store.begin(
        "ana-run-3",
        policy_name="ana",
        policy_hash="0" * 64,
        as_of=dt.date(2025, 7, 15),
        data_fingerprint="f" * 64,
        started_at=dt.datetime(2025, 7, 16, 3),
    )
    store.publish(
        "ana-run-3",
        [Assignment(c, t, SCORE[t]) for c, t in TIERS_2.items()],
        CUTOFFS,
        rule=StabilityRule(downgrade_after_runs=1),
        now=dt.datetime(2025, 7, 16, 3, 5),
    )
    a = analyze_run(engine, lake, "ana-run-3", days=30, lang="en")
    assert a.effect is not None and not a.effect.complete and a.effect.days_covered == 16
    assert a.earlier is not None and a.earlier.run_id == RUN_2 and a.earlier.complete
    up = next(r for r in a.earlier.by_kind if r.kind == "upgraded")
    assert up.did_spend == pytest.approx(125.0)
    html = render_sections(a, "en")
    assert "Effect of the previous run&#39;s (2025-06-30) tier changes" in html

"""Manual spot checks of a run's changes (人工抽检, R-GRD-11): sample, review, agreement."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine

from tierwise.errors import ConflictError, NotFoundError, UsageError
from tierwise.experiments import spotcheck
from tierwise.store.migrate import upgrade
from tierwise.store.runs import Assignment, Cutoff, RunStore
from tierwise.tierstate.decide import StabilityRule

NOW = dt.datetime(2026, 11, 1, 8)
CUTOFFS = [Cutoff("gold", 0, 2.0), Cutoff("silver", 1, 1.0), Cutoff("bronze", 2, None)]


def _publish(store: RunStore, run_id: str, tiers: dict[str, str], day: int) -> None:
    store.begin(
        run_id,
        policy_name="kuailv",
        policy_hash="h",
        as_of=dt.date(2026, 10, day),
        data_fingerprint="f",
        started_at=NOW,
    )
    score = {"gold": 2.5, "silver": 1.5, "bronze": 0.5}
    store.publish(
        run_id,
        [Assignment(c, t, score[t]) for c, t in tiers.items()],
        CUTOFFS,
        rule=StabilityRule(downgrade_after_runs=1, max_steps_down=2),
        now=NOW + dt.timedelta(days=day),
    )


def test_a_stratified_sample_is_reviewed_and_gives_agreement_with_an_interval(
    engine: Engine,
) -> None:
    upgrade(engine)
    store = RunStore(engine)
    first = {f"c{i:02d}": "silver" for i in range(40)}
    _publish(store, "r1", first, 1)
    second = {
        **first,
        **{f"c{i:02d}": "gold" for i in range(12)},
        **{f"c{i:02d}": "bronze" for i in range(12, 20)},
        "n1": "gold",
    }
    _publish(store, "r2", second, 2)
    check = spotcheck.open_check(engine, "r2", per_stratum=5, actor="user:a", now=NOW)
    strata = [i["stratum"] for i in check["items"]]
    assert strata.count("up:gold") == 5 and strata.count("down:bronze") == 5
    assert strata.count("new:gold") == 1
    assert check["sampled"] == 11 and check["status"] == "open"
    with pytest.raises(ConflictError, match="already has a spot check"):
        spotcheck.open_check(engine, "r2", per_stratum=5, actor="user:a", now=NOW)
    with pytest.raises(UsageError, match="needs its reason"):
        spotcheck.review(
            engine, check["items"][0]["id"], "disagree", reason=" ", reviewer="user:r", now=NOW
        )
    for k, item in enumerate(check["items"]):
        verdict = "disagree" if k == 0 else "agree"
        out = spotcheck.review(
            engine,
            item["id"],
            verdict,
            reason="应为白银" if k == 0 else None,
            reviewer="user:r",
            now=NOW,
        )
    assert out["status"] == "finished"
    assert out["agreement"]["rate"] == pytest.approx(10 / 11)
    assert out["agreement"]["ci_low"] < 10 / 11 < out["agreement"]["ci_high"]
    with pytest.raises(ConflictError, match="finished"):
        spotcheck.review(
            engine, check["items"][1]["id"], "agree", reason=None, reviewer="user:r", now=NOW
        )
    (by_policy,) = spotcheck.agreement_by(engine, "policy")
    assert by_policy["policy"] == "kuailv" and by_policy["reviewed"] == 11
    assert spotcheck.agreement_by(engine, "run")[0]["run"] == "r2"


def test_checks_of_unknown_or_unchanged_runs_are_refused(engine: Engine) -> None:
    upgrade(engine)
    with pytest.raises(NotFoundError, match="no run 'nope'"):
        spotcheck.open_check(engine, "nope", per_stratum=5, actor="a", now=NOW)
    with pytest.raises(UsageError, match="not one of"):
        spotcheck.review(engine, 1, "maybe", reason=None, reviewer="a", now=NOW)

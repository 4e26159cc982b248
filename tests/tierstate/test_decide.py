"""Natural transitions (R-GRD-10): each rule, and invariants with Hypothesis."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tierwise.tierstate.decide import Decision, StabilityRule, TierState, decide

ORDER = ["platinum", "gold", "silver", "bronze"]
CUTS: dict[str, float | None] = {"platinum": 90.0, "gold": 70.0, "silver": 40.0, "bronze": None}
D0 = date(2026, 1, 31)


def step(
    state: TierState | None,
    computed: str | None,
    score: float | None,
    *,
    rule: StabilityRule | None = None,
    day: date = D0,
    override: str | None = None,
) -> Decision:
    return decide(
        state,
        computed,
        score,
        order=ORDER,
        cutoffs=CUTS,
        rule=rule or StabilityRule(),
        as_of=day,
        override=override,
    )


def test_first_grade_is_recorded_as_initial() -> None:
    d = step(None, "gold", 75)
    assert d.state.tier == "gold"
    assert d.change is not None and d.change.reason_code == "initial"


def test_upgrade_takes_effect_at_once() -> None:
    d = step(TierState("silver", D0), "platinum", 95)
    assert d.state.tier == "platinum"
    assert d.change is not None and (d.change.from_tier, d.change.reason_code) == (
        "silver",
        "upgrade",
    )


def test_downgrade_waits_for_the_grace_runs_and_warns_meanwhile() -> None:
    rule = StabilityRule(downgrade_after_runs=2)
    s1 = step(TierState("gold", D0), "silver", 50, rule=rule)
    assert s1.state.tier == "gold" and s1.change is None
    assert s1.state.downgrade_warning and s1.state.runs_below == 1
    s2 = step(s1.state, "silver", 50, rule=rule, day=D0 + timedelta(days=30))
    assert s2.state.tier == "silver"
    assert s2.change is not None and s2.change.reason_code == "downgrade"
    assert s2.change.reason["runs_below"] == 2
    assert not s2.state.downgrade_warning


def test_recovery_resets_the_grace_counter() -> None:
    s1 = step(TierState("gold", D0), "silver", 50)
    s2 = step(s1.state, "gold", 72)
    assert s2.state.runs_below == 0 and not s2.state.downgrade_warning
    s3 = step(s2.state, "silver", 50)
    assert s3.state.tier == "gold", "one bad run after a recovery must not downgrade"


def test_stay_margin_keeps_a_customer_just_below_the_entry_cutoff() -> None:
    rule = StabilityRule(downgrade_after_runs=1, stay_margin=5)
    d = step(TierState("gold", D0), "silver", 66, rule=rule)
    assert d.state.tier == "gold" and not d.state.downgrade_warning
    d = step(TierState("gold", D0), "silver", 64, rule=rule)
    assert d.state.tier == "silver"


def test_downgrade_is_one_step_per_run() -> None:
    rule = StabilityRule(downgrade_after_runs=1, max_steps_down=1)
    d = step(TierState("platinum", D0), "bronze", 10, rule=rule)
    assert d.state.tier == "gold"
    assert d.state.downgrade_warning, "still below: the customer is warned of the next step"
    d = step(d.state, "bronze", 10, rule=rule)
    assert d.state.tier == "silver"


def test_downgrade_after_days() -> None:
    rule = StabilityRule(downgrade_after_runs=1, downgrade_after_days=30)
    d = step(TierState("gold", D0), "silver", 50, rule=rule)
    assert d.state.tier == "gold"
    d = step(d.state, "silver", 50, rule=rule, day=D0 + timedelta(days=29))
    assert d.state.tier == "gold"
    d = step(d.state, "silver", 50, rule=rule, day=D0 + timedelta(days=30))
    assert d.state.tier == "silver"


def test_override_wins_and_is_recorded() -> None:
    d = step(TierState("bronze", D0), "bronze", 5, override="gold")
    assert d.state.tier == "gold"
    assert d.change is not None and d.change.reason_code == "override"


def test_insufficient_data_never_grades_a_new_customer() -> None:
    d = step(None, None, None)
    assert d.state.tier is None and d.change is None


def test_rule_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="downgrade_after_runs"):
        StabilityRule(downgrade_after_runs=0)


tiers = st.sampled_from([*ORDER, None])


@settings(deadline=None)  # a shared 2-core machine: timing is not what this tests
@given(st.lists(st.tuples(tiers, st.floats(0, 100)), min_size=1, max_size=12))
def test_never_more_than_max_steps_down_per_run(runs: list[tuple[str | None, float]]) -> None:
    rule = StabilityRule(downgrade_after_runs=1, max_steps_down=1)
    state: TierState | None = TierState("platinum", D0)
    for i, (computed, score) in enumerate(runs):
        d = step(state, computed, score, rule=rule, day=D0 + timedelta(days=30 * i))
        before = ORDER.index(state.tier) if state and state.tier else len(ORDER)
        after = ORDER.index(d.state.tier) if d.state.tier else len(ORDER)
        assert after - before <= 1
        if computed is not None and ORDER.index(computed) < before:
            assert d.state.tier == computed, "upgrades take effect at once"
        state = d.state

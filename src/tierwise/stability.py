"""Natural transitions between tiers (R-GRD-10), as one pure decision per customer.

Semantics (DESIGN.md, "Stability"):

- an upgrade takes effect at once;
- a customer whose computed tier is below the current one keeps the current tier while the
  score still reaches the current tier's *stay* threshold (its entry cutoff minus
  ``stay_margin``); below that, the runs (or days) spent below are counted, the customer is in
  ``downgrade_warning`` (something they can be told about), and only after
  ``downgrade_after_runs`` runs (or ``downgrade_after_days`` days, when set) is the tier
  lowered, by at most ``max_steps_down`` tiers per run;
- an active manual override wins over everything and carries its own reason;
- "insufficient data" (no computed tier) counts as below every tier for a graded customer and
  as no tier for a new one.

Every change carries a structured reason (code + parameters) for the history table.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any


@dataclass(frozen=True)
class StabilityRule:
    """The policy's stability settings."""

    downgrade_after_runs: int = 2
    downgrade_after_days: int | None = None
    max_steps_down: int = 1
    stay_margin: float = 0.0

    def __post_init__(self) -> None:
        if self.downgrade_after_runs < 1:
            raise ValueError("downgrade_after_runs must be at least 1")
        if self.max_steps_down < 1:
            raise ValueError("max_steps_down must be at least 1")
        if self.stay_margin < 0:
            raise ValueError("stay_margin must not be negative")


@dataclass(frozen=True)
class TierState:
    """A customer's published tier and its downgrade grace counters."""

    tier: str | None
    since: date
    runs_below: int = 0
    below_since: date | None = None
    downgrade_warning: bool = False


@dataclass(frozen=True)
class Change:
    """One change of published tier, for the history."""

    from_tier: str | None
    to_tier: str | None
    reason_code: str
    reason: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    """The new state of a customer and the change it records, if any."""

    state: TierState
    change: Change | None


def transition(
    current: TierState | None,
    computed: str | None,
    score: float | None,
    *,
    order: list[str],
    cutoffs: dict[str, float | None],
    rule: StabilityRule,
    run_date: date,
    override: str | None = None,
) -> Decision:
    """Apply the stability rules to one customer.

    Parameters
    ----------
    current:
        The published state before this run, or ``None`` for a customer never graded.
    computed:
        The tier this run computed (``None``: insufficient data).
    score:
        The score this run computed (``None`` where there is none).
    order:
        Tier codes from the top tier down.
    cutoffs:
        Minimum score of each tier in this run (``None`` where a tier has no score cutoff).
    rule:
        The policy's stability settings.
    run_date:
        The run's as_of date.
    override:
        The tier of an active manual override, if any.
    """
    rank = {t: i for i, t in enumerate(order)}
    worst = len(order)  # rank of "no tier"

    def r(t: str | None) -> int:
        return worst if t is None else rank[t]

    if override is not None:
        prev = current.tier if current else None
        state = TierState(override, current.since if current and prev == override else run_date)
        change = (
            None if prev == override else Change(prev, override, "override", {"tier": override})
        )
        return Decision(state, change)

    if current is None or current.tier is None:
        state = TierState(computed, run_date)
        if computed is None:
            return Decision(state, None)
        return Decision(state, Change(None, computed, "initial", {"score": score}))

    cur = current.tier
    if r(computed) < r(cur):
        state = TierState(computed, run_date)
        return Decision(state, Change(cur, computed, "upgrade", {"score": score}))
    if r(computed) == r(cur):
        return Decision(
            replace(current, runs_below=0, below_since=None, downgrade_warning=False), None
        )

    stay = cutoffs.get(cur)
    if stay is not None and score is not None and score >= stay - rule.stay_margin:
        # Below the entry cutoff but above the stay threshold: hysteresis keeps the tier.
        return Decision(
            replace(current, runs_below=0, below_since=None, downgrade_warning=False), None
        )

    runs_below = current.runs_below + 1
    below_since = current.below_since or run_date
    due = runs_below >= rule.downgrade_after_runs
    if rule.downgrade_after_days is not None:
        due = (run_date - below_since).days >= rule.downgrade_after_days
    if not due:
        state = replace(
            current, runs_below=runs_below, below_since=below_since, downgrade_warning=True
        )
        return Decision(state, None)

    target_rank = min(r(computed), r(cur) + rule.max_steps_down, len(order) - 1)
    new = order[target_rank]
    still_below = r(computed) > target_rank
    state = TierState(
        new,
        run_date,
        runs_below=runs_below if still_below else 0,
        below_since=below_since if still_below else None,
        downgrade_warning=still_below,
    )
    reason = {
        "score": score,
        "stay_threshold": None if stay is None else stay - rule.stay_margin,
        "runs_below": runs_below,
        "below_since": below_since.isoformat(),
        "computed": computed,
    }
    return Decision(state, Change(cur, new, "downgrade", reason))

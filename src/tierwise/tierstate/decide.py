"""The next tier state of one customer (R-GRD-10, R-RT-1): the one decision, pure.

Batch publication (:mod:`tierwise.store.runs`, vectorised in
:mod:`tierwise.tierstate.decide_many`) and the real-time regrade
(:mod:`tierwise.realtime.regrade`) both decide here:
previous state + policy (tier order, cutoffs, stability rule) + what the features computed
(tier, score) + as-of → next state and the change it records, with its reasons.

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
  as no tier for a new one;
- **between runs** (a real-time regrade, ``between_runs=True``) a computed tier below the
  current one never lowers the tier: the downgrade grace is counted in batch runs, so the
  customer only gets the ``downgrade_warning`` state (its run counter is left alone); the next
  run applies the grace rules. Upgrades, first tiers and overrides are decided exactly as in
  a run;
- a return that undoes the order behind a real-time upgrade reverts that upgrade at once
  (:func:`revert_upgrade`, reason ``upgrade_reverted``), instead of the slow downgrade grace.

Reasons (stored in ``tier_changes.reason`` and sent to webhooks) are decided here too:
``initial``/``upgrade``: ``{score}``; ``override``: ``{tier}``; ``downgrade``: ``{score,
stay_threshold, runs_below, below_since, computed}`` where ``runs_below`` and ``below_since``
are the grace counters that made the downgrade due (this run included);
``upgrade_reverted``: given by the caller (the returned orders).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

INITIAL, UPGRADE, DOWNGRADE, OVERRIDE = "initial", "upgrade", "downgrade", "override"
UPGRADE_REVERTED = "upgrade_reverted"


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


def _rank(order: list[str], tier: str | None) -> int:
    return len(order) if tier is None else order.index(tier)


def _stays(stay: float | None, score: float | None, rule: StabilityRule) -> bool:
    return stay is not None and score is not None and score >= stay - rule.stay_margin


def decide(
    current: TierState | None,
    computed: str | None,
    score: float | None,
    *,
    order: list[str],
    cutoffs: dict[str, float | None],
    rule: StabilityRule,
    as_of: date,
    override: str | None = None,
    between_runs: bool = False,
) -> Decision:
    """The next state of one customer and the change it records (see the module docstring).

    Parameters
    ----------
    current:
        The published state before, or ``None`` for a customer never graded.
    computed:
        The tier the features give (``None``: insufficient data).
    score:
        The score the features give (``None`` where there is none).
    order:
        Tier codes from the top tier down.
    cutoffs:
        Minimum score of each tier (``None`` where a tier has no score cutoff): the run's.
    rule:
        The policy's stability settings.
    as_of:
        The run's as_of date (a batch run) or the regrade's day (between runs).
    override:
        The tier of an active manual override, if any.
    between_runs:
        A real-time regrade: a lower computed tier only warns (runs are counted at runs).
    """
    if override is not None:
        prev = current.tier if current else None
        state = TierState(override, current.since if current and prev == override else as_of)
        change = None if prev == override else Change(prev, override, OVERRIDE, {"tier": override})
        return Decision(state, change)

    if current is None or current.tier is None:
        state = TierState(computed, as_of)
        if computed is None:
            return Decision(state, None)
        return Decision(state, Change(None, computed, INITIAL, {"score": score}))

    cur = current.tier
    if _rank(order, computed) < _rank(order, cur):
        return Decision(
            TierState(computed, as_of), Change(cur, computed, UPGRADE, {"score": score})
        )
    if _rank(order, computed) == _rank(order, cur):
        return Decision(
            replace(current, runs_below=0, below_since=None, downgrade_warning=False), None
        )

    stay = cutoffs.get(cur)
    if between_runs:
        if _stays(stay, score, rule):
            return Decision(replace(current, downgrade_warning=False), None)
        return Decision(
            replace(current, below_since=current.below_since or as_of, downgrade_warning=True),
            None,
        )
    if _stays(stay, score, rule):
        # Below the entry cutoff but above the stay threshold: hysteresis keeps the tier.
        return Decision(
            replace(current, runs_below=0, below_since=None, downgrade_warning=False), None
        )

    runs_below = current.runs_below + 1
    below_since = current.below_since or as_of
    due = runs_below >= rule.downgrade_after_runs
    if rule.downgrade_after_days is not None:
        due = (as_of - below_since).days >= rule.downgrade_after_days
    if not due:
        state = replace(
            current, runs_below=runs_below, below_since=below_since, downgrade_warning=True
        )
        return Decision(state, None)

    target_rank = min(
        _rank(order, computed), _rank(order, cur) + rule.max_steps_down, len(order) - 1
    )
    new = order[target_rank]
    still_below = _rank(order, computed) > target_rank
    state = TierState(
        new,
        as_of,
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
    return Decision(state, Change(cur, new, DOWNGRADE, reason))


def revert_upgrade(
    current: TierState,
    computed: str | None,
    before: str | None,
    *,
    order: list[str],
    day: date,
    reason: dict[str, Any],
) -> Decision | None:
    """Undo a real-time upgrade from ``before`` whose order was returned, if it no longer holds.

    The customer goes back to ``before``, or to ``computed`` if that is still higher than
    ``before`` (other orders may carry part of the upgrade). ``None`` when the computed tier
    still reaches the current one (the upgrade stands without the returned order).
    """
    if _rank(order, computed) <= _rank(order, current.tier):
        return None
    target_rank = min(_rank(order, computed), _rank(order, before))
    target = order[target_rank] if target_rank < len(order) else None
    return Decision(TierState(target, day), Change(current.tier, target, UPGRADE_REVERTED, reason))

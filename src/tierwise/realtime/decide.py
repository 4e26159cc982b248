"""Stability rules for a real-time regrade (pure), on top of :mod:`tierwise.stability`.

- an upgrade (or a first tier, or an active override) takes effect at once, exactly as in a
  batch run (:func:`tierwise.stability.transition` decides);
- a computed tier below the current one never lowers the tier between runs: the downgrade
  grace is counted in batch runs (or days checked at runs), so the customer only gets the
  ``downgrade_warning`` state; the next run applies the policy's grace rules;
- a return that undoes the order behind a real-time upgrade reverts that upgrade at once
  (:func:`revert_upgrade`, reason ``upgrade_reverted``), instead of the slow downgrade grace.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from tierwise.stability import Change, Decision, StabilityRule, TierState, transition

UPGRADE_REVERTED = "upgrade_reverted"


def _rank(order: list[str], tier: str | None) -> int:
    return len(order) if tier is None else order.index(tier)


def realtime_transition(
    current: TierState | None,
    computed: str | None,
    score: float | None,
    *,
    order: list[str],
    cutoffs: dict[str, float | None],
    rule: StabilityRule,
    day: dt.date,
    override: str | None = None,
) -> Decision:
    """The new state of a customer regraded between runs (see the module docstring)."""
    if (
        override is not None
        or current is None
        or current.tier is None
        or _rank(order, computed) <= _rank(order, current.tier)
    ):
        return transition(
            current,
            computed,
            score,
            order=order,
            cutoffs=cutoffs,
            rule=rule,
            run_date=day,
            override=override,
        )
    stay = cutoffs.get(current.tier)
    if stay is not None and score is not None and score >= stay - rule.stay_margin:
        return Decision(replace(current, downgrade_warning=False), None)
    return Decision(
        replace(current, below_since=current.below_since or day, downgrade_warning=True), None
    )


def revert_upgrade(
    current: TierState,
    computed: str | None,
    before: str | None,
    *,
    order: list[str],
    day: dt.date,
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
    state = TierState(target, day)
    return Decision(state, Change(current.tier, target, UPGRADE_REVERTED, reason))

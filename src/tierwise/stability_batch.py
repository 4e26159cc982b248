"""The stability rules of :mod:`tierwise.stability`, vectorised over all customers of a run.

:func:`tierwise.stability.transition` is the reference (one readable decision per customer);
this module computes the same decisions with numpy so that publishing millions of customers
does not run a Python function per customer. A Hypothesis test keeps the two equal.

Tiers are integer ranks: 0 is the top tier, ``len(order)`` means "no tier" (insufficient data
or never graded), and ``-1`` in ``override`` means "no override". Dates are
``datetime64[D]`` with ``NaT`` for "none".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from tierwise.stability import StabilityRule

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
DateArray = npt.NDArray[np.datetime64]
BoolArray = npt.NDArray[np.bool_]

# change codes (0 = no change)
NONE, INITIAL, UPGRADE, DOWNGRADE, OVERRIDE = 0, 1, 2, 3, 4
CODE_NAMES = {INITIAL: "initial", UPGRADE: "upgrade", DOWNGRADE: "downgrade", OVERRIDE: "override"}


@dataclass
class BatchState:
    """Published state of many customers (parallel arrays)."""

    tier: IntArray
    since: DateArray
    runs_below: IntArray
    below_since: DateArray
    warning: BoolArray


def transition_batch(
    current: BatchState,
    computed: IntArray,
    score: FloatArray,
    override: IntArray,
    *,
    n_tiers: int,
    stay_cutoff: FloatArray,
    rule: StabilityRule,
    run_date: date,
) -> tuple[BatchState, IntArray]:
    """New states and change codes for every customer.

    Parameters
    ----------
    current:
        State before the run; a customer never graded has tier ``n_tiers``.
    computed, score:
        The run's tier rank (``n_tiers``: insufficient data) and score (NaN: none).
    override:
        Rank of an active override, ``-1`` where there is none.
    n_tiers:
        Number of tiers.
    stay_cutoff:
        Minimum score of each tier rank (NaN where a tier has no score cutoff), length
        ``n_tiers``.
    rule, run_date:
        The policy's stability settings and the run's as_of date.
    """
    today = np.datetime64(run_date, "D")
    nat = np.datetime64("NaT", "D")
    cur = current.tier
    has_cur = cur < n_tiers
    has_ovr = override >= 0

    # stay threshold of the current tier (NaN for "no tier" or no cutoff)
    stay = np.full(cur.shape, np.nan)
    stay[has_cur] = stay_cutoff[cur[has_cur]]
    with np.errstate(invalid="ignore"):
        stays = ~np.isnan(stay) & ~np.isnan(score) & (score >= stay - rule.stay_margin)

    # Customers whose computed tier equals the current one, or is lower but above the stay
    # threshold, keep tier and since and have their grace counters cleared (the defaults below).
    up = ~has_ovr & has_cur & (computed < cur)
    below = ~has_ovr & has_cur & (computed > cur) & ~stays
    fresh = ~has_ovr & ~has_cur

    rb1 = current.runs_below + 1
    bs = np.where(np.isnat(current.below_since), today, current.below_since)
    if rule.downgrade_after_days is not None:
        due = (today - bs).astype(np.int64) >= rule.downgrade_after_days
    else:
        due = rb1 >= rule.downgrade_after_runs
    down = below & due
    warn_only = below & ~due
    target = np.minimum(np.minimum(computed, cur + rule.max_steps_down), n_tiers - 1)
    still = down & (computed > target)

    tier = cur.copy()
    tier[has_ovr] = override[has_ovr]
    tier[fresh] = computed[fresh]
    tier[up] = computed[up]
    tier[down] = target[down]

    since = current.since.copy()
    since[(has_ovr & (cur != override)) | fresh | up | down] = today

    runs_below = np.zeros_like(cur)
    runs_below[warn_only] = rb1[warn_only]
    runs_below[still] = rb1[still]

    below_since = np.full(cur.shape, nat)
    below_since[warn_only] = bs[warn_only]
    below_since[still] = bs[still]

    warning = warn_only | still

    code = np.zeros_like(cur)
    code[has_ovr & (cur != override)] = OVERRIDE
    code[fresh & (computed < n_tiers)] = INITIAL
    code[up] = UPGRADE
    code[down] = DOWNGRADE
    return BatchState(tier, since, runs_below, below_since, warning), code

"""The decision of :mod:`tierwise.tierstate.decide`, vectorised over all customers of a run.

:func:`tierwise.tierstate.decide.decide` is the reference (one readable decision per
customer); this module computes the same states, change codes and reasons with numpy and
Arrow, so that publishing millions of customers does not run a Python function per customer.
A Hypothesis test (tests/tierstate/test_decide_many.py) keeps the two equal, reasons included.

Tiers are integer ranks: 0 is the top tier, ``len(order)`` means "no tier" (insufficient data
or never graded), and ``-1`` in ``override`` means "no override". Dates are
``datetime64[D]`` with ``NaT`` for "none".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from tierwise.tierstate.decide import StabilityRule

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

    def take(self, idx: IntArray) -> BatchState:
        """The states at positions ``idx``."""
        return BatchState(
            self.tier[idx],
            self.since[idx],
            self.runs_below[idx],
            self.below_since[idx],
            self.warning[idx],
        )


def decide_many(
    current: BatchState,
    computed: IntArray,
    score: FloatArray,
    override: IntArray,
    *,
    n_tiers: int,
    stay_cutoff: FloatArray,
    rule: StabilityRule,
    as_of: date,
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
    rule, as_of:
        The policy's stability settings and the run's as_of date.
    """
    today = np.datetime64(as_of, "D")
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


def reasons_json(
    code: IntArray,
    score: FloatArray,
    current: BatchState,
    computed: IntArray,
    stay: FloatArray,
    order: list[str],
    rule: StabilityRule,
    override: IntArray,
    *,
    as_of: date,
) -> pa.Array:
    """The reasons of :func:`tierwise.tierstate.decide.decide` as JSON text, built column-wise
    (no Python per customer), for the changed customers given.

    ``current`` is their state *before* the run and ``stay`` the entry cutoff of their
    previous tier (NaN: none): a downgrade's reason names the grace counters that made it due.
    """
    runs_below = current.runs_below + 1
    below_since = np.where(
        np.isnat(current.below_since), np.datetime64(as_of, "D"), current.below_since
    )

    def num(a: np.ndarray) -> pa.Array:
        return pc.fill_null(pc.cast(pa.array(a, from_pandas=True), pa.string()), "null")

    def text(a: pa.Array) -> pa.Array:
        return pc.fill_null(pc.binary_join_element_wise('"', a, '"', ""), "null")

    names = pa.array([*order, None], pa.string())
    comp_name = pc.take(names, pa.array(computed))
    ovr_name = pc.take(names, pa.array(np.where(override >= 0, override, len(order))))
    below = pc.cast(pa.array(below_since.astype("datetime64[D]")), pa.string())
    basic = pc.binary_join_element_wise('{"score": ', num(score), "}", "")
    down = pc.binary_join_element_wise(
        '{"score": ',
        num(score),
        ', "stay_threshold": ',
        num(stay - rule.stay_margin),
        ', "runs_below": ',
        num(runs_below.astype(np.float64)),
        ', "below_since": ',
        text(below),
        ', "computed": ',
        text(comp_name),
        "}",
        "",
    )
    ovr = pc.binary_join_element_wise('{"tier": ', text(ovr_name), "}", "")
    return pc.if_else(
        pa.array(code == DOWNGRADE), down, pc.if_else(pa.array(code == OVERRIDE), ovr, basic)
    )

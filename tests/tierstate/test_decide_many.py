"""The vectorised decision decides exactly as the scalar reference, reasons included (R-GRD-10)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tierwise.tierstate.decide import StabilityRule, TierState, decide
from tierwise.tierstate.decide_many import CODE_NAMES, BatchState, decide_many, reasons_json

ORDER = ["platinum", "gold", "silver", "bronze"]
N = len(ORDER)
D0 = date(2026, 3, 31)

customer = st.tuples(
    st.integers(0, N),  # current tier rank (N: none)
    st.integers(0, 90),  # days since the current tier started
    st.integers(0, 4),  # runs below
    st.one_of(st.none(), st.integers(0, 120)),  # days below
    st.integers(0, N),  # computed rank (N: insufficient data)
    st.one_of(st.none(), st.floats(0, 100, allow_nan=False)),  # score
    st.integers(-1, N - 1),  # override (-1: none)
)
rules = st.builds(
    StabilityRule,
    downgrade_after_runs=st.integers(1, 3),
    downgrade_after_days=st.one_of(st.none(), st.integers(1, 60)),
    max_steps_down=st.integers(1, 3),
    stay_margin=st.sampled_from([0.0, 2.5, 10.0]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(customer, min_size=1, max_size=40), rules)
def test_batch_equals_scalar_reference_reasons_included(
    rows: list[tuple[int, int, int, int | None, int, float | None, int]], rule: StabilityRule
) -> None:
    cut_list: list[float | None] = [90.0, 70.0, 40.0, None]
    cutoffs = dict(zip(ORDER, cut_list, strict=True))
    expected = []
    for cur, since_d, rb, below_d, comp, score, ovr in rows:
        has_cur = cur < N
        state = (
            TierState(
                ORDER[cur],
                D0 - timedelta(days=since_d),
                rb if below_d is not None else 0,
                D0 - timedelta(days=below_d) if below_d is not None else None,
                below_d is not None,
            )
            if has_cur
            else None
        )
        d = decide(
            state,
            ORDER[comp] if comp < N else None,
            score,
            order=ORDER,
            cutoffs=cutoffs,
            rule=rule,
            as_of=D0,
            override=ORDER[ovr] if ovr >= 0 else None,
        )
        expected.append(d)

    def dt(days: int | None) -> np.datetime64:
        return (
            np.datetime64("NaT", "D")
            if days is None
            else np.datetime64(D0 - timedelta(days=days), "D")
        )

    cur_state = BatchState(
        tier=np.array([r[0] for r in rows], dtype=np.int64),
        since=np.array([dt(r[1]) if r[0] < N else dt(None) for r in rows], dtype="datetime64[D]"),
        runs_below=np.array(
            [r[2] if r[3] is not None and r[0] < N else 0 for r in rows], dtype=np.int64
        ),
        below_since=np.array(
            [dt(r[3]) if r[0] < N else dt(None) for r in rows], dtype="datetime64[D]"
        ),
        warning=np.array([r[3] is not None and r[0] < N for r in rows]),
    )
    new, code = decide_many(
        cur_state,
        np.array([r[4] for r in rows], dtype=np.int64),
        np.array([np.nan if r[5] is None else r[5] for r in rows]),
        np.array([r[6] for r in rows], dtype=np.int64),
        n_tiers=N,
        stay_cutoff=np.array([np.nan if c is None else c for c in cut_list]),
        rule=rule,
        as_of=D0,
    )
    for i, d in enumerate(expected):
        s = d.state
        assert (ORDER[new.tier[i]] if new.tier[i] < N else None) == s.tier, (i, rows[i])
        assert new.since[i] == np.datetime64(s.since, "D"), (i, rows[i])
        assert new.runs_below[i] == s.runs_below, (i, rows[i])
        assert (None if np.isnat(new.below_since[i]) else new.below_since[i]) == (
            None if s.below_since is None else np.datetime64(s.below_since, "D")
        ), (i, rows[i])
        assert bool(new.warning[i]) == s.downgrade_warning, (i, rows[i])
        assert CODE_NAMES.get(int(code[i])) == (d.change.reason_code if d.change else None), (
            i,
            rows[i],
        )
    # the reasons stored in tier_changes (and sent to webhooks) are the reference's too
    idx = np.flatnonzero(code != 0)
    comp = np.array([r[4] for r in rows], dtype=np.int64)
    cur_rank = cur_state.tier
    stay = np.array([np.nan if c is None else c for c in [*cut_list, None]])[cur_rank]
    texts = reasons_json(
        code[idx],
        np.array([np.nan if r[5] is None else r[5] for r in rows])[idx],
        cur_state.take(idx),
        comp[idx],
        stay[idx],
        ORDER,
        rule,
        np.array([r[6] for r in rows], dtype=np.int64)[idx],
        as_of=D0,
    ).to_pylist()
    for i, text in zip(idx, texts, strict=True):
        change = expected[i].change
        assert change is not None
        assert json.loads(text) == change.reason, (i, rows[i])

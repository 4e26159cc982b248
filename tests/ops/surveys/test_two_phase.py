"""Two-phase NPS: a follow-up of a random subsample of non-respondents (Hansen-Hurwitz)
undoes a non-response that depends on satisfaction itself (R-OPS-8, issue 26)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tierwise.errors import DataError
from tierwise.ops.surveys.nps import nps_by_tier, nps_two_phase


def _pop(n: int, tier: str = "gold", cell: str = "c", start: int = 0) -> pd.DataFrame:
    ids = [f"C{i:07d}" for i in range(start, start + n)]
    return pd.DataFrame({"customer_id": ids, "tier": tier, "cell": cell})


def test_by_hand_respondents_stand_for_themselves_the_followup_for_the_rest() -> None:
    pop = _pop(10)
    ids = list(pop["customer_id"])
    ans = pd.DataFrame({"customer_id": ids[:4], "score": [10, 10, 10, 10]})  # 4 promoters
    # 6 non-respondents, 3 called, 2 answer: both detractors -> the 6 count as detractors
    sub = pd.Series(ids[4:7])
    fol = pd.DataFrame({"customer_id": ids[4:6], "score": [0, 3]})
    r = nps_two_phase(ans, pop, sub, fol).iloc[0]
    assert (r["answers"], r["nonrespondents"], r["subsampled"], r["answers_followup"]) == (
        4, 6, 3, 2)  # fmt: skip
    assert r["nps_two_phase"] == pytest.approx(100 * (4 - 6) / 10)
    # variance: s²/N with weights (1,1,1,1,3,3), mean -0.2, plus phase 2 (d all -1: s_c² 0)
    d = np.array([1, 1, 1, 1, -1, -1.0])
    w = np.array([1, 1, 1, 1, 3, 3.0])
    s2 = np.sum(w * (d + 0.2) ** 2) / 9
    half = 1.959963984540054 * np.sqrt(s2 / 10) * 100
    assert (r["low_two_phase"], r["high_two_phase"]) == pytest.approx((-20 - half, -20 + half))


def test_answers_outside_the_subsample_or_from_respondents_do_not_count() -> None:
    pop = _pop(6)
    ids = list(pop["customer_id"])
    ans = pd.DataFrame({"customer_id": ids[:2], "score": [10, 10]})
    fol = pd.DataFrame({"customer_id": [ids[2], ids[5]], "score": [0, 10]})
    r = nps_two_phase(ans, pop, pd.Series(ids[2:4]), fol).iloc[0]
    assert r["answers_followup"] == 1  # ids[5] was not drawn for the follow-up
    assert r["nps_two_phase"] == pytest.approx(100 * (2 - 4) / 6)


def test_a_tier_with_non_respondents_and_no_followup_answer_has_no_figure() -> None:
    pop = pd.concat([_pop(4, "gold"), _pop(3, "silver", start=4)], ignore_index=True)
    ids = list(pop["customer_id"])
    ans = pd.DataFrame({"customer_id": ids[:5], "score": [10, 9, 0, 8, 7]})
    fol = pd.DataFrame({"customer_id": [ids[5]], "score": [10]})
    out = nps_two_phase(ans, pop, pd.Series(ids[5:]), fol).set_index("tier")
    assert out.loc["gold", "nps_two_phase"] == pytest.approx(25.0)  # everyone answered
    assert out.loc["silver", "nps_two_phase"] == pytest.approx(100 * (0 + 2) / 3)
    no = nps_two_phase(ans, pop, pd.Series(ids[5:]), fol.iloc[:0]).set_index("tier")
    assert np.isnan(no.loc["silver", "nps_two_phase"])


def test_bad_followup_scores_are_refused() -> None:
    pop = _pop(3)
    fol = pd.DataFrame({"customer_id": [pop["customer_id"][0]], "score": [11]})
    with pytest.raises(DataError):
        nps_two_phase(fol.iloc[:0], pop, pop["customer_id"], fol)


def test_two_phase_covers_the_truth_when_non_response_follows_satisfaction() -> None:
    """Who answers the survey depends on the score itself (detractors rarely answer), so
    neither the naive nor the cell-weighted figure can find the truth; a call to a random
    fifth of the non-respondents answered at 70 % whatever the score does."""
    rng = np.random.default_rng(8)
    n, runs, hits, err_2, err_1 = 2000, 200, 0, [], []
    for _ in range(runs):
        pop = _pop(n, cell="c")
        pop["cell"] = rng.choice(["a", "b"], n)
        score = rng.choice([0, 7, 10], size=n, p=[0.4, 0.3, 0.3])
        truth = 100 * (np.mean(score == 10) - np.mean(score == 0))
        p = np.where(score == 0, 0.05, 0.3)
        answered = rng.random(n) < p
        ids = pop["customer_id"].to_numpy()
        ans = pd.DataFrame({"customer_id": ids[answered], "score": score[answered]})
        miss = np.flatnonzero(~answered)
        drawn = rng.choice(miss, size=len(miss) // 5, replace=False)
        called = drawn[rng.random(len(drawn)) < 0.7]
        fol = pd.DataFrame({"customer_id": ids[called], "score": score[called]})
        r = nps_two_phase(ans, pop, pd.Series(ids[drawn]), fol).iloc[0]
        one = nps_by_tier(ans, pop).iloc[0]
        hits += bool(r["low_two_phase"] <= truth <= r["high_two_phase"])
        err_2.append(abs(r["nps_two_phase"] - truth))
        err_1.append(abs(one["nps"] - truth))
    assert np.mean(err_1) > 20  # one phase: far off (about +27 points)
    assert np.mean(err_2) < 5
    assert 0.90 <= hits / runs <= 0.99

"""NPS per tier with its interval and the non-response weighting (R-OPS-8, issue 26 item 3)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tierwise.errors import DataError
from tierwise.ops.surveys.nps import nps_by_tier


def _pop(n: int, tier: str = "gold", cell: str = "active", start: int = 0) -> pd.DataFrame:
    ids = [f"C{i:07d}" for i in range(start, start + n)]
    return pd.DataFrame({"customer_id": ids, "tier": tier, "cell": cell})


def test_unweighted_nps_and_its_interval_by_hand() -> None:
    pop = _pop(5)
    ans = pd.DataFrame({"customer_id": pop["customer_id"], "score": [10, 9, 8, 6, 0]})
    r = nps_by_tier(ans, pop).iloc[0]
    assert r["answers"] == 5 and r["nps"] == pytest.approx(0.0)
    # d = (1, 1, 0, -1, -1): sum of squares 4; var = 4 / 25 × 5 / 4 = 0.2
    half = 1.959963984540054 * np.sqrt(0.2) * 100
    assert (r["low"], r["high"]) == pytest.approx((-half, half))
    assert r["nps_unweighted"] == pytest.approx(r["nps"])


def test_weighting_undoes_a_non_response_that_depends_on_activity() -> None:
    active, idle = _pop(100, cell="active"), _pop(100, cell="idle", start=100)
    pop = pd.concat([active, idle], ignore_index=True)
    # every active outlet is a promoter, every idle one a detractor: the true NPS is 0;
    # 90 active outlets answer but only 10 idle ones
    ans = pd.DataFrame({
        "customer_id": list(active["customer_id"][:90]) + list(idle["customer_id"][:10]),
        "score": [10] * 90 + [2] * 10,
    })  # fmt: skip
    r = nps_by_tier(ans, pop).iloc[0]
    assert r["nps_unweighted"] == pytest.approx(80.0)
    assert r["nps"] == pytest.approx(0.0)
    assert r["answers"] == 100 and r["population"] == 200


def test_the_interval_covers_the_true_nps_about_95_times_in_100() -> None:
    rng = np.random.default_rng(26)
    probs = [0.25, 0.35, 0.40]  # detractor, passive, promoter: true NPS 15
    hits = 0
    for _ in range(400):
        pop = _pop(300)
        cat = rng.choice([0, 7, 10], size=300, p=probs)
        r = nps_by_tier(pd.DataFrame({"customer_id": pop["customer_id"], "score": cat}), pop)
        hits += bool(r.iloc[0]["low"] <= 15.0 <= r.iloc[0]["high"])
    assert 0.92 <= hits / 400 <= 0.98


def test_each_tier_apart_and_a_tier_without_answers() -> None:
    pop = pd.concat([_pop(3, "gold"), _pop(2, "silver", start=3)], ignore_index=True)
    ans = pd.DataFrame({"customer_id": pop["customer_id"][:3], "score": [10, 10, 0]})
    out = nps_by_tier(ans, pop).set_index("tier")
    assert out.loc["gold", "nps"] == pytest.approx(100 / 3)
    assert out.loc["silver", "answers"] == 0 and np.isnan(out.loc["silver", "nps"])


def test_bad_answers_are_refused_all_at_once() -> None:
    pop = _pop(3)
    ans = pd.DataFrame({"customer_id": ["C0000000", "C0000001", "C0000001", "C0000002"],
                        "score": [11, 5, 7, 7.5]})  # fmt: skip
    with pytest.raises(DataError) as err:
        nps_by_tier(ans, pop)
    msg = str(err.value)
    assert "row 0: score 11" in msg and "row 3: score 7.5" in msg
    assert "row 2: a second answer from customer C0000001" in msg

"""Every treatment kind runs and moves its outcome the way its response model says (issue 15)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from tierwise.world import KINDS, parse_plan, simulate
from tierwise.world.engine import Window, WorldState, call_answers
from tierwise.world.response import CALL_RESPONSE

ARMS = [
    {"name": "discount", "share": 0.1, "treatment": {"kind": "discount", "percent": 10}},
    {"name": "rebate", "share": 0.1, "treatment": {"kind": "rebate", "percent": 3}},
    {
        "name": "coupon",
        "share": 0.1,
        "treatment": {"kind": "coupon", "value": 50, "threshold": 200},
    },
    {"name": "campaign", "share": 0.1, "treatment": {"kind": "campaign", "intensity": 2}},
    {"name": "visits", "share": 0.1, "treatment": {"kind": "visit_cadence", "every_days": 7}},
    {"name": "prepaid", "share": 0.1, "treatment": {"kind": "payment_terms", "terms": "prepaid"}},
    {"name": "deposit", "share": 0.1, "treatment": {"kind": "deposit", "percent": 20}},
    {"name": "service", "share": 0.1, "treatment": {"kind": "service_level"}},
    {"name": "recommend", "share": 0.1, "treatment": {"kind": "recommend", "k": 5}},
    {"name": "control", "rest": True},
]


@pytest.fixture(scope="module")
def every_kind(book: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("kinds")
    simulate(book, parse_plan({"start": "2026-11-01", "days": 60, "seed": 4, "arms": ARMS}), out)
    return out


def _mean_effect(out: Path, arm: str, metric: str) -> float:
    t = pq.read_table(out / "truth" / "effects.parquet").to_pandas()
    x = t[(t.arm == arm) & (t.metric == metric)]
    return float((x.y_treated - x.y_control).mean())


def test_the_plan_covers_every_kind() -> None:
    assert {a["treatment"]["kind"] for a in ARMS if "treatment" in a} == set(KINDS)


def test_each_treatment_moves_its_outcome(every_kind: Path) -> None:
    assert _mean_effect(every_kind, "discount", "orders") > 0
    assert _mean_effect(every_kind, "coupon", "orders") > 0
    assert _mean_effect(every_kind, "recommend", "revenue") > 0
    assert _mean_effect(every_kind, "visits", "churned") < 0
    assert _mean_effect(every_kind, "service", "churned") <= 0
    assert _mean_effect(every_kind, "prepaid", "orders") <= 0  # strict terms cost orders
    assert _mean_effect(every_kind, "prepaid", "days_overdue_30") <= 0
    assert _mean_effect(every_kind, "deposit", "orders") < 0
    assert _mean_effect(every_kind, "control", "revenue") == 0


def test_campaign_uplift_differs_by_customer_and_is_negative_for_some(every_kind: Path) -> None:
    t = pq.read_table(every_kind / "truth" / "effects.parquet").to_pandas()
    x = t[(t.arm == "campaign") & (t.metric == "orders")]
    latent = pq.read_table(every_kind / "truth" / "latent.parquet").to_pandas()
    aff = latent.set_index("customer_id").loc[x.customer_id, "campaign_affinity"].to_numpy()
    assert (aff < 0).any() and (aff > 0).any()
    diff = (x.y_treated - x.y_control).to_numpy()
    assert diff[aff > 0.1].mean() > diff[aff < 0].mean()


def test_operations_tables_record_what_was_done(every_kind: Path) -> None:
    lake = every_kind / "lake"
    coupons = pq.read_table(lake / "coupons").to_pandas()
    assert len(coupons) > 0 and (coupons.redeemed_amount > 0).any()
    assert coupons.redeemed_order_id.notna().sum() == (coupons.redeemed_amount > 0).sum()
    visits = pq.read_table(lake / "visits").to_pandas()
    per_manager_day = visits.groupby(["manager_id", "visit_date"]).size()
    assert per_manager_day.max() <= 8  # managers' capacity
    assert len(pq.read_table(lake / "campaign_touches")) > 0
    assert len(pq.read_table(lake / "rebate_accruals")) > 0
    lines = pq.read_table(lake / "order_lines").to_pandas()
    assert "tier_discount" in set(lines.price_rule)
    staples = pq.read_table(every_kind / "truth" / "staples.parquet").to_pandas()
    assert {"staple", "shown", "recommended"} <= set(staples.kind)
    survey = pq.read_table(lake / "survey_answers").to_pandas()
    assert 0.05 < survey.answered.mean() < 0.5
    assert np.all(survey.score.dropna().between(0, 10))


def test_a_managers_follow_up_call_is_answered_far_more_and_far_less_by_satisfaction(
    every_kind: Path,
) -> None:
    """The world's second survey channel (issue 26, docs/generator.md): every outlet's
    would-be score and whether it answers a manager's call are in the truth; the lake's
    answers are the same scores; the call's chance is 0.62 + 0.03 × |satisfaction − 6|
    (checked on 200 000 draws), against the survey's 0.12 + 0.04 × |satisfaction − 6|."""
    lat = pq.read_table(every_kind / "truth" / "latent.parquet").to_pandas()
    survey = pq.read_table(every_kind / "lake" / "survey_answers").to_pandas()
    s = survey.merge(lat, on="customer_id")
    answered = s[s.answered]
    assert (answered.score.astype(int) == answered.survey_score).all()
    assert 0.55 < s.survey_call_answers.mean() < 0.85
    assert s.survey_call_answers.mean() > 2 * s.answered.mean()
    assert not lat.loc[~lat.customer_id.isin(survey.customer_id), "survey_call_answers"].all()
    n = 200_000
    sat = np.repeat([6.0, 10.0, 0.0], n // 2)
    state = WorldState(None, np.zeros(len(sat)), np.zeros(len(sat)), sat)  # type: ignore[arg-type]
    got = call_answers(state, Window(0, 30, 5), CALL_RESPONSE)
    rates = [got[sat == v].mean() for v in (6.0, 10.0, 0.0)]
    assert rates == pytest.approx([0.62, 0.74, 0.80], abs=0.01)
    again = call_answers(state, Window(0, 30, 5), CALL_RESPONSE)
    assert (got == again).all()  # common random numbers: the same draw every time

"""The statistics of experiments (R-ANA-5) on simulated data with known effects."""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm

from tierwise.errors import DataError
from tierwise.experiments.analysis import analyse
from tierwise.experiments.simulate import experiment, two_arm_design
from tierwise.experiments.stats import (
    agreement,
    always_valid_interval,
    difference_in_means,
    minimum_detectable_effect,
    return_on_investment,
    sample_ratio_check,
)

DESIGN = two_arm_design(guardrails=[])


def test_without_covariate_the_effect_is_the_difference_of_the_means() -> None:
    rng = np.random.default_rng(0)
    y = rng.normal(10, 2, 400)
    t = np.repeat([0.0, 1.0], 200)
    e = difference_in_means(y, t)
    assert e.effect == pytest.approx(y[200:].mean() - y[:200].mean())
    # HC1 of a two-group regression: the unpooled SE with ddof=0 variances, times n/(n-2)
    unpooled = math.sqrt(y[200:].var() / 200 + y[:200].var() / 200)
    assert e.se == pytest.approx(unpooled * math.sqrt(400 / 398), rel=1e-9)
    assert e.ci_low < e.effect < e.ci_high


def test_clustered_errors_match_statsmodels_and_are_wider_than_naive_ones() -> None:
    rng = np.random.default_rng(1)
    frame, _, _ = experiment(600, effect=0.0, rng=rng)
    y, t = frame["y_net_margin"].to_numpy(), (frame["arm"] == "treatment").to_numpy() * 1.0
    groups = frame["account_id"].to_numpy()
    e = difference_in_means(y, t, groups=groups)
    codes = np.unique(groups, return_inverse=True)[1]
    ref = sm.OLS(y, sm.add_constant(t)).fit(
        cov_type="cluster", cov_kwds={"groups": codes}, use_t=True
    )
    assert e.se == pytest.approx(ref.bse[1], rel=1e-9)
    assert e.p_value == pytest.approx(ref.pvalues[1], rel=1e-6)
    assert (e.ci_low, e.ci_high) == pytest.approx(tuple(ref.conf_int()[1]), rel=1e-9)
    assert e.clusters == frame["account_id"].nunique() and e.df == e.clusters - 1
    x = frame["x_net_margin"].to_numpy()
    cuped = difference_in_means(y, t, groups=groups, covariate=x)
    ref2 = sm.OLS(y, np.column_stack([np.ones_like(y), t, x - x.mean()])).fit(
        cov_type="cluster", cov_kwds={"groups": codes}, use_t=True
    )
    assert cuped.effect == pytest.approx(ref2.params[1], rel=1e-9)
    assert cuped.se == pytest.approx(ref2.bse[1], rel=1e-9)
    assert (cuped.ci_low, cuped.ci_high) == pytest.approx(tuple(ref2.conf_int()[1]), rel=1e-9)
    assert cuped.p_value == pytest.approx(ref2.pvalues[1], rel=1e-6)
    assert e.se > difference_in_means(y, t).se  # outlets of a chain are not independent


def test_few_clusters_use_t_with_clusters_minus_one_degrees_of_freedom() -> None:
    """With 8 accounts the clustered variance has 8 pieces: the interval is statsmodels'
    t(G − 1) one, wider than the normal one by t(7) / z ≈ 1.2 (issue 23)."""
    rng = np.random.default_rng(7)
    groups = np.repeat(np.arange(8), 25)
    t = (groups % 2).astype(float)
    y = rng.normal(0, 1, 8)[groups] + rng.normal(0, 1, len(groups)) + 0.3 * t
    e = difference_in_means(y, t, groups=groups)
    ref = sm.OLS(y, sm.add_constant(t)).fit(
        cov_type="cluster", cov_kwds={"groups": groups}, use_t=True
    )
    assert e.df == 7
    assert (e.ci_low, e.ci_high) == pytest.approx(tuple(ref.conf_int()[1]), rel=1e-9)
    assert e.p_value == pytest.approx(ref.pvalues[1], rel=1e-9)
    normal = ref.bse[1] * 1.959963984540054
    assert (e.ci_high - e.ci_low) / (2 * normal) == pytest.approx(2.364624 / 1.959964, rel=1e-5)
    # without clusters (each row its own unit): HC1 with N − K degrees of freedom
    h = difference_in_means(y, t)
    ref1 = sm.OLS(y, sm.add_constant(t)).fit(cov_type="HC1", use_t=True)
    assert h.df == len(y) - 2
    assert (h.ci_low, h.ci_high) == pytest.approx(tuple(ref1.conf_int()[1]), rel=1e-9)
    assert h.p_value == pytest.approx(ref1.pvalues[1], rel=1e-9)


def test_intervals_cover_the_known_effect_in_95_percent_of_simulations() -> None:
    rng = np.random.default_rng(2)
    covered = 0
    for i in range(60):
        frame, truth, _ = experiment(400, effect=60.0, rng=rng, salt=f"cov{i}")
        p = analyse(frame, DESIGN)["comparisons"][0]["primary"]
        covered += p["ci_low"] <= truth.average_effect <= p["ci_high"]
    # 60 draws of a 95 % interval: 57 expected, binomial sd 1.7 (the bench runs 200)
    assert 52 <= covered <= 60


def test_cuped_narrows_the_interval_by_what_the_pre_post_correlation_predicts() -> None:
    rng = np.random.default_rng(3)
    frame, _, _ = experiment(4000, effect=50.0, rng=rng, rho=0.8)
    c = analyse(frame, DESIGN)["comparisons"][0]
    p = c["primary"]
    assert p["predicted_reduction"] > 0.6
    assert p["variance_reduction"] == pytest.approx(p["predicted_reduction"], abs=0.04)
    assert p["se"] < c["without_cuped"]["se"] * math.sqrt(1 - p["variance_reduction"]) * 1.01


def test_a_broken_allocation_is_flagged_and_a_fair_one_is_not() -> None:
    assert sample_ratio_check([4500, 5500], [1, 1]).mismatch
    assert not sample_ratio_check([5020, 4980], [1, 1]).mismatch
    assert not sample_ratio_check([3000, 7000], [3, 7]).mismatch
    rng = np.random.default_rng(4)
    broken, _, _ = experiment(8000, effect=0.0, rng=rng, weights=(45, 55))
    assert analyse(broken, DESIGN)["srm"]["mismatch"]  # designed 50/50, assigned 45/55


@pytest.mark.slow
def test_always_valid_intervals_keep_false_positives_under_daily_looks() -> None:
    rng = np.random.default_rng(5)
    hits = 0
    for i in range(40):
        frame, _, daily = experiment(600, effect=0.0, rng=rng, salt=f"aa{i}", days=30)
        t = (frame["arm"] == "treatment").to_numpy() * 1.0
        x = frame["x_net_margin"].to_numpy()
        g = frame["account_id"].factorize()[0]
        cum = np.cumsum(daily, axis=1)
        for day in range(2, 30):
            e = difference_in_means(cum[:, day], t, groups=g, covariate=x)
            lo, hi = always_valid_interval(e.effect, e.se, tau=50.0)
            if lo > 0 or hi < 0:
                hits += 1
                break
    assert hits <= 4  # at most 10 % of 40 (the bench runs 200 for the 5 % figure)


def test_the_always_valid_interval_is_wider_than_the_fixed_one_and_shrinks_with_data() -> None:
    lo, hi = always_valid_interval(10.0, 2.0, tau=5.0)
    assert hi - lo > 2 * 1.96 * 2.0
    lo2, hi2 = always_valid_interval(10.0, 1.0, tau=5.0)
    assert hi2 - lo2 < hi - lo
    with pytest.raises(DataError):
        always_valid_interval(1.0, 0.0, tau=1.0)


def test_minimum_detectable_effect_matches_the_textbook_formula() -> None:
    p = minimum_detectable_effect(1000.0, 500, 500, rho=0.6)
    expected = (1.959964 + 0.841621) * 1000.0 * math.sqrt(2 / 500)
    assert p.mde == pytest.approx(expected, rel=1e-3)
    assert p.mde_cuped == pytest.approx(expected * 0.8, rel=1e-3)
    with pytest.raises(DataError):
        minimum_detectable_effect(1.0, 1, 100)


def test_roi_is_incremental_margin_over_cost_with_its_interval() -> None:
    rng = np.random.default_rng(6)
    y = np.concatenate([rng.normal(100, 10, 500), rng.normal(110, 10, 500)])
    e = difference_in_means(y, np.repeat([0.0, 1.0], 500))
    r = return_on_investment(e, 500, 2500.0)
    assert r.roi == pytest.approx(e.effect * 500 / 2500)
    assert r.roi_low == pytest.approx(e.ci_low * 500 / 2500)
    assert r.roi_low < r.roi < r.roi_high  # type: ignore[operator]
    assert return_on_investment(e, 500, 0.0).roi is None


def test_agreement_has_a_wilson_interval() -> None:
    a = agreement(45, 50)
    assert a.rate == 0.9
    assert a.ci_low == pytest.approx(0.7864, abs=1e-3)  # Wilson 95 % for 45/50
    assert a.ci_high == pytest.approx(0.9565, abs=1e-3)
    assert agreement(0, 0).rate is None


def test_an_arm_without_units_is_refused() -> None:
    with pytest.raises(DataError, match="fewer than 2 units"):
        difference_in_means(np.ones(5), np.zeros(5))


def test_a_metric_nobody_moved_gives_a_zero_effect_without_warnings() -> None:
    e = difference_in_means(np.zeros(10), np.repeat([0.0, 1.0], 5), groups=np.arange(10))
    assert (e.effect, e.se, e.ci_low, e.ci_high, e.p_value) == (0.0, 0.0, 0.0, 0.0, 1.0)

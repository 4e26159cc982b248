"""Scores (R-GRD-1, R-GRD-2, R-GRD-8 slot): each method adds ``score`` and ``contrib_*``.

Every method takes the feature table with an ``eligible`` column and returns it with the
score, its per-feature contributions (``contrib_<name>``; they sum to the score) and, for the
RFM methods, ``r_score``, ``f_score`` and ``m_score``. Windows (ranks, min/max) run over the
eligible customers only, so the ineligible never move anybody's score.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from tierwise.policy.presets import effective_weights
from tierwise.policy.schema import ModelScore, Policy, RfmFormula, RfmQuantile, Weighted

NEVER_ORDERED_DAYS = 1_000_000  # recency for a customer without orders: the worst R
SCORE_DECIMALS = 6  # 0.4*3 and 0.3*4 must be the same score, so ties stay ties


def rfm_names(policy: Policy) -> tuple[str, str, str]:
    """The (recency, frequency, monetary) features of an RFM score."""
    s = policy.score
    assert isinstance(s, RfmFormula | RfmQuantile)
    default_m = "gross_margin_lookback" if policy.monetary == "gross_margin" else "spend_365d"
    return s.recency, s.frequency, s.monetary or default_m


def score_features(policy: Policy) -> list[str]:
    """Features the score reads."""
    s = policy.score
    if isinstance(s, RfmFormula | RfmQuantile):
        return list(rfm_names(policy))
    if isinstance(s, Weighted):
        return list(effective_weights(s.preset, s.weights))
    return []


def add_score(t: ir.Table, policy: Policy, model: ir.Table | None = None) -> ir.Table:
    """``t`` with the policy's score, contributions and components."""
    s = policy.score
    if isinstance(s, RfmFormula):
        return _rfm_formula(t, s, rfm_names(policy))
    if isinstance(s, RfmQuantile):
        return _rfm_quantile(t, s, rfm_names(policy))
    if isinstance(s, Weighted):
        return _weighted(t, s)
    assert isinstance(s, ModelScore)
    if model is None:
        raise ValueError("a model score needs the model's table")
    return _model(t, s, model)


def _finish(t: ir.Table, contrib: dict[str, ir.NumericValue]) -> ir.Table:
    total = ibis.literal(0.0)
    for v in contrib.values():
        total = total + v
    return t.mutate(score=total.round(SCORE_DECIMALS), **contrib)


def _rfm_formula(t: ir.Table, s: RfmFormula, names: tuple[str, str, str]) -> ir.Table:
    rec = t[names[0]].fill_null(NEVER_ORDERED_DAYS)
    r = 5 - ibis.least((rec / s.recency_step_days).floor(), 4)
    f = ibis.least((t[names[1]] / s.frequency_step).floor(), 5)
    m = ibis.least((t[names[2]] / s.monetary_step).floor(), 5)
    t = t.mutate(r_score=r.cast("int64"), f_score=f.cast("int64"), m_score=m.cast("int64"))
    wr, wf, wm = s.weights
    return _finish(
        t,
        {
            f"contrib_{names[0]}": wr * t.r_score,
            f"contrib_{names[1]}": wf * t.f_score,
            f"contrib_{names[2]}": wm * t.m_score,
        },
    )


def _bin(x: ir.NumericValue, t: ir.Table, bins: int) -> ir.IntegerValue:
    """1..bins by rank among the eligible; ties share the bin of their lowest position."""
    pr = ibis.percent_rank().over(group_by=t.eligible, order_by=x)
    return ibis.least((pr * bins).floor() + 1, bins).cast("int64")


def _rfm_quantile(t: ir.Table, s: RfmQuantile, names: tuple[str, str, str]) -> ir.Table:
    rec = t[names[0]].fill_null(NEVER_ORDERED_DAYS)
    t = t.mutate(
        r_score=_bin(-rec, t, s.bins),
        f_score=_bin(t[names[1]].fill_null(0), t, s.bins),
        m_score=_bin(t[names[2]].fill_null(0), t, s.bins),
    )
    wsum = sum(s.weights) or 1.0
    wr, wf, wm = (w / wsum for w in s.weights)
    return _finish(
        t,
        {
            f"contrib_{names[0]}": wr * t.r_score,
            f"contrib_{names[1]}": wf * t.f_score,
            f"contrib_{names[2]}": wm * t.m_score,
        },
    )


def normalized(t: ir.Table, name: str, how: str) -> ir.NumericValue:
    """Feature ``name`` normalized among the eligible: minmax, zscore or none.

    (``percentile`` needs two passes of windows; :func:`_weighted` does it.)
    """
    x = t[name].cast("float64").fill_null(0)
    w = ibis.window(group_by=t.eligible)
    if how == "minmax":
        lo, hi = x.min().over(w), x.max().over(w)
        return ibis.ifelse(hi > lo, (x - lo) / (hi - lo), 0.0)
    if how == "zscore":
        mu, sd = x.mean().over(w), x.std().over(w)
        return ibis.ifelse(sd > 0, (x - mu) / sd, 0.0)
    return x


def _mid_rank(t: ir.Table, name: str) -> ir.NumericValue:
    """Position 0..n-1 among the eligible, a tied block taking the mean of its positions."""
    x = t[name].cast("float64").fill_null(0)
    n = t.count().over(ibis.window(group_by=t.eligible))
    pr = ibis.percent_rank().over(group_by=t.eligible, order_by=x)
    cd = ibis.cume_dist().over(group_by=t.eligible, order_by=x)
    return (pr * (n - 1) + cd * n - 1) / 2


def _weighted(t: ir.Table, s: Weighted) -> ir.Table:
    weights = effective_weights(s.preset, s.weights)
    if s.normalize != "percentile":
        contrib = {
            f"contrib_{n}": s.scale * w * normalized(t, n, s.normalize) for n, w in weights.items()
        }
        return _finish(t, contrib)
    # percentile: the mid-rank rescaled so the lowest value maps to 0 and the highest to 1;
    # a tied block sits at the mean of its positions (60 % repurchasing every month all get
    # 1.0 as the top block; the many customers with no complaint all get 0, no penalty)
    temp = [f"_mr_{n}" for n in weights]
    t = t.mutate(**{f"_mr_{n}": _mid_rank(t, n) for n in weights})
    w = ibis.window(group_by=t.eligible)
    lo_hi = {f"_lo_{n}": t[f"_mr_{n}"].min().over(w) for n in weights}
    lo_hi |= {f"_hi_{n}": t[f"_mr_{n}"].max().over(w) for n in weights}
    t = t.mutate(**lo_hi)
    temp += list(lo_hi)
    contrib = {}
    for n, wt in weights.items():
        mr, lo, hi = t[f"_mr_{n}"], t[f"_lo_{n}"], t[f"_hi_{n}"]
        contrib[f"contrib_{n}"] = s.scale * wt * ibis.ifelse(hi > lo, (mr - lo) / (hi - lo), 0.0)
    return _finish(t, contrib).drop(*temp)


def _model(t: ir.Table, s: ModelScore, model: ir.Table) -> ir.Table:
    m = model.select("entity_id", model_score=model[s.column].cast("float64"))
    j = t.left_join(m, "entity_id").drop("entity_id_right")
    j = j.mutate(eligible=j.eligible & j.model_score.notnull())
    return _finish(j, {"contrib_model_score": j.model_score.fill_null(0)}).drop("model_score")

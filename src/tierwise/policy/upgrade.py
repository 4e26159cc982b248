"""Upgrade paths (R-INT-3 升级进度), vectorized for every customer.

``next_tier`` is the tier above; ``gap_score`` the score still missing (percentile tiers:
against the stored cutoff of the next tier); ``need_<feature>`` how much of a feature the
customer needs to add (or shed, for an upper bound) to reach the next tier when that can be
said in the feature's own unit:

* threshold tiers: every ``feature op constant`` condition of the next tier;
* the RFM formula: the spend and the orders that lift M or F enough to close the gap, and
  ``order_now_reaches_next`` when one order today (R back to 5) is enough;
* weighted scores normalized linearly (minmax, none): the feature change worth the gap.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from tierwise.policy.parsed import rules_of
from tierwise.policy.presets import effective_weights
from tierwise.policy.schema import Policy, RfmFormula, Weighted
from tierwise.policy.scoring import rfm_names
from tierwise.policy.tiering import Cutoff


def add_upgrade(t: ir.Table, policy: Policy, cutoffs: Sequence[Cutoff]) -> ir.Table:
    """``t`` plus next_tier, gap_score and need_* columns."""
    levels = policy.tiers.levels
    codes = [lv.code for lv in levels]
    nxt = t.tier_rank - 1
    t = t.mutate(
        next_tier=ibis.cases(
            *[(nxt == i, c) for i, c in enumerate(codes)], else_=ibis.null("string")
        )
    )
    if policy.tiers.method == "threshold":
        return _threshold(t, policy)
    branches = [(nxt == c.tier_rank, c.min_score) for c in cutoffs if c.min_score is not None]
    # a run with nobody graded (a backfill date before the first order) has no cutoff at all
    cut = ibis.cases(*branches, else_=ibis.null("float64")) if branches else ibis.null("float64")
    t = t.mutate(gap_score=ibis.greatest(cut - t.score, 0.0).round(6))
    s = policy.score
    if isinstance(s, RfmFormula):
        return _rfm(t, s, rfm_names(policy))
    if isinstance(s, Weighted) and s.normalize in ("minmax", "none"):
        return _linear(t, s)
    return t


def _threshold(t: ir.Table, policy: Policy) -> ir.Table:
    needs: dict[str, list[tuple[int, ir.NumericValue]]] = {}
    for i, rules in enumerate(rules_of(policy).tiers[:-1]):
        for r in rules:
            for c in r.conditions():
                if not isinstance(c.value, int | float):
                    continue
                x = t[c.name]
                if c.op in (">=", ">"):
                    gap = ibis.greatest(c.value - x, 0)
                elif c.op in ("<=", "<"):
                    gap = ibis.greatest(x - c.value, 0)
                else:
                    continue
                needs.setdefault(c.name, []).append((i, gap))
    cols = {
        f"need_{name}": ibis.cases(
            *[(t.tier_rank - 1 == i, g) for i, g in gaps], else_=ibis.null("float64")
        ).cast("float64")
        for name, gaps in needs.items()
    }
    if "score" in needs:
        cols["gap_score"] = cols.pop("need_score")
    return t.mutate(**cols)


def _rfm(t: ir.Table, s: RfmFormula, names: tuple[str, str, str]) -> ir.Table:
    """Spend (M) or orders (F) that close the gap alone, if the capped point scale allows."""
    wr, wf, wm = s.weights
    out: dict[str, ir.Value] = {
        # one order today puts R back to 5 (and only adds to F and M)
        "order_now_reaches_next": (t.gap_score > 0) & (wr * (5 - t.r_score) >= t.gap_score - 1e-9)
    }
    for name, w, step, pts in (
        (names[2], wm, s.monetary_step, t.m_score),
        (names[1], wf, s.frequency_step, t.f_score),
    ):
        if w <= 0:
            continue
        k = (t.gap_score / w - 1e-9).ceil()  # whole points needed
        target = (pts + k) * step
        ok = (t.gap_score > 0) & (pts + k <= 5)
        out[f"need_{name}"] = ibis.ifelse(ok, target - t[name], ibis.null("float64")).cast(
            "float64"
        )
    return t.mutate(**out)


def _linear(t: ir.Table, s: Weighted) -> ir.Table:
    out: dict[str, ir.Value] = {}
    w_all = ibis.window(group_by=t.eligible)
    for name, w in effective_weights(s.preset, s.weights).items():
        if w <= 0:
            continue
        per_unit = s.scale * w
        if s.normalize == "minmax":
            x = t[name].cast("float64")
            per_unit = per_unit / (x.max().over(w_all) - x.min().over(w_all))
        out[f"need_{name}"] = ibis.ifelse(
            t.gap_score > 0, t.gap_score / per_unit, ibis.null("float64")
        )
    return t.mutate(**out)

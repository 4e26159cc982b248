"""Tiers (R-GRD-3, R-GRD-4): percentile among the eligible with shared ties, or thresholds.

``tier_rank`` is 0 for the top tier; ineligible customers get no tier and the status
``insufficient_data``. Cutoffs (the lowest score in each tier and above) are computed from
the tiered table and stored with the run, so a single customer can later be re-graded
against them without re-ranking everybody (:func:`tier_for_score`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ibis.expr.types as ir

from tierwise.policy.names import Stage
from tierwise.policy.parsed import rule
from tierwise.policy.schema import Level, Policy

GRADED, INSUFFICIENT = "graded", "insufficient_data"


def all_hold(
    t: ir.Table, level: Level, stage: Stage = "score", predictions: Sequence[str] = ()
) -> ir.BooleanValue:
    """Whether every rule of ``level`` holds (True for a level without rules)."""
    import ibis  # here, not at the top: `tierwise explain` reads cutoffs without Ibis

    out: ir.BooleanValue = ibis.literal(True)
    for text in level.rules:
        out = out & rule(text, stage, predictions).to_ibis(lambda n: t[n])
    return out


def first_match(
    t: ir.Table, levels: Sequence[Level], stage: Stage, predictions: Sequence[str] = ()
) -> ir.IntegerValue:
    """Index of the first level whose rules all hold; the last level otherwise."""
    import ibis

    cases = [(all_hold(t, lv, stage, predictions), i) for i, lv in enumerate(levels[:-1])]
    return ibis.cases(*cases, else_=len(levels) - 1) if cases else ibis.literal(0)


def add_tiers(t: ir.Table, policy: Policy) -> ir.Table:
    """``t`` (with ``score`` and ``eligible``) plus status, tier_rank, tier, pct_position."""
    import ibis

    levels = policy.tiers.levels
    if policy.tiers.method == "percentile":
        higher = ibis.rank().over(group_by=t.eligible, order_by=ibis.desc(t.score))
        n = t.count().over(group_by=t.eligible)
        t = t.mutate(pct_position=higher / n.cast("float64"))
        cases = [(t.pct_position < lv.top, i) for i, lv in enumerate(levels[:-1])]
        rank = ibis.cases(*cases, else_=len(levels) - 1)
    else:
        rank = first_match(t, levels, "score")
    t = t.mutate(
        status=ibis.ifelse(t.eligible, GRADED, INSUFFICIENT),
        tier_rank=ibis.ifelse(t.eligible, rank, ibis.null("int64")).cast("int64"),
    )
    return t.mutate(tier=_codes(t.tier_rank, [lv.code for lv in levels]))


def _codes(rank: ir.IntegerValue, codes: Sequence[str]) -> ir.StringValue:
    import ibis

    return ibis.cases(*[(rank == i, c) for i, c in enumerate(codes)], else_=ibis.null("string"))


@dataclass(frozen=True)
class Cutoff:
    """A tier's place in a run: the lowest score at or above it, and its size."""

    tier_rank: int
    tier: str
    top: float | None
    min_score: float | None  # lowest score in this tier or any higher one
    count: int


def cutoffs_expr(t: ir.Table) -> ir.Table:
    """Per tier: count and lowest score (of the graded customers)."""
    g = t.filter(t.eligible)
    return g.group_by("tier_rank").agg(count=g.count(), min_score=g.score.min())


def cutoffs_from_rows(rows: Sequence[dict[str, object]], policy: Policy) -> list[Cutoff]:
    """Cutoffs for every level, from :func:`cutoffs_expr`'s rows.

    Percentile tiers: ``min_score`` is the lowest score in the tier *or any above it* (the
    boundary a new score must reach). Threshold tiers: the lowest score in the tier itself
    (informative only: the rules, not the score, place a customer).
    """
    cumulative = policy.tiers.method == "percentile"
    by_rank = {int(r["tier_rank"]): r for r in rows}  # type: ignore[call-overload]
    out, running = [], None
    for i, lv in enumerate(policy.tiers.levels):
        row = by_rank.get(i)
        if row is not None and row["min_score"] is not None:
            m = float(row["min_score"])  # type: ignore[arg-type]
            running = m if running is None or not cumulative else min(running, m)
        elif not cumulative:
            running = None
        count = int(row["count"]) if row is not None else 0  # type: ignore[call-overload]
        out.append(Cutoff(i, lv.code, lv.top, running, count))
    return out


def tier_for_score(score: float, cutoffs: Sequence[Cutoff]) -> Cutoff:
    """The tier a score reaches against stored percentile cutoffs (real-time regrade)."""
    for c in cutoffs[:-1]:
        if c.min_score is not None and score >= c.min_score:
            return c
    return cutoffs[-1]


def share_warnings(cutoffs: Sequence[Cutoff], graded: int) -> list[dict[str, object]]:
    """Percentile tiers whose size is far from their target because scores tie.

    Ties share a tier, so a coarse score (the seed's RFM formula has few distinct values
    and saturates at 5) can put far more than 5 % in the top tier and leave the next empty.
    An operator must see that rather than trust the nominal shares.
    """
    out: list[dict[str, object]] = []
    prev = 0.0
    for c in cutoffs:
        if c.top is None or graded == 0:
            break
        target, actual = c.top - prev, c.count / graded
        prev = c.top
        if actual > 1.5 * target + 0.01 or actual < 0.5 * target - 0.01:
            out.append({"tier": c.tier, "target": round(target, 4), "actual": round(actual, 4)})
    return out

"""Reason codes (structured: a code and parameters) for one graded entity.

Built from the entity's row of a run's assignments and features, the policy and the cutoffs;
:func:`tierwise.explain.render.render` turns them into text. Codes:

``INSUFFICIENT_DATA`` (unmet eligibility conditions), ``TIER_BY_PERCENTILE``,
``TIER_BY_RULES``, ``TIER_FALLBACK``, ``CONTRIBUTION`` (one per scored feature),
``TOP_TIER``, ``UPGRADE_SCORE``, ``UPGRADE_ORDER_NOW``, ``UPGRADE_FEATURE`` (one per way
up), ``UPGRADE_RULE``
(a condition that cannot be said as an amount), ``LAYER``, ``SEGMENT``, ``TAG``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tierwise.policy.names import Stage
from tierwise.policy.parsed import rule
from tierwise.policy.schema import Level, Policy, RfmQuantile
from tierwise.policy.tiering import INSUFFICIENT, Cutoff

Row = Mapping[str, Any]


@dataclass(frozen=True)
class Reason:
    """One reason: a stable code and its parameters (JSON-able)."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)


def _num(v: Any) -> float | None:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return float(v)


def _unmet(rules: Sequence[str], row: Row, stage: Stage, tier: str | None) -> list[Reason]:
    """For each rule that fails on ``row``: the amounts missing, or the rule itself."""
    out: list[Reason] = []
    for text in rules:
        r = rule(text, stage)
        if r.evaluate(row):
            continue
        conds = r.conditions()
        said = False
        for c in conds:
            cur = _num(row.get(c.name))
            if isinstance(c.value, str) or c.op not in (">=", ">", "<=", "<"):
                continue
            if cur is not None and rule(f"{c.name} {c.op} {c.value!r}", stage).evaluate(row):
                continue
            more = c.op in (">=", ">")
            amount = None if cur is None else abs(float(c.value) - cur)
            out.append(
                Reason(
                    "UPGRADE_FEATURE",
                    {
                        "next_tier": tier,
                        "feature": c.name,
                        "current": cur,
                        "required": c.value,
                        "op": c.op,
                        "direction": "more" if more else "less",
                        "amount": amount,
                    },
                )
            )
            said = True
        if not said:
            out.append(Reason("UPGRADE_RULE", {"next_tier": tier, "rule": text}))
    return out


def explain(
    assignment: Row, features: Row, policy: Policy, cutoffs: Sequence[Cutoff]
) -> list[Reason]:
    """Every reason for one entity's grading, most important first."""
    row = {**features, **assignment}
    if assignment.get("status") == INSUFFICIENT:
        reasons = [Reason("INSUFFICIENT_DATA", {"rule": policy.eligibility.when})]
        return reasons + _unmet([policy.eligibility.when], row, "eligibility", None)
    levels = policy.tiers.levels
    rank = int(assignment["tier_rank"])
    tier = levels[rank].code
    out = [_placement(assignment, policy, rank, tier, row)]
    contribs = [
        (k.removeprefix("contrib_"), _num(v))
        for k, v in assignment.items()
        if k.startswith("contrib_")
    ]
    for name, points in sorted(contribs, key=lambda kv: -abs(kv[1] or 0)):
        out.append(
            Reason(
                "CONTRIBUTION",
                {"feature": name, "value": _num(features.get(name)), "points": points},
            )
        )
    if rank == 0:
        out.append(Reason("TOP_TIER", {"tier": tier}))
    else:
        out += _upgrade(assignment, policy, levels[rank - 1], row, cutoffs)
    out += _labels(assignment, policy)
    return out


def _placement(a: Row, policy: Policy, rank: int, tier: str, row: Row) -> Reason:
    level = policy.tiers.levels[rank]
    if policy.tiers.method == "percentile":
        return Reason(
            "TIER_BY_PERCENTILE",
            {
                "tier": tier,
                "score": _num(a.get("score")),
                "position": _num(a.get("pct_position")),
                "top": level.top,
            },
        )
    if level.rules:
        return Reason("TIER_BY_RULES", {"tier": tier, "rules": level.rules})
    return Reason("TIER_FALLBACK", {"tier": tier})


def _upgrade(
    a: Row, policy: Policy, nxt: Level, row: Row, cutoffs: Sequence[Cutoff]
) -> list[Reason]:
    out: list[Reason] = []
    if policy.tiers.method == "threshold":
        return _unmet(nxt.rules, row, "score", nxt.code)
    cut = next((c.min_score for c in cutoffs if c.tier == nxt.code), None)
    out.append(
        Reason(
            "UPGRADE_SCORE",
            {"next_tier": nxt.code, "points": _num(a.get("gap_score")), "cutoff": cut},
        )
    )
    if a.get("order_now_reaches_next"):
        out.append(Reason("UPGRADE_ORDER_NOW", {"next_tier": nxt.code}))
    for k, v in a.items():
        if not k.startswith("need_"):
            continue
        amount = _num(v)
        if amount is not None and amount > 0:
            name = k.removeprefix("need_")
            params = {"next_tier": nxt.code, "feature": name, "current": _num(row.get(name))}
            params |= {"direction": "more", "amount": amount}
            out.append(Reason("UPGRADE_FEATURE", params))
    return out


def _labels(a: Row, policy: Policy) -> list[Reason]:
    out: list[Reason] = []
    if isinstance(policy.score, RfmQuantile) and a.get("rfm_segment"):
        out.append(Reason("SEGMENT", {"kind": "rfm", "segment": a["rfm_segment"]}))
    for name in policy.layers:
        out.append(Reason("LAYER", {"layer": name, "level": a.get(f"layer_{name}")}))
    if policy.segments is not None and a.get("segment"):
        out.append(Reason("SEGMENT", {"kind": "business", "segment": a["segment"]}))
    for tag in policy.tags:
        if a.get(f"tag_{tag.code}"):
            out.append(Reason("TAG", {"tag": tag.code, "rule": tag.when}))
    return out

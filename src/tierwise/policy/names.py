"""Which names a rule may use at each stage of grading."""

from __future__ import annotations

from typing import Literal

from tierwise.features.catalog import FEATURES
from tierwise.policy.rules import Type

Stage = Literal["eligibility", "score", "labels"]

SCORE_NAMES: dict[str, Type] = {
    "score": "number",
    "r_score": "number",
    "f_score": "number",
    "m_score": "number",
}
TIER_NAMES: dict[str, Type] = {"tier": "text", "tier_rank": "number"}


def name_types(stage: Stage) -> dict[str, Type]:
    """Names known at ``stage``: features first, then the score, then the tier."""
    out: dict[str, Type] = {f.name: f.kind for f in FEATURES}
    if stage in ("score", "labels"):
        out.update(SCORE_NAMES)
    if stage == "labels":
        out.update(TIER_NAMES)
    return out

"""Which names a rule may use at each stage of grading."""

from __future__ import annotations

from collections.abc import Iterable
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
RESERVED = {"entity_id", "eligible", "status", "as_of", "run_id"}


def name_types(stage: Stage, predictions: Iterable[str] = ()) -> dict[str, Type]:
    """Names known at ``stage``: features first, then the score, then the tier.

    ``predictions`` (a policy's declared model columns, numbers) are known at the labels
    stage only: tags, layers and segments may read them; eligibility, score and tiers not.
    """
    out: dict[str, Type] = {f.name: f.kind for f in FEATURES}
    if stage in ("score", "labels"):
        out.update(SCORE_NAMES)
    if stage == "labels":
        out.update(TIER_NAMES)
        out.update(dict.fromkeys(predictions, "number"))
    return out

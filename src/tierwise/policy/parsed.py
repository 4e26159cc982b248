"""A policy's rule texts parsed once into typed rules (issue 16 item 4).

Every stage that reads a policy's rules (the validation in :mod:`tierwise.policy.check`, the
grading engine, upgrade paths, explanations, the real-time scorer, the retention flow, the
learned-weights proposal) takes them from here: :func:`rule` parses a text for a stage once
per process (the same text, stage and prediction columns give the same :class:`Rule`), and
:func:`rules_of` gives a validated policy's rules by where they sit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from tierwise.policy.names import Stage, name_types
from tierwise.policy.rules import Rule
from tierwise.policy.schema import Level, Policy, RfmQuantile

#: one level's rules (all must hold), per level, top first
Levels = tuple[tuple[Rule, ...], ...]


def rule(text: str, stage: Stage, predictions: Iterable[str] = ()) -> Rule:
    """``text`` parsed and checked against the names known at ``stage`` (with the policy's
    prediction columns at the labels stage); :class:`RuleError` when it is not a rule."""
    return _parse(text, stage, tuple(predictions) if stage == "labels" else ())


@lru_cache(maxsize=4096)
def _parse(text: str, stage: Stage, predictions: tuple[str, ...]) -> Rule:
    # a Rule is not changed after it is built: one object serves every caller
    return Rule(text, name_types(stage, predictions))


@dataclass(frozen=True)
class PolicyRules:
    """The rules of a validated policy, each parsed for its stage."""

    eligibility: Rule
    tiers: Levels  # score stage
    rfm_segments: Levels  # score stage (an RFM-quantile score's segments)
    layers: dict[str, Levels]  # labels stage
    segments: Levels  # labels stage (business segments; empty without)
    tags: dict[str, Rule]  # labels stage, by tag code

    def __iter__(self) -> Iterator[Rule]:
        yield self.eligibility
        for levels in (self.tiers, self.rfm_segments, *self.layers.values(), self.segments):
            for rules in levels:
                yield from rules
        yield from self.tags.values()

    @property
    def names(self) -> set[str]:
        """Every name the rules read (features, scores, tier, predictions)."""
        return {n for r in self for n in r.names}


def rules_of(policy: Policy) -> PolicyRules:
    """``policy``'s rules, parsed (once per text and stage: see :func:`rule`)."""
    preds = policy.prediction_columns

    def levels(of: Iterable[Level], stage: Stage) -> Levels:
        return tuple(tuple(rule(t, stage, preds) for t in lv.rules) for lv in of)

    return PolicyRules(
        eligibility=rule(policy.eligibility.when, "eligibility"),
        tiers=levels(policy.tiers.levels, "score"),
        rfm_segments=(
            levels(policy.score.segments, "score") if isinstance(policy.score, RfmQuantile) else ()
        ),
        layers={name: levels(layer.levels, "labels") for name, layer in policy.layers.items()},
        segments=levels(policy.segments.levels, "labels") if policy.segments else (),
        tags={t.code: rule(t.when, "labels", preds) for t in policy.tags},
    )

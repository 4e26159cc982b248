"""The grading engine: features → eligibility → score → tiers → labels, one Ibis expression.

Pure: it takes Ibis tables and returns Ibis tables; the run (:mod:`tierwise.grading.run`)
executes them, computes cutoffs, adds upgrade paths and writes the result.
"""

from __future__ import annotations

import ibis.expr.types as ir

from tierwise.features.catalog import CATALOG
from tierwise.policy.labels import add_labels
from tierwise.policy.parsed import rules_of
from tierwise.policy.schema import Policy
from tierwise.policy.scoring import add_score, score_features
from tierwise.policy.tiering import add_tiers


def required_features(policy: Policy) -> list[str]:
    """The features a policy reads (score, rules), in catalog order; plus account_id."""
    names = {"account_id", *score_features(policy), *rules_of(policy).names}
    return [n for n in CATALOG if n in names]


def grade_frame(
    features: ir.Table,
    policy: Policy,
    model: ir.Table | None = None,
    predictions: ir.Table | None = None,
) -> ir.Table:
    """Features plus eligible, score, contributions, status, tier and labels.

    Parameters
    ----------
    features:
        One row per entity with ``entity_id`` and at least :func:`required_features`.
    policy:
        A validated policy.
    model:
        For ``score.method: model``: a table with ``entity_id`` and the score column.
    predictions:
        For a policy with ``predictions``: one row per entity with ``entity_id`` and the
        declared columns (:func:`tierwise.policy.predictions.read_predictions`), left-joined
        so a customer without a prediction has nulls there.
    """
    if policy.predictions is not None:
        if predictions is None:
            raise ValueError("a policy with predictions needs the predictions table")
        cols = policy.prediction_columns
        p = predictions.select("entity_id", *cols)
        features = features.left_join(p, "entity_id").drop("entity_id_right")
    elig = rules_of(policy).eligibility
    t = features.mutate(eligible=elig.to_ibis(lambda n: features[n]))
    t = add_score(t, policy, model)
    t = add_tiers(t, policy)
    return add_labels(t, policy)

"""Layers (R-GRD-5), business segments (R-GRD-7), RFM segments and special tags (R-GRD-6).

Each is independent of the tier: a layer or segment is the first of its levels whose rules
hold (the last level otherwise); a tag is a boolean column ``tag_<code>``.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from tierwise.policy.names import Stage
from tierwise.policy.parsed import rules_of
from tierwise.policy.schema import Layer, Policy, RfmQuantile
from tierwise.policy.tiering import first_match


def _layer(
    t: ir.Table, layer: Layer, stage: Stage, predictions: tuple[str, ...] = ()
) -> ir.StringValue:
    idx = first_match(t, layer.levels, stage, predictions)
    codes = [lv.code for lv in layer.levels]
    return ibis.cases(*[(idx == i, c) for i, c in enumerate(codes)], else_=codes[-1])


def add_labels(t: ir.Table, policy: Policy) -> ir.Table:
    """``t`` (scored and tiered) plus rfm_segment, layer_<name>, segment and tag_<code>."""
    cols: dict[str, ir.Value] = {}
    if isinstance(policy.score, RfmQuantile) and policy.score.segments:
        seg = Layer(label={"zh": "RFM", "en": "RFM"}, levels=policy.score.segments)
        cols["rfm_segment"] = _layer(t, seg, "score")
    preds = policy.prediction_columns
    for name, layer in policy.layers.items():
        cols[f"layer_{name}"] = _layer(t, layer, "labels", preds)
    if policy.segments is not None:
        cols["segment"] = _layer(t, policy.segments, "labels", preds)
    for code, tag in rules_of(policy).tags.items():
        cols[f"tag_{code}"] = tag.to_ibis(lambda n: t[n])
    return t.mutate(**cols)

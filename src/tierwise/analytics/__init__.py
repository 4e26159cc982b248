"""Evaluation of published runs (R-ANA-4, R-ANA-6, R-ANA-8): per-tier metrics, the effect of
tier changes (difference-in-differences) and the periodic HTML report.

Every number is computed by the feature builders (:func:`tierwise.features.build.build_features`)
on the lake through Ibis (DuckDB by default), so a metric means what the feature catalog says.
"""

"""Per-customer features as of a date (R-FEA-1..8), written once as Ibis expressions."""

from tierwise.features.build import build_features, groups_for
from tierwise.features.catalog import CATALOG, FEATURES, Feature

__all__ = ["CATALOG", "FEATURES", "Feature", "build_features", "groups_for"]

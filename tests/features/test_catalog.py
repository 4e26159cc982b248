"""The feature catalog is complete, documented, and docs/features.md is in sync."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from tierwise.features.build import build_features
from tierwise.features.catalog import CATALOG
from tierwise.features.docs import render_features
from tierwise.features.sources import all_tables, connect, open_lake


def test_docs_features_md_is_in_sync(repo_root: Path) -> None:
    text = (repo_root / "docs" / "features.md").read_text(encoding="utf-8")
    assert text == render_features(), (
        "regenerate: uv run python -m tierwise.features.docs > docs/features.md"
    )


def test_every_catalog_feature_is_computed_and_nothing_else(
    outlet_rows: dict[str, dict[str, Any]],
) -> None:
    assert list(outlet_rows["c1"]) == ["entity_id", *CATALOG]


def test_requesting_a_subset_computes_only_that(tiny_lake: Path) -> None:
    con = connect()
    tables = open_lake(con, tiny_lake, all_tables())
    expr = build_features(tables, dt.date(2025, 6, 30), names=["orders_365d", "legal_disputes"])
    assert list(expr.columns) == ["entity_id", "orders_365d", "legal_disputes"]

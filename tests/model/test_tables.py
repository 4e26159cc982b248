"""The canonical model is declared once and documented from the declaration (R-DAT-1)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from tierwise.errors import UsageError
from tierwise.model import TABLES, table
from tierwise.model.arrow import MONEY, arrow_schema
from tierwise.model.docs import render_data_model


def test_docs_data_model_is_in_sync(repo_root: Path) -> None:
    doc = (repo_root / "docs" / "data-model.md").read_text(encoding="utf-8")
    assert doc == render_data_model(), "run `uv run tierwise docs` to regenerate docs/data-model.md"


def test_every_grain_and_reference_names_real_columns() -> None:
    for t in TABLES.values():
        for g in t.grain:
            assert g in t.names, (t.name, g)
        for c in t.columns:
            if c.references:
                ref_table, ref_col = c.references.split(".")
                assert ref_col in TABLES[ref_table].names, (t.name, c.name)
        if t.event_time:
            assert t.column(t.event_time).type in ("date", "timestamp")


def test_personal_data_is_marked() -> None:
    assert set(TABLES["customers"].personal) == {"address", "contact_name", "phone"}


def test_money_is_decimal_in_arrow() -> None:
    schema = arrow_schema(table("orders"))
    assert schema.field("amount").type == MONEY
    assert schema.field("order_time").type == pa.timestamp("us")


def test_unknown_names_give_a_clear_error() -> None:
    with pytest.raises(UsageError, match="tables are: regions"):
        table("orderz")
    with pytest.raises(UsageError, match="columns are: order_id"):
        table("orders").column("amout")

"""Grade feature rows given directly (no lake): the policy engine alone, on DuckDB."""

from __future__ import annotations

from typing import Any

import ibis
import pyarrow as pa

from tierwise.features.catalog import CATALOG
from tierwise.policy.engine import grade_frame, required_features
from tierwise.policy.schema import Policy
from tierwise.policy.tiering import Cutoff, cutoffs_expr, cutoffs_from_rows
from tierwise.policy.upgrade import add_upgrade


def feature_table(rows: list[dict[str, Any]], policy: Policy) -> pa.Table:
    """Rows with every feature the policy reads (missing numbers 0, missing text null)."""
    names = required_features(policy)
    fields = [pa.field("entity_id", pa.string())]
    for n in names:
        kind = CATALOG[n].kind
        fields.append(pa.field(n, pa.string() if kind == "text" else pa.float64()))
    schema = pa.schema(fields)
    full = []
    for r in rows:
        row = {f.name: r.get(f.name, None if f.type == pa.string() else 0.0) for f in schema}
        full.append(row)
    return pa.Table.from_pylist(full, schema=schema)


def grade_rows(
    rows: list[dict[str, Any]], policy: Policy
) -> tuple[dict[str, dict[str, Any]], list[Cutoff]]:
    """Assignments by entity id, and the cutoffs, for feature rows under ``policy``."""
    con = ibis.duckdb.connect()
    t = ibis.memtable(feature_table(rows, policy))
    graded = con.create_table("graded", grade_frame(t, policy), temp=True)
    cutoffs = cutoffs_from_rows(con.to_pyarrow(cutoffs_expr(graded)).to_pylist(), policy)
    out = con.to_pyarrow(add_upgrade(graded, policy, cutoffs)).to_pylist()
    return {r["entity_id"]: r for r in out}, cutoffs

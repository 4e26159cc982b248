"""Invariant: every input row ends in the lake or in quarantine, and the counts add up (R-DAT-4)."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from helpers_ingest import load_one
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

HEAD = ["订单编号", "客户编号", "下单时间", "下单渠道", "订单金额"]

cell = st.one_of(
    st.sampled_from(
        [
            "",
            "O1",
            "C1",
            "2025-03-05 14:03",
            "2025年3月5日",
            "2099-01-01",
            "online",
            "线下",
            "web",
            "¥1,234.5",
            "-3",
            "12元",
            "１２",
            "1e99",
            "abc",
            "\u3000",
        ]
    ),
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x00"),
        max_size=6,
    ),
)
row = st.lists(cell, min_size=3, max_size=7)  # wrong field counts included


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(row, min_size=1, max_size=25))
def test_every_row_lands_in_lake_or_quarantine(rows: list[list[str]]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HEAD)
    w.writerows(rows)
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "orders.csv"
        f.write_text(buf.getvalue(), encoding="utf-8")
        landed = load_one(Path(d) / "home", f)
    # Blank lines are rows too (a row of one empty field is malformed or missing its id).
    assert landed.result.rows_in == len(rows)
    q_rows = landed.quarantine.column("row").to_pylist()
    assert len(set(q_rows)) == len(q_rows)
    assert all(r is not None and 2 <= r <= len(rows) + 1 for r in q_rows)
    assert landed.lake.num_rows + len(q_rows) == len(rows)

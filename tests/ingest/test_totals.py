"""Total rows at the end of an export are skipped with a note, not loaded or quarantined
(issue 19 tests, R-DAT-2, R-DAT-4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tierwise.ingest.readers import open_source
from tierwise.ingest.totals import is_total_row, trailing_total_lines, without_trailing_totals


@pytest.mark.parametrize(
    ("cells", "total"),
    [
        (["合计", None, "300"], True),
        ([None, " 总计： ", "300"], True),  # the first filled cell, full-width colon
        (["本页合计", ""], True),
        (["Grand Total", "1"], True),
        (["TOTAL:", "1"], True),
        (["合计金额", "1"], False),  # a header, not a total
        (["K01", "合计"], False),  # a record whose second cell happens to say so
        ([None, None], False),
    ],
)
def test_a_total_row_is_one_whose_first_filled_cell_is_a_total_word(
    cells: list[object], total: bool
) -> None:
    assert is_total_row(cells) is total


def test_only_the_totals_a_file_ends_with_are_left_out(tmp_path: Path) -> None:
    f = tmp_path / "o.csv"
    rows = [f"O{i},C{i % 7},2025-01-01,{i}.00\n" for i in range(5000)]  # > 64 KB
    f.write_text(
        "order_id,customer_id,order_time,amount\n"
        + "".join(rows[:2500])
        + "小计,,,1\n"  # a subtotal in the middle is a row like any other
        + "".join(rows[2500:])
        + "\n,,,\n合计,,,12497500.00\n",
        encoding="utf-8",
    )
    stop, notes = trailing_total_lines(f, "utf-8", ",")
    assert stop == 5003  # header, 5000 records and the subtotal; then an empty line, ,,,
    assert notes == [
        "row 5004 is blank, before the total row: skipped",
        "row 5005 is a total row ('合计') at the end of the file: skipped, not a record",
    ]
    src = open_source(f)
    ids = [v for b in src.batches for v in b.data.column(0).to_pylist()]
    assert len(ids) == 5001 and "小计" in ids and "合计" not in ids
    assert src.notes == notes


def test_a_file_without_totals_is_read_whole(tmp_path: Path) -> None:
    f = tmp_path / "o.csv"
    f.write_text("a,b\n1,2\n,\n", encoding="utf-8")
    assert trailing_total_lines(f, "utf-8", ",") == (None, [])
    assert open_source(f).csv_path == f  # the fast whole-file path stays available


def test_sheet_rows_lose_their_trailing_totals_with_a_note() -> None:
    notes: list[str] = []
    rows = [["a", 1], [None, None], ["合计", 1], [None, None]]
    assert list(without_trailing_totals(iter(rows), 2, notes)) == [["a", 1]]
    assert notes == [
        "row 3 is blank, before the total row: skipped",
        "row 4 is a total row ('合计') at the end of the file: skipped, not a record",
        "row 5 is blank, before the total row: skipped",
    ]
    kept: list[str] = []
    assert list(without_trailing_totals(iter([["a"], [None]]), 2, kept)) == [["a"], [None]]
    assert kept == []

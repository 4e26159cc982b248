"""The shortcuts of the validation query give what the plain expressions give (R-DAT-2)."""

from __future__ import annotations

from pathlib import Path

import duckdb
from helpers_ingest import load_one

from tierwise.ingest.validate import DATE_FORMATS, _strptime_any, lit

TEXTS = [
    "2025-03-05 14:03",
    "2025-03-05",
    "2025/3/5 14:03",
    "2025/03/05 14:03:09",
    "2025/3/5",
    "2025年3月5日 14:03",
    "2025年3月5日14:03",
    "2025年3月5日 14:03:09",
    "2025年3月5日",
    "2025-03-05T14:03:00",
    "2025-03-05 14:03:00.250",
    "2025.3.5",
    "20250305",
    "2025年3/5",
    "2025/3-5",
    "昨天",
    "2025-02-30",
    "",
]


def test_date_formats_tried_by_family_parse_like_the_whole_list() -> None:
    con = duckdb.connect()
    whole = "[" + ", ".join(lit(f) for f in DATE_FORMATS[1:]) + "]"
    got = con.execute(
        f"SELECT x, try_strptime(x, {whole}) AS a, {_strptime_any('x')} AS b FROM unnest(?) t(x)",
        [TEXTS],
    ).fetchall()
    assert [(x, a) for x, a, _ in got] == [(x, b) for x, _, b in got]
    assert sum(a is not None for _, a, _ in got) == 13  # the test covers every format


def test_integers_are_digits_only(tmp_path: Path) -> None:
    lines = tmp_path / "order_lines.csv"
    lines.write_text(
        "订单编号,行号,商品编码,品类,数量,单价,金额,成本\n"
        + "".join(
            f"O1,{n},SKU{i},火锅食材,2,45,90,60\n"
            for i, n in enumerate(["1", "007", "1.5", "0x10", "1_000", "2.0", "+3"])
        ),
        encoding="utf-8",
    )
    landed = load_one(tmp_path / "home", lines)
    assert landed.lake.column("line_no").to_pylist() == [1, 7, 3]
    bad = {r["value"]: r["reason"] for r in landed.quarantine.to_pylist()}
    assert set(bad) == {"1.5", "0x10", "1_000", "2.0"}
    assert all("line_no: not an integer" in r for r in bad.values())

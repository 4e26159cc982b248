"""The shortcuts of the validation query give what the plain expressions give (R-DAT-2)."""

from __future__ import annotations

import duckdb

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
        f"SELECT x, try_strptime(x, {whole}) AS a, {_strptime_any('x')} AS b "
        "FROM unnest(?) t(x)",
        [TEXTS],
    ).fetchall()
    assert [(x, a) for x, a, _ in got] == [(x, b) for x, _, b in got]
    assert sum(a is not None for _, a, _ in got) == 13  # the test covers every format

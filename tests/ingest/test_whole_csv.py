"""CSV files read whole by DuckDB's parallel reader give what the streaming reader gives (R-DAT-2).

The loader tries DuckDB's strict reader first and streams the file only when DuckDB refuses
it; both ways must land the same rows with the same row numbers and reasons.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from helpers_ingest import Landed, load_one

import tierwise.ingest.load as load

HEAD = "订单编号,客户编号,下单时间,下单渠道,订单金额\n"
TRICKY = [
    'O1,C1,2025-03-05 14:03:00,online,"¥1,234.50"',
    '"O2","C 1",2025/3/5 14:03,online,1234.5元',
    'O3,"客户\n换行",2025年3月5日 14:03,线上,１２３．５',  # a quoted newline: one row
    "O4,C1,昨天,online,10",
    " O5 ,C1,2025-03-05 08:00:00,online,10",
    "O6,C1,2025-03-05 08:00:00,web,10",
    'O7,"He said ""hi""",2025-03-05 08:00:00,online,',
    "O8,C1,2025-03-05 08:00:00,online,-3",
    "O9,C1,2025-03-05 08:00:00,online,12.5",
]


def _landed_both_ways(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: bytes
) -> tuple[Landed, Landed]:
    f = tmp_path / "orders.csv"
    f.write_bytes(body)
    whole = load_one(tmp_path / "whole", f)
    monkeypatch.setattr(load, "WHOLE_CSV", False)
    streamed = load_one(tmp_path / "streamed", f)
    return whole, streamed


def _same(a: pa.Table, b: pa.Table, keys: list[str]) -> None:
    drop = [c for c in ("load_id", "source") if c in a.column_names]
    a, b = a.drop_columns(drop), b.drop_columns(drop)
    assert (
        a.sort_by([(k, "ascending") for k in keys]).to_pylist()
        == b.sort_by([(k, "ascending") for k in keys]).to_pylist()
    )


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_whole_file_and_stream_land_the_same_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, encoding: str
) -> None:
    body = (HEAD + "\n".join(TRICKY) + "\n").encode(encoding)
    whole, streamed = _landed_both_ways(tmp_path, monkeypatch, body)
    _same(whole.lake, streamed.lake, ["order_id"])
    _same(whole.quarantine, streamed.quarantine, ["row"])
    assert whole.result.problems == streamed.result.problems
    q = {r["row"]: r for r in whole.quarantine.to_pylist()}
    # Row numbers count records (header = 1): the quoted newline of O3 is inside row 4.
    assert sorted(q) == [5, 7, 8, 9]
    assert q[5]["value"] == "昨天"
    assert q[7]["column"] == "channel"
    assert "amount: missing value" in q[8]["reason"]
    assert "negative value" in q[9]["reason"]
    assert sorted(whole.lake.column("order_id").to_pylist()) == ["O1", "O2", "O3", "O5", "O9"]


def test_a_clean_csv_does_not_take_the_streaming_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("streamed a file DuckDB can read whole")

    monkeypatch.setattr(load, "_stage_stream", refuse)
    for enc in ("utf-8", "gb18030"):
        (tmp_path / enc).mkdir()
        f = tmp_path / enc / "orders.csv"
        f.write_bytes((HEAD + "\n".join(TRICKY) + "\n").encode(enc))
        landed = load_one(tmp_path / enc / "home", f)
        assert landed.result.rows_in == len(TRICKY)


def test_a_file_duckdb_refuses_is_streamed_with_its_malformed_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = load._stage_stream

    def spy(*a: object, **k: object) -> None:
        calls.append("stream")
        real(*a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(load, "_stage_stream", spy)
    body = (HEAD + "O1,C1,2025-03-05,online,1\nO2,C1\n\nO3,C1,2025-03-05,online,1\n").encode()
    f = tmp_path / "orders.csv"
    f.write_bytes(body)
    landed = load_one(tmp_path / "home", f)
    assert calls == ["stream"]
    assert landed.lake.column("order_id").to_pylist() == ["O1", "O3"]
    assert landed.quarantine.column("row").to_pylist() == [3]


def test_row_numbers_stay_exact_when_duckdb_reads_in_parallel(tmp_path: Path) -> None:
    # ~30 MB: several parallel read buffers; a bad value every 99 991 rows.
    f = tmp_path / "orders.csv"
    n = 600_000
    with open(f, "w", encoding="utf-8") as fh:
        fh.write(HEAD)
        for i in range(n):
            amount = "约十元" if i % 99_991 == 17 else f"{i % 500}.50"
            fh.write(f"O{i:09d},C{i % 97:05d},2025-03-05 14:03:00,online,{amount}\n")
    landed = load_one(tmp_path / "home", f)
    q = landed.quarantine.to_pylist()
    expected = [i for i in range(n) if i % 99_991 == 17]
    assert [r["row"] for r in q] == [i + 2 for i in expected]
    assert [r["key"] for r in q] == [f"O{i:09d}" for i in expected]
    assert landed.lake.num_rows == n - len(expected)

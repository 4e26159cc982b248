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
import tierwise.ingest.whole_csv as whole_csv

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

    monkeypatch.setattr(load, "stage_stream", refuse)
    for enc in ("utf-8", "gb18030"):
        (tmp_path / enc).mkdir()
        f = tmp_path / enc / "orders.csv"
        f.write_bytes((HEAD + "\n".join(TRICKY) + "\n").encode(enc))
        landed = load_one(tmp_path / enc / "home", f)
        assert landed.result.rows_in == len(TRICKY)


def _no_streaming(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("streamed a file DuckDB can read whole")

    monkeypatch.setattr(load, "stage_stream", refuse)


GOOD = "O{n},C1,2025-03-05 08:00:00,online,{n}"
# Lines DuckDB's strict reader rejects, each between good lines: (line, encodings it is for).
MALFORMED = {
    "too few fields": "O90,C1",
    "too many fields": "O91,C1,2025-03-05 08:00:00,online,1,extra,more",
    "one field": "just text",
    "empty fields only": ",,,",
    "trailing empty fields": "O92,C1,2025-03-05 08:00:00,online,5,,",  # read as 5 fields
    "quoted newline and too many": 'O93,"a\nb",2025-03-05 08:00:00,online,1,x',
}


def _body(lines: list[str], newline: str = "\n") -> str:
    return HEAD.replace("\n", newline) + newline.join(lines) + newline


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_malformed_lines_are_taken_from_duckdbs_rejects_not_streamed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, encoding: str, newline: str
) -> None:
    lines = [TRICKY[2]]  # a quoted newline first: records, not physical lines, are counted
    expected_bad = []
    for k, bad in enumerate(MALFORMED.values()):
        lines.append(GOOD.format(n=k))
        lines.append(bad)
        expected_bad.append(len(lines) + 1)
    lines += TRICKY
    body = _body(lines, newline).encode(encoding)
    f = tmp_path / "orders.csv"
    f.write_bytes(body)
    _no_streaming(monkeypatch)
    whole = load_one(tmp_path / "whole", f)
    monkeypatch.undo()
    monkeypatch.setattr(load, "WHOLE_CSV", False)
    streamed = load_one(tmp_path / "streamed", f)
    _same(whole.lake, streamed.lake, ["order_id"])
    _same(whole.quarantine, streamed.quarantine, ["row"])
    assert whole.result.problems == streamed.result.problems
    q = {r["row"]: r for r in whole.quarantine.to_pylist()}
    stray = expected_bad[4]
    assert stray not in q  # DuckDB reads it as its first five fields; so does the stream
    assert "O92" in whole.lake.column("order_id").to_pylist()
    for row in [r for r in expected_bad if r != stray]:
        assert q[row]["reason"].startswith("line has "), q[row]
    assert q[expected_bad[0]]["reason"] == "line has 2 fields, the header has 5"
    assert q[expected_bad[0]]["raw"] == "O90,C1"
    assert q[expected_bad[1]]["reason"] == "line has 7 fields, the header has 5"
    assert q[expected_bad[5]]["raw"] == 'O93,"a\nb",2025-03-05 08:00:00,online,1,x'
    # TRICKY's rows after the malformed ones keep their numbers: 昨天 is its 4th line.
    tricky_start = len(lines) - len(TRICKY) + 2
    assert q[tricky_start + 3]["value"] == "昨天"


def test_an_unterminated_quote_is_streamed_and_runs_to_the_end_of_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # DuckDB's reject of a stray quote can name the record before it: such files are streamed.
    calls: list[str] = []
    real = load.stage_stream

    def spy(*a: object, **k: object) -> None:
        calls.append("stream")
        real(*a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(load, "stage_stream", spy)
    body = _body([GOOD.format(n=1), 'O2,"C1,x,y,1', GOOD.format(n=3)]).encode()
    f = tmp_path / "orders.csv"
    f.write_bytes(body)
    landed = load_one(tmp_path / "home", f)
    assert calls == ["stream"]
    (bad,) = landed.quarantine.to_pylist()
    assert bad["row"] == 3
    assert bad["reason"] == "line has 2 fields, the header has 5 (a quote is never closed)"
    assert bad["raw"] == 'O2,"C1,x,y,1\n' + GOOD.format(n=3)
    assert landed.lake.column("order_id").to_pylist() == ["O1"]


def test_invalid_utf8_is_quarantined_as_undecodable_without_streaming(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [GOOD.format(n=1).encode(), b"O2,C\xe4\xb8,2025-03-05 08:00:00,online,2"]
    lines += [b"O3,\xff\xfe,2025-03-05 08:00:00,online,3", GOOD.format(n=4).encode()]
    f = tmp_path / "orders.csv"
    f.write_bytes(HEAD.encode() + b"\n".join(lines) + b"\n")
    _no_streaming(monkeypatch)
    whole = load_one(tmp_path / "whole", f)
    monkeypatch.undo()
    monkeypatch.setattr(load, "WHOLE_CSV", False)
    streamed = load_one(tmp_path / "streamed", f)
    _same(whole.lake, streamed.lake, ["order_id"])
    _same(whole.quarantine, streamed.quarantine, ["row"])
    assert whole.result.problems == streamed.result.problems
    q = {r["row"]: r for r in whole.quarantine.to_pylist()}
    assert sorted(q) == [3, 4]
    assert all("undecodable bytes" in r["reason"] for r in q.values())
    assert q[3]["key"] == "O2"
    assert whole.lake.column("order_id").to_pylist() == ["O1", "O4"]


@pytest.mark.parametrize(
    ("lines", "loaded", "quarantined"),
    [
        # DuckDB counts the blank line in its reject line numbers; the streaming reader not
        ([GOOD.format(n=1), "", "O2,C1", GOOD.format(n=3)], ["O1", "O3"], [3]),
        # a line over DuckDB's 2 MB line limit (its amount is absurd), then a short line
        (
            [GOOD.format(n=1), "O2,C1,2025-03-05 08:00:00,online," + "9" * 2_100_000, "O3,C1"],
            ["O1"],
            [3, 4],
        ),
    ],
    ids=["blank line before a malformed one", "line over 2 MB"],
)
def test_what_duckdb_cannot_take_over_is_still_streamed(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    lines: list[str],
    loaded: list[str],
    quarantined: list[int],
) -> None:
    calls: list[str] = []
    real = load.stage_stream

    def spy(*a: object, **k: object) -> None:
        calls.append("stream")
        real(*a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(load, "stage_stream", spy)
    f = tmp_path / "orders.csv"
    f.write_text(_body(lines), encoding="utf-8")
    landed = load_one(tmp_path / "home", f)
    assert calls == ["stream"]
    assert landed.lake.column("order_id").to_pylist() == loaded
    assert sorted(landed.quarantine.column("row").to_pylist()) == quarantined


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


def test_row_numbers_stay_exact_with_rejected_lines_in_parallel_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ~30 MB: several parallel read buffers; quoted newlines throughout, a bad value every
    # 99 991 rows and a malformed line (three kinds, taken in turn) every 47 711 rows.
    f = tmp_path / "orders.csv"
    n = 600_000
    kinds = [b"O%d,C1", b"O%d,C1,2025-03-05 14:03:00,online,1,2", b"O%d,C\xff,x,online,1"]
    bad_value, malformed, invalid_utf8 = [], [], []
    with open(f, "wb") as fh:
        fh.write(HEAD.encode())
        row = 2
        for i in range(n):
            if i % 47_711 == 5:
                k = (i // 47_711) % 3
                fh.write(kinds[k] % i + b"\n")
                (invalid_utf8 if k == 2 else malformed).append(row)
            else:
                amount = "约十元" if i % 99_991 == 17 else f"{i % 500}.50"
                customer = f'"C\n{i % 97}"' if i % 1000 == 3 else f"C{i % 97:05d}"
                fh.write(f"O{i:09d},{customer},2025-03-05 14:03:00,online,{amount}\n".encode())
                if i % 99_991 == 17:
                    bad_value.append(row)
            row += 1
    _no_streaming(monkeypatch)
    landed = load_one(tmp_path / "home", f)
    q = {r["row"]: r for r in landed.quarantine.to_pylist()}
    assert sorted(q) == sorted(bad_value + malformed + invalid_utf8)
    assert all(q[r]["value"] == "约十元" for r in bad_value)
    assert all(q[r]["key"] == f"O{r - 2:09d}" for r in bad_value)
    assert all(q[r]["raw"].startswith(f"O{r - 2},C1") for r in malformed)
    assert all("undecodable" in q[r]["reason"] for r in invalid_utf8)
    assert landed.lake.num_rows == n - len(q)


def test_row_numbers_stay_exact_with_references_in_parallel_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Order lines checked against their orders (the check used to be a join in the first
    # pass, and DuckDB does not keep the file order through a join: rows were misnumbered).
    orders = tmp_path / "orders.csv"
    n_orders = 60_000
    orders.write_text(
        HEAD
        + "".join(f"O{i:07d},C1,2025-03-05 08:00:00,online,10\n" for i in range(n_orders))
        + "O9999998,C1,昨天,online,10\n",  # quarantined: its lines are not orphans
        encoding="utf-8",
    )
    lines = tmp_path / "order_lines.csv"
    n = 300_000
    expect: dict[int, str] = {}
    with open(lines, "w", encoding="utf-8") as fh:
        fh.write("订单编号,行号,商品编码,品类,数量,单价,金额,成本\n")
        for i in range(n):
            order, amount, category = f"O{i // 5:07d}", "90", "火锅食材"
            if i % 40_009 == 11:
                order, expect[i + 2] = "O9999999", "orphan: no orders row"
            elif i % 40_009 == 21:
                order, expect[i + 2] = "O9999998", "its orders row is in quarantine"
            elif i % 40_009 == 31:
                amount, expect[i + 2] = "约1200", "amount: not an amount"
            elif i % 40_009 == 37:
                category, expect[i + 2] = "鞋子", "category: not one of"
            fh.write(f"{order},{i % 5 + 1},SKU1,{category},2,45,{amount},60\n")
            if i % 100_003 == 50:
                fh.write(f"{order},1\n")  # malformed
    # rows shift by one after each malformed line
    malformed_rows = []
    shifted: dict[int, str] = {}
    extra = 0
    for i in range(n):
        if i + 2 in expect:
            shifted[i + 2 + extra] = expect[i + 2]
        if i % 100_003 == 50:
            extra += 1
            malformed_rows.append(i + 2 + extra)
    _no_streaming(monkeypatch)
    home = tmp_path / "home"
    load_one(home, orders)
    landed = load_one(home, lines)
    q = {r["row"]: r for r in landed.quarantine.to_pylist()}
    assert sorted(q) == sorted([*shifted, *malformed_rows])
    for row, reason in shifted.items():
        assert reason in q[row]["reason"], (row, q[row])
    assert landed.lake.num_rows == n - len(shifted)


def test_streamed_row_numbers_when_the_parser_reports_skipped_rows_ahead(tmp_path: Path) -> None:
    # pyarrow's reader parses ahead, so the malformed lines of the next block can be
    # reported before this block arrives; each must be counted in its own block.
    from tierwise.ingest.readers import read_csv

    f = tmp_path / "orders.csv"
    bad_rows, rows = [], []
    with open(f, "w", encoding="utf-8") as fh:
        fh.write(HEAD)
        for i in range(40_000):
            if i % 997 == 3:
                fh.write(f"O{i},C1\n")
                bad_rows.append(i + 2)
            else:
                fh.write(f"O{i},C1,2025-03-05 08:00:00,online,{i}\n")
                rows.append(i + 2)
    got_rows: list[int] = []
    got_bad: list[int | None] = []
    ids: list[str] = []
    for b in read_csv(f, block_bytes=1 << 16).batches:
        assert len(b.rows) == b.data.num_rows
        got_rows += b.rows.to_pylist()
        ids += b.data.column(0).to_pylist()
        got_bad += [m.row for m in b.malformed]
    assert got_rows == rows
    assert ids == [f"O{r - 2}" for r in rows]
    assert sorted(r for r in got_bad if r is not None) == bad_rows


def test_the_whole_file_read_reports_progress_while_it_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tierwise.ingest.mapping import default_mapping
    from tierwise.ingest.run import ingest

    f = tmp_path / "orders.csv"
    n = 1_500_000
    with open(f, "w", encoding="utf-8") as fh:
        fh.write(HEAD)
        fh.writelines(f"O{i:09d},C{i % 97:05d},2025-03-05 14:03:00,online,1.50\n" for i in range(n))
    monkeypatch.setattr(whole_csv, "PROGRESS_SECONDS", 0.05)
    _no_streaming(monkeypatch)
    seen: list[int] = []
    home = tmp_path / "home"
    ingest(
        f,
        default_mapping(),
        raw=home / "raw",
        home=home,
        now=load_one.__globals__["NOW"],
        progress=lambda _label, _size: seen.append,
    )
    assert seen[-1] == n
    during = seen[:-1]
    assert during, "no progress reported before the end"
    assert during == sorted(during) and 0 < during[0] < n

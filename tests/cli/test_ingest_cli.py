"""``tierwise ingest`` on the command line: the memory cap reaches DuckDB; a bad cap is one line."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import tierwise.ingest.load as load
from tierwise.cli.main import run
from tierwise.settings import get_settings

CSV = "订单编号,客户编号,下单时间,下单渠道,订单金额\nO1,C1,2025-03-05 14:03:00,online,12.50\n"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("TIERWISE_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    yield tmp_path / "home"
    get_settings.cache_clear()


def _cli(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["tierwise", *args])
    try:
        run()
    except SystemExit as e:
        return int(e.code or 0)
    return 0


def test_memory_limit_reaches_duckdb(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    real_connect = load.duckdb.connect

    class Spy:
        """DuckDB's connection, recording the memory_limit it ends up with."""

        def __init__(self) -> None:
            self.con = real_connect()

        def __getattr__(self, name: str) -> object:
            return getattr(self.con, name)

        def close(self) -> None:
            seen.append(str(self.con.execute("SELECT current_setting('memory_limit')").fetchone()))
            self.con.close()

    monkeypatch.setattr(load.duckdb, "connect", Spy)
    f = tmp_path / "orders.csv"
    f.write_text(CSV, encoding="utf-8")
    code = _cli(
        monkeypatch,
        "ingest",
        str(f),
        "--table",
        "orders",
        "--now",
        "2026-01-01T00:00:00",
        "--memory-limit",
        "64MB",
    )
    assert code == 0
    assert len(seen) == 1 and "61.0 MiB" in seen[0]  # DuckDB shows 64 MB in MiB
    assert pq.read_table(home / "raw" / "orders" / "orders.csv.parquet").num_rows == 1


@pytest.mark.parametrize("bad", ["lots", "12 parsecs", "-1GB"])
def test_a_bad_memory_limit_is_one_clear_line(
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    bad: str,
) -> None:
    f = tmp_path / "orders.csv"
    f.write_text(CSV, encoding="utf-8")
    code = _cli(monkeypatch, "ingest", str(f), "--table", "orders", "--memory-limit", bad)
    err = capsys.readouterr().err
    assert code == 2
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert f"memory limit {bad!r} is not a size" in lines[0]
    assert "Traceback" not in err
    assert not (home / "raw" / "orders").exists()


def test_a_file_whose_every_row_is_quarantined_exits_non_zero_naming_it(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 17 (R-DAT-4): every row refused is almost always the wrong file or mapping."""
    f = tmp_path / "orders.csv"
    f.write_text(
        "订单编号,客户编号,下单时间,下单渠道,订单金额\n"
        "O1,C1,not a time,online,12.50\nO2,C2,also not,online,3.00\nO3,C3,2025-03-05,online,-1\n",
        encoding="utf-8",
    )
    code = _cli(monkeypatch, "ingest", str(f), "--table", "orders")
    err = capsys.readouterr().err
    # one error line (the other stderr line is the progress display's last frame)
    lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert code != 0 and len(lines) == 1, err
    assert "orders.csv: all 3 rows were quarantined" in lines[0]
    assert "commonest reason" in lines[0] and "(2 rows)" in lines[0], lines[0]
    assert "Traceback" not in err
    assert any((home / "quarantine").rglob("*")), "the refused rows are kept"


def test_a_file_with_some_good_rows_still_succeeds(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    f = tmp_path / "orders.csv"
    f.write_text(CSV + "O2,C2,not a time,online,3.00\n", encoding="utf-8")
    assert _cli(monkeypatch, "ingest", str(f), "--table", "orders") == 0

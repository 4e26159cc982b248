"""The grading commands end to end: grade, explain, features; errors as one line."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import pytest

from tierwise.cli.main import run
from tierwise.settings import get_settings
from tinylake import ts, write_lake

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TIERWISE_HOME", str(tmp_path))
    get_settings.cache_clear()
    customers = [{"customer_id": f"c{i}"} for i in range(6)]
    orders = [
        {"order_id": f"o{i}-{k}", "customer_id": f"c{i}",
         "order_time": ts(2025, 6, 20) - dt.timedelta(days=7 * k), "amount": 1000 * (i + 1)}
        for i in range(1, 6)
        for k in range(8)
    ]  # fmt: skip
    write_lake(tmp_path / "lake", {"customers": customers, "orders": orders})
    yield tmp_path
    get_settings.cache_clear()


def _cli(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["tierwise", *args])
    try:
        run()
    except SystemExit as e:
        return int(e.code or 0)
    return 0


def test_grade_then_explain(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = str(ROOT / "policies" / "kuailv.yaml")
    assert _cli(monkeypatch, "grade", "--as-of", "2025-06-30", "--policy", policy) == 0
    out = capsys.readouterr().out
    assert "铂金" in out
    assert "6 entities" in out
    assert (home / "runs" / "LATEST").is_file()
    assert _cli(monkeypatch, "explain", "c5", "--lang", "en") == 0
    out = capsys.readouterr().out
    assert "Platinum" in out
    assert "TIER_BY_PERCENTILE" in out
    assert '"service": "Dedicated service desk"' in out  # a {zh, en} benefit in --lang
    assert _cli(monkeypatch, "explain", "c0", "--json") == 0
    reasons = json.loads(capsys.readouterr().out)
    assert reasons[0]["code"] == "INSUFFICIENT_DATA"


def test_features_command(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = home / "f.parquet"
    assert (
        _cli(monkeypatch, "features", "--as-of", "2025-06-30", "--out", str(target), "--show", "c2")
        == 0
    )
    out = capsys.readouterr().out
    assert "6 outlets" in out
    assert "orders_365d" in out
    assert target.is_file()


def test_errors_are_one_line_with_exit_codes(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = str(ROOT / "tests" / "data" / "bad_many.yaml")
    assert _cli(monkeypatch, "grade", "--as-of", "2025-06-30", "--policy", bad) == 4
    err = capsys.readouterr().err
    assert "3 problem(s)" in err
    assert "Traceback" not in err
    assert _cli(monkeypatch, "explain", "nobody") == 5
    assert _cli(monkeypatch, "grade", "--as-of", "30/06/2025") == 2


def test_engine_option_and_memory_cap_from_settings(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = str(ROOT / "policies" / "kuailv.yaml")
    monkeypatch.setenv("TIERWISE_MEMORY_LIMIT", "1GB")
    monkeypatch.setenv("TIERWISE_SPILL_DIR", str(home / "spill"))
    get_settings.cache_clear()
    args = ("grade", "--as-of", "2025-06-30", "--policy", policy, "--engine", "duckdb")
    assert _cli(monkeypatch, *args) == 0
    assert "6 entities" in capsys.readouterr().out
    assert _cli(monkeypatch, "grade", "--as-of", "2025-06-30", "--engine", "polars") != 0
    assert "duckdb or spark" in capsys.readouterr().err
    monkeypatch.setenv("TIERWISE_MEMORY_LIMIT", "lots")
    get_settings.cache_clear()
    assert _cli(monkeypatch, "grade", "--as-of", "2025-06-30", "--policy", policy) != 0
    assert "2GB" in capsys.readouterr().err

"""`tierwise analyze metrics|effect` and `tierwise report` as a user runs them (R-ANA-4/6/8)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from anabook import RUN_1, RUN_2, build
from tierwise.store.db import make_engine, sqlite_url


def tierwise(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TIERWISE_HOME": str(home), "COLUMNS": "200"}
    env.pop("TIERWISE_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "tierwise", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("ana")
    engine = make_engine(sqlite_url(home / "state.db"))
    build(home, engine)
    engine.dispose()
    return home


def test_metrics_table(home: Path) -> None:
    done = tierwise("analyze", "metrics", "--run", RUN_2, home=home)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "各等级评估指标" in out and "黄金" in out and "复购率" in out
    # gold: 1 000 yuan over 3 customers (tests/analytics/test_service.py)
    assert "333.33" in out and "尚未提供" in out
    en = tierwise("analyze", "metrics", "--lang", "en", home=home)  # the latest run
    assert en.returncode == 0, en.stderr
    assert "Gold" in en.stdout and RUN_2 in en.stdout and "not yet" in en.stdout


def test_effect_table(home: Path) -> None:
    done = tierwise("analyze", "effect", "--run", RUN_2, "--days", "30", "--lang", "en", home=home)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Upgraded" in out and "Silver → Gold" in out and "+125.00" in out
    assert "+150.00" in out and "too few customers" in out and "First tier 1" in out
    partial = tierwise("analyze", "effect", "--run", RUN_2, "--days", "45", home=home)
    assert partial.returncode == 0, partial.stderr
    assert "31 / 45 天" in partial.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--run", "nope"), "no published run 'nope'"),
        (("--run", RUN_1), "is the first published run"),
        (("--run", RUN_2, "--days", "0"), "--days must be at least 1, got 0"),
        (("--run", RUN_2, "--days", "-3"), "--days must be at least 1, got -3"),
        (("--lang", "fr"), "--lang must be one of zh, en"),
    ],
)
def test_bad_input_is_one_line(home: Path, args: tuple[str, ...], message: str) -> None:
    done = tierwise("analyze", "effect", *args, home=home)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], done.stderr


def test_report_html(home: Path, tmp_path: Path) -> None:
    done = tierwise("report", "--run", RUN_2, home=home)
    assert done.returncode == 0, done.stderr
    html = (home / "reports" / f"{RUN_2}.zh.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in html and "等级迁移" in html and "+125.00" in html
    assert "<script" not in html and "http" not in html  # self-contained
    assert "权益使用与成本" in html  # the benefits section (R-OPS-2), empty on this book
    out = tmp_path / "r.html"
    en = tierwise("report", "--run", RUN_2, "--lang", "en", "--out", str(out), home=home)
    assert en.returncode == 0, en.stderr
    html = out.read_text(encoding="utf-8")
    assert "Tier migration since the previous run" in html and "Silver → Gold" in html
    first = tierwise("report", "--run", RUN_1, "--lang", "en", "--out", str(out), home=home)
    assert first.returncode == 0, first.stderr
    assert "first published run" in out.read_text(encoding="utf-8")

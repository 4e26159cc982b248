"""Small parts of the generator: formats, name variants, calendar, arguments."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tierwise.errors import UsageError
from tierwise.generate import GenerateConfig
from tierwise.generate.calendar import day_number, months_before
from tierwise.generate.exports.formats import format_amounts, format_times
from tierwise.generate.exports.names import VARIANTS


def test_times_in_the_three_source_styles() -> None:
    us = np.array(
        [day_number(dt.date(2025, 3, 5)) * 86_400_000_000 + (14 * 3600 + 3 * 60 + 7) * 1_000_000]
        * 3
    )
    assert format_times(us, np.array([0, 1, 2])).to_pylist() == [
        "2025-03-05 14:03:07",
        "2025/3/5 14:03",
        "2025年3月5日 14:03",
    ]


def test_amounts_in_the_three_source_styles() -> None:
    fen = np.array([123450, 123450, 123450, 123456789, -5, 120000])
    assert format_amounts(fen, np.array([0, 1, 2, 1, 0, 2]), yen="￥").to_pylist() == [
        "1234.50", "￥1,234.50", "1234.5元", "￥1,234,567.89", "-0.05", "1200元",
    ]  # fmt: skip


@pytest.mark.parametrize("kind", sorted(VARIANTS))
def test_every_name_variant_changes_the_name(kind: str) -> None:
    rng = np.random.default_rng(0)
    for name in ("老码头火锅(春熙路店)", "成都蜀香餐饮管理有限公司", "小面"):
        assert VARIANTS[kind](name, rng) != name


def test_traditional_variant_uses_traditional_characters() -> None:
    assert (
        VARIANTS["traditional"]("成都蜀香餐饮管理有限公司", np.random.default_rng(0))
        == "成都蜀香餐飲管理有限公司"
    )


def test_book_span_is_whole_months() -> None:
    assert months_before(dt.date(2026, 10, 31), 30) == dt.date(2024, 5, 1)
    assert months_before(dt.date(2026, 3, 31), 1) == dt.date(2026, 3, 1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"customers": 0, "months": 12}, "--customers"),
        ({"customers": 10, "months": 100}, "--months"),
    ],
)
def test_bad_sizes_are_usage_errors(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        GenerateConfig(**kwargs)


def test_years_the_generator_does_not_know_are_refused(tmp_path: Path) -> None:
    from tierwise.generate import generate

    with pytest.raises(UsageError, match="outside the years"):
        generate(GenerateConfig(customers=5, months=12, end_date=dt.date(2040, 1, 1)), tmp_path)


@pytest.mark.parametrize(
    "args",
    [
        ["--customers", "0"],
        ["--months", "100"],
        ["--customers", "5", "--months", "2", "--out", "/proc/tierwise-cannot-write"],
        ["--customers", "5", "--end-date", "2026-13-01"],
    ],
)
def test_cli_bad_arguments_give_one_line_and_a_non_zero_exit(
    args: list[str], tmp_path: Path
) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tierwise", "generate", *args],
        capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: "), proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout

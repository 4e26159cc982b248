"""bench/bench_grading.py: the command it records, lake reuse keys, kept doc blocks."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

# bench/ is a folder of scripts, not part of the package: load the module from its file
_SPEC = importlib.util.spec_from_file_location(
    "bench_grading_under_test", Path(__file__).parents[2] / "bench" / "bench_grading.py"
)
assert _SPEC is not None and _SPEC.loader is not None
bg = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(bg)

OLD_SECTION = f"""{bg.START}
## Grading (bench/bench_grading.py)

Command: `uv run python /work/wt/x/bench/bench_grading.py --lines 100 --work /tmp/w` · 2026-11-01 · AMD

Synthetic lake: 100 order lines, 20 orders, 2 customers (plus invoices); policy `p`.

| phase | seconds | peak RSS (MB) |
|---|---:|---:|
| hand-written DuckDB SQL, features only | 9.5 | 100 |
<!-- figure: {{"figure": "big", "ratio": 1.2}} -->

At 50 order lines (2 customers): pandas 1 s, Tierwise 2 s.
<!-- figure: {{"figure": "small", "ratio": 0.5}} -->
{bg.END}"""


def test_command_is_relative_to_the_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIERWISE_MEMORY_LIMIT", "2GB")
    cmd = bg.command_line(["--skip-big", "--pandas-lines", "10"])
    assert (
        cmd
        == "TIERWISE_MEMORY_LIMIT=2GB uv run python -m bench.bench_grading --skip-big --pandas-lines 10"
    )
    monkeypatch.delenv("TIERWISE_MEMORY_LIMIT")
    assert bg.command_line([]) == "uv run python -m bench.bench_grading"


def test_lakes_are_keyed_by_size(tmp_path: Path) -> None:
    a, b = bg.lake_path(tmp_path, 10), bg.lake_path(tmp_path, 20)
    assert a != b and a.parent == b.parent == tmp_path
    assert a.name.startswith("lines-10-") and bg.lake_path(tmp_path, 10) == a


def test_old_section_keeps_the_big_block_marked(tmp_path: Path) -> None:
    block = bg._kept_block(OLD_SECTION, bg.BIG, ("Synthetic lake:", "At "))
    assert block[0] == bg.BIG[0] and block[-1] == bg.BIG[1]
    note = block[2]
    assert "2026-11-01" in note and "python -m bench.bench_grading --lines 100" in note
    assert "/work/wt/" not in note
    body = "\n".join(block)
    assert '"figure": "big"' in body and '"figure": "small"' not in body


def test_kept_block_is_not_marked_twice() -> None:
    first = bg._kept_block(OLD_SECTION, bg.SMALL, ("At ", ""))
    assert '"figure": "small"' in "\n".join(first)
    again = f"{bg.START}\n## G\n\nCommand: `c` · 2026-11-02 · m\n\n" + "\n".join(first) + bg.END
    second = bg._kept_block(again, bg.SMALL, ("At ", ""))
    assert sum(ln.startswith("*Not re-measured") for ln in second) == 1
    assert "2026-11-02" in second[2]


def test_no_previous_section_keeps_nothing() -> None:
    assert bg._kept_block("# Benchmarks\n", bg.BIG, ("Synthetic lake:", "At ")) == []


def test_the_pandas_figure_is_the_ratio_of_medians_of_alternating_pairs() -> None:
    runs = [{"seconds": 3.1}, {"seconds": 2.4}, {"seconds": 2.6}]
    assert bg._median_run(runs) == {"seconds": 2.6}
    assert bg._median_run(runs[:2]) == {"seconds": 3.1}  # even count: the upper one
    note = bg._pairs_note(
        {"pairs": [{"grade_s": 2.4, "pandas_s": 20.0, "ratio": 8.3, "load_1m": 1.2},
                   {"grade_s": 2.6, "pandas_s": 19.0, "ratio": 7.3, "load_1m": 2.5}]}
    )  # fmt: skip
    assert "medians of 2 alternating pairs" in note
    assert "2.4 s / 20.0 s = 8.3x (load 1.2)" in note and "7.3x (load 2.5)" in note
    assert (
        bg._pairs_note({"pairs": [{"grade_s": 1, "pandas_s": 9, "ratio": 9, "load_1m": 1}]}) == ""
    )

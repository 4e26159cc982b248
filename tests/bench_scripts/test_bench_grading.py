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


# --- the peers (issue 28 item 1) -----------------------------------------------------------


def test_mismatches_count_customers_tiers_and_tags() -> None:
    import pandas as pd

    ours = pd.DataFrame(
        {"tier": ["gold", None, "bronze"], "tag_churn_warning": [True, False, False],
         "tag_high_risk": [False, False, True]},
        index=["c1", "c2", "c3"],
    )  # fmt: skip
    assert bg.mismatches(ours, ours.copy()) == {
        "customers": 0, "tier": 0, "tag_churn_warning": 0, "tag_high_risk": 0,
    }  # fmt: skip
    theirs = ours.copy()
    theirs.loc["c2", "tier"] = "bronze"  # a tier where ours has none (insufficient data)
    theirs.loc["c1", "tag_high_risk"] = True
    theirs = theirs.drop(index="c3")
    theirs.loc["c9"] = ["gold", False, False]
    assert bg.mismatches(ours, theirs) == {
        "customers": 2, "tier": 1, "tag_churn_warning": 0, "tag_high_risk": 1,
    }  # fmt: skip


def test_polars_and_pandas_give_the_same_tiers_and_tags(tmp_path: Path) -> None:
    import pandas as pd
    import polars_impl
    import synth_lake
    from pandas_impl import grade_pandas

    lake = tmp_path / "lake"
    synth_lake.build_lake(lake, 60_000)
    grade_pandas(lake, synth_lake.AS_OF, tmp_path / "pd.parquet")
    n = polars_impl.grade_polars(lake, synth_lake.AS_OF, tmp_path / "pl.parquet")
    a = pd.read_parquet(tmp_path / "pd.parquet").set_index("customer_id")
    b = pd.read_parquet(tmp_path / "pl.parquet").set_index("customer_id")
    assert n == len(a) == 1_200
    assert bg.mismatches(a, b) == dict.fromkeys(("customers", *bg.COMPARED), 0)
    assert set(a["tier"].dropna()) == {"platinum", "gold", "silver", "bronze"}
    assert a["tag_churn_warning"].any() and a["tag_high_risk"].any()
    for col in ("recency_days", "orders_365d", "spend_365d", "on_time_payment_rate", "score"):
        diff = (a[col].astype(float) - b.loc[a.index, col].astype(float)).abs().max()
        assert diff < 1e-9, col


def test_run_measured_gives_the_process_s_own_wall_time_and_peak_rss() -> None:
    import sys

    code = "import time; x = bytearray(120 * 2**20); x[::4096] = b'1' * len(x[::4096]); time.sleep(0.3); print('done')"
    out, wall, rss = bg.run_measured([sys.executable, "-c", code])
    assert out.strip() == "done"
    assert wall >= 0.3 and rss >= 120
    out, _, small = bg.run_measured([sys.executable, "-c", "print('x')"])
    assert small < 100  # its own peak, not the bench process's (pytest here)
    with pytest.raises(Exception, match="returned non-zero"):
        bg.run_measured([sys.executable, "-c", "raise SystemExit(3)"])


def test_peer_summary_takes_medians_and_ratios_against_each_peer() -> None:
    def run(seconds: float | None, process: float, rss: int, load: float = 1.0) -> dict:
        r = {"process_s": process, "process_rss_mb": rss, "load_1m": load}
        if seconds is not None:
            r["seconds"] = seconds
        return r

    runs = {
        "grade": [run(2.0, 5.0, 500), run(2.4, 5.4, 520), run(9.0, 12.0, 510, 6.0)],
        "cli": [run(None, 4.0, 600), run(None, 3.0, 610), run(None, 9.0, 620)],
        "sql": [run(1.0, 1.5, 400), run(2.0, 2.5, 410), run(1.5, 2.0, 420)],
        "polars": [run(2.0, 2.5, 700), run(2.5, 3.0, 710), run(3.0, 3.5, 720)],
        "pandas": [run(10.0, 14.0, 900), run(12.0, 16.0, 910), run(11.0, 15.0, 920, 0.5)],
    }
    s = bg.peer_summary(runs)
    assert s["medians"]["grade"] == {"seconds": 2.4, "process_s": 5.4, "rss_mb": 510}
    assert s["medians"]["cli"]["seconds"] is None and s["medians"]["cli"]["process_s"] == 4.0
    # after imports: run_grading's median; whole process: the command's median
    assert s["tierwise_over"]["sql"] == {"after_imports": 1.6, "whole_process": 2.0}
    assert s["tierwise_over"]["polars"] == {"after_imports": 0.96, "whole_process": 1.33}
    assert s["tierwise_over"]["pandas"] == {"after_imports": 0.22, "whole_process": 0.27}
    assert (s["load_min"], s["load_max"]) == (0.5, 6.0)

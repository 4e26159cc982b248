"""The benchmark driver (bench/run_all.py) and the summary table (bench/common.py), at unit level:
no benchmark is run here. No __init__.py: a package named `bench` here would shadow bench/."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `bench/` is a top-level package of the repository, not installed
    sys.path.insert(0, str(ROOT))

from bench import common, run_all  # noqa: E402

NO_DOC_FLAGS = {"--no-doc", "--no-write"}


def _doc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> Path:
    doc = tmp_path / "benchmarks.md"
    doc.write_text(text, encoding="utf-8")
    monkeypatch.setattr(common, "DOC", doc)
    monkeypatch.setattr(run_all, "DOC", doc)
    monkeypatch.setattr(run_all, "services_running", lambda: True)  # start or stop nothing
    return doc


# --- the list of benchmarks ----------------------------------------------------------------


def test_bench_names_are_unique_and_modules_exist() -> None:
    names = [b.name for b in run_all.BENCHES]
    assert len(names) == len(set(names))
    for b in run_all.BENCHES:
        assert importlib.util.find_spec(b.module) is not None, b.module
        assert 0 < b.estimate_s < b.limit_s


def test_every_figure_of_the_issue_has_a_bench() -> None:
    names = {b.name for b in run_all.BENCHES}
    assert {"generator", "publish", "ingest", "grading", "models"} <= names
    assert {"realtime", "realtime-pg", "api", "console"} <= names
    pg = next(b for b in run_all.BENCHES if b.name == "realtime-pg")
    assert "--pg" in pg.full and "--pg" in pg.quick
    generator = next(b for b in run_all.BENCHES if b.name == "generator")
    assert generator.full[generator.full.index("--big-customers") + 1] == "146000"


def test_quick_arguments_leave_the_doc_alone() -> None:
    for b in run_all.BENCHES:
        if b.name == "grading":  # writes its section only when asked
            assert "--write-doc" in b.full and "--write-doc" not in b.quick
        else:
            assert NO_DOC_FLAGS & set(b.quick), b.name
            assert not NO_DOC_FLAGS & set(b.full), b.name


def test_full_run_fits_the_time_budget() -> None:
    # `make bench` must finish in about 40 minutes on the 2-core machine
    assert sum(b.estimate_s for b in run_all.BENCHES) <= 45 * 60


def test_select_only_and_skip() -> None:
    benches = run_all.BENCHES
    assert [b.name for b in run_all.select(benches, None, None)] == [b.name for b in benches]
    assert [b.name for b in run_all.select(benches, "console,generator", None)] == [
        "generator",
        "console",
    ]
    skipped = run_all.select(benches, None, "grading, models")
    assert {b.name for b in skipped} == {b.name for b in benches} - {"grading", "models"}
    with pytest.raises(SystemExit, match="--only: unknown bench nope"):
        run_all.select(benches, "nope", None)
    with pytest.raises(SystemExit, match="--skip: unknown bench"):
        run_all.select(benches, None, "generator,typo")


def test_quick_run_sets_no_doc_and_restores_a_changed_doc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = _doc(tmp_path, monkeypatch, "# Benchmarks\n")
    seen: list[tuple[str, bool]] = []

    def fake(bench: run_all.Bench, quick: bool) -> tuple[float, str]:
        seen.append((bench.name, quick))
        if bench.name == "publish":
            doc.write_text("clobbered", encoding="utf-8")
        return 1.0, "ok"

    monkeypatch.setattr(run_all, "run_one", fake)
    monkeypatch.setattr(run_all, "write_summary", lambda: pytest.fail("quick wrote a summary"))
    with pytest.raises(SystemExit, match="changed by a quick run"):
        run_all.main(["--quick", "--only", "generator,publish"])
    assert seen == [("generator", True), ("publish", True)]
    assert doc.read_text(encoding="utf-8") == "# Benchmarks\n"


def test_failed_bench_fails_the_run_after_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _doc(tmp_path, monkeypatch, common.HEADER)
    ran: list[str] = []

    def fake(bench: run_all.Bench, quick: bool) -> tuple[float, str]:
        ran.append(bench.name)
        return 2.0, "failed (exit 1)" if bench.name == "api" else "ok"

    monkeypatch.setattr(run_all, "run_one", fake)
    with pytest.raises(SystemExit, match="benchmarks failed: api"):
        run_all.main(["--only", "api,console"])
    assert ran == ["api", "console"]


def test_full_list_records_the_durations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = _doc(tmp_path, monkeypatch, common.HEADER)
    monkeypatch.setattr(run_all, "run_one", lambda b, q: (60.0, "ok"))
    run_all.main([])
    text = doc.read_text(encoding="utf-8")
    assert "<!-- bench:run_all -->" in text
    assert re.search(r"Total: \*\*\d+ s \(\d+\.\d min\)\*\*", text)  # wall time of the run
    assert "| console | 60 | ok |" in text


# --- figure lines and the summary table ----------------------------------------------------


def test_figure_line_round_trips() -> None:
    line = common.figure(
        "p99 at 200 events/s", 12.5, "no-op consumer", "< 200 ms", True, "p99 90 ms"
    )
    assert line.startswith("<!-- figure: ") and line.endswith(" -->")
    [row] = common.parse_figures(line)
    assert row == {
        "figure": "p99 at 200 events/s",
        "ratio": 12.5,
        "baseline": "no-op consumer",
        "target": "< 200 ms",
        "met": True,
        "value": "p99 90 ms",
    }
    assert "value" not in common.parse_figures(common.figure("x", None, "b", "t", None))[0]


def test_write_summary_builds_the_table_from_every_section(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_summary = (
        f"{common.SUMMARY_START}\n| stale | row |\n"
        f"{common.figure('stale figure', 1, 'b', 't', True)}\n{common.SUMMARY_END}"
    )
    sections = "\n\n".join(
        [
            "<!-- bench:a -->\n## A\n"
            + common.figure("generator, 10 M", 3.25, "DuckDB", "< 60 s", True, "22.8 s")
            + "\n<!-- /bench:a -->",
            "<!-- bench:b -->\n## B\n"
            + common.figure("pandas / ours", 2.2, "pandas", "≥ 8x", False)
            + "\n"
            + common.figure("peak RSS", None, "the cap", "—", None)
            + "\n<!-- /bench:b -->",
        ]
    )
    doc = _doc(
        tmp_path,
        monkeypatch,
        f"# Benchmarks\n\nintro\n\n{old_summary}\n\n{sections}\n\nRun in {common.ROOT}/bench.\n",
    )
    common.write_summary()
    text = doc.read_text(encoding="utf-8")
    summary = text[text.index(common.SUMMARY_START) : text.index(common.SUMMARY_END)]
    rows = [line for line in summary.splitlines() if line.startswith("| ") and "---" not in line]
    assert rows[1:] == [
        "| generator, 10 M | 22.8 s | 3.25x | DuckDB | < 60 s | yes |",
        "| pandas / ours | — | 2.2x | pandas | ≥ 8x | **no** |",
        "| peak RSS | — | — | the cap | — | — |",
    ]
    assert "stale" not in text
    assert text.count(common.SUMMARY_START) == 1
    assert str(common.ROOT) not in text and "Run in bench." in text
    common.write_summary()  # idempotent
    assert doc.read_text(encoding="utf-8") == text


def test_summary_goes_after_the_header_when_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = "<!-- bench:x -->\n" + common.figure("f", 1.5, "b", "t", None) + "\n<!-- /bench:x -->"
    doc = _doc(tmp_path, monkeypatch, "# Benchmarks\n\nintro\n\n" + body + "\n")
    common.write_summary()
    text = doc.read_text(encoding="utf-8")
    assert text.index("intro") < text.index(common.SUMMARY_START) < text.index("<!-- bench:x -->")
    assert "| f | — | 1.5x | b | t | — |" in text


def test_malformed_figure_lines_are_named() -> None:
    with pytest.raises(ValueError, match="not JSON"):
        common.parse_figures('<!-- figure: {"figure": "x", ratio} -->')
    bad = json.dumps({"figure": "x", "ratio": 1})
    with pytest.raises(ValueError, match=r"lacks \['baseline', 'met', 'target'\]"):
        common.parse_figures(f"<!-- figure: {bad} -->")


# --- sections, machine facts, the cache ----------------------------------------------------


def test_record_replaces_its_own_section_and_honours_no_doc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = _doc(tmp_path, monkeypatch, common.HEADER)
    monkeypatch.delenv(common.NO_DOC_ENV, raising=False)
    common.record("one", "body-1")
    common.record("two", "body-2")
    common.record("one", "body-1b")
    text = doc.read_text(encoding="utf-8")
    assert "<!-- bench:one -->\nbody-1b\n<!-- /bench:one -->" in text
    assert "body-1\n" not in text and text.index("body-1b") < text.index("body-2")
    monkeypatch.setenv(common.NO_DOC_ENV, "1")
    common.record("one", "quick")
    assert doc.read_text(encoding="utf-8") == text


def test_machine_facts_name_the_load_average() -> None:
    facts = common.machine_facts()
    assert "cores" in facts and "GiB RAM" in facts
    assert "load average " + common.load_average()[:3] in facts


def test_cached_dir_builds_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "CACHE", tmp_path / "cache")
    monkeypatch.setattr(common, "ROOT", tmp_path)
    calls: list[Path] = []

    def build(folder: Path) -> None:
        calls.append(folder)
        (folder / "data.txt").write_text("x", encoding="utf-8")

    first = common.cached_dir("lake-n10-abc", build)
    second = common.cached_dir("lake-n10-abc", build)
    assert first == second == tmp_path / "cache" / "lake-n10-abc"
    assert len(calls) == 1 and (first / "data.txt").read_text(encoding="utf-8") == "x"

    def broken(folder: Path) -> None:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        common.cached_dir("lake-n20-abc", broken)
    assert not (tmp_path / "cache" / "lake-n20-abc").exists()  # never reused half-built
    with pytest.raises(ValueError, match="cache key"):
        common.cached_dir("../escape", build)


def test_source_hash_follows_the_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "ROOT", tmp_path)
    (tmp_path / "gen").mkdir()
    (tmp_path / "gen" / "a.py").write_text("x = 1\n", encoding="utf-8")
    before = common.source_hash("gen")
    assert before == common.source_hash("gen")
    (tmp_path / "gen" / "a.py").write_text("x = 2\n", encoding="utf-8")
    assert common.source_hash("gen") != before


def test_a_figure_without_baseline_says_so_in_the_summary() -> None:
    rows = [
        common.parse_figures(common.figure(f"f{i}", None, b, "< 1 s", True, "0.5 s"))[0]
        for i, b in enumerate(["-", "", "none", "—", "the 1 s budget"])
    ]
    table = common.summary_table(rows)
    assert table.count("| none (absolute target) |") == 4
    assert "| f4 | 0.5 s | — | the 1 s budget | < 1 s | yes |" in table


def test_experiments_section_judges_its_figures_against_the_targets() -> None:
    from bench import bench_experiments as be

    good = be.Figures(200, 2000, 0.93, 0.005, 20, 0, 200_000, 399_967, 0.99, 1.19)
    rows = common.parse_figures(be.section(good, "2 cores", "1.00 / 1.00 / 1.00"))
    assert [r["met"] for r in rows] == [True, True, True]
    assert [r["value"] for r in rows] == ["93.0%", "0.5%", "1.19 s"]
    bad = good._replace(coverage=0.915, aa_false_positives=0.075, worst_s=12.0)
    rows = common.parse_figures(be.section(bad, "2 cores", "1.00 / 1.00 / 1.00"))
    assert [r["met"] for r in rows] == [False, False, False]
    assert all(r["target"] for r in rows) and all(r["baseline"] for r in rows)


def test_every_operations_module_has_a_row_in_the_summary() -> None:
    # issue 28 item 6: the operations modules' figures, with target and met, in the summary
    text = common.DOC.read_text(encoding="utf-8")
    summary = text[text.index(common.SUMMARY_START) : text.index(common.SUMMARY_END)]
    figures = [r["figure"] for r in common.parse_figures(text)]
    for module in ("pricing: quote p99", "credit: order check p99", "tags: audience count",
                   "recommendations: new-items recall@10", "supply: WRMSSE",
                   "experiments: analyse", "campaigns: decide and queue", "nps: 200 000 answers",
                   "visits: route"):  # fmt: skip
        assert any(str(f).startswith(module) for f in figures), module
        row = next(ln for ln in summary.splitlines() if ln.startswith(f"| {module}"))
        assert row.rstrip().endswith(("| yes |", "| **no** |", "| — |")), row

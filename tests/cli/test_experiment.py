"""`tierwise experiment` as a user runs it (R-ANA-5): design file → start → export → analyze."""

from __future__ import annotations

import csv
from pathlib import Path

import yaml

from expbook import design, outlets, seed_profiles, write_book
from tierwise.settings import Settings
from tierwise.store.db import make_engine

from .test_runs import tierwise


def _book(home: Path) -> None:
    engine = make_engine(Settings(home=home).state_url)
    seed_profiles(engine, outlets(300))
    engine.dispose()
    write_book(home / "lake", outlets(300))


def test_design_start_export_and_analyze(tmp_path: Path) -> None:
    _book(tmp_path)
    spec = tmp_path / "rebate.yaml"
    spec.write_text(yaml.safe_dump(design(), allow_unicode=True), encoding="utf-8")
    created = tierwise("experiment", "create", str(spec), home=tmp_path)
    assert created.returncode == 0, created.stderr
    started = tierwise("experiment", "start", "rebate", home=tmp_path)
    assert started.returncode == 0, started.stderr
    assert "minimum detectable effect" in started.stdout
    out = tmp_path / "assignment.csv"
    exported = tierwise("experiment", "export", "rebate", "--out", str(out), home=tmp_path)
    assert exported.returncode == 0, exported.stderr
    with out.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(outlets(300)) and {r["arm"] for r in rows} == {"control", "rebate"}
    treated = {r["customer_id"] for r in rows if r["arm"] == "rebate"}
    write_book(tmp_path / "lake", outlets(300), window_extra=dict.fromkeys(treated, 400.0))
    zh = tierwise("experiment", "analyze", "rebate", "--as-of", "2026-03-31", home=tmp_path)
    assert zh.returncode == 0, zh.stderr
    assert "rebate 对比对照" in zh.stdout and "随时有效区间" in zh.stdout
    en = tierwise(
        "experiment", "analyze", "rebate", "--as-of", "2026-03-15", "--lang", "en", home=tmp_path
    )
    assert "Window not over" in en.stdout and "Sample ratio as designed" in en.stdout
    shown = tierwise("experiment", "show", "rebate", home=tmp_path)
    assert "power check" in shown.stdout and "start" in shown.stdout


def test_bad_designs_fail_in_one_line(tmp_path: Path) -> None:
    _book(tmp_path)
    spec = tmp_path / "bad.yaml"
    spec.write_text(yaml.safe_dump(design(end="2026-02-01", metric="mood")), encoding="utf-8")
    r = tierwise("experiment", "create", str(spec), home=tmp_path)
    assert r.returncode != 0
    assert "end 2026-02-01 is before start 2026-03-01" in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    missing = tierwise("experiment", "start", "nope", home=tmp_path)
    assert missing.returncode != 0 and "no experiment 'nope'" in missing.stderr

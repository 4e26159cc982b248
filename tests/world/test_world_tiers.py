"""`of: {tier: 黄金}` without a labels CSV: the book graded, a runs folder or the store (issue 15 #3).

R-OPS-2: operations attach to tier state, so a plan's arm can be drawn from a tier of the book.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import update

from tierwise.errors import UsageError
from tierwise.grading.run import run_grading
from tierwise.pipeline.publish import grade_and_publish
from tierwise.policy import DEFAULT_POLICY, POLICIES_DIR, load_policy
from tierwise.store.db import make_engine, sqlite_url
from tierwise.store.migrate import upgrade
from tierwise.store.schema import CustomerTier
from tierwise.world import parse_plan, simulate
from tierwise.world.tiers import TierSource

END = dt.date(2026, 10, 31)


def _plan(tier: str, share: float = 0.5) -> dict[str, object]:
    return {
        "start": "2026-11-01",
        "days": 14,
        "seed": 3,
        "arms": [
            {"name": "gold", "share": share, "of": {"tier": tier},
             "treatment": {"kind": "rebate", "percent": 2}},
            {"name": "control", "rest": True},
        ],
    }  # fmt: skip


def _arm_rows(out: Path) -> list[dict[str, object]]:
    return pq.read_table(out / "truth" / "assignment.parquet").to_pylist()


def _tiers_of(run: Path) -> dict[str, str]:
    a = pq.read_table(run / "assignments.parquet", columns=["entity_id", "tier"]).to_pylist()
    return {r["entity_id"]: r["tier"] for r in a if r["tier"] is not None}


@pytest.fixture(scope="module")
def graded(book: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A runs folder with one run of the default policy as of the book's end."""
    runs = tmp_path_factory.mktemp("runs")
    run_grading(
        load_policy(DEFAULT_POLICY),
        as_of=END,
        lake=book / "lake",
        runs=runs,
        now=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
    )
    return runs


def test_a_tier_filter_grades_the_book_without_a_labels_file(
    book: Path, graded: Path, tmp_path: Path
) -> None:
    simulate(book, parse_plan(_plan("黄金")), tmp_path)
    rows = _arm_rows(tmp_path)
    truth = _tiers_of(graded / (graded / "LATEST").read_text(encoding="utf-8"))
    gold = [r["customer_id"] for r in rows if r["arm"] == "gold"]
    golds = [c for c, t in truth.items() if t == "gold"]
    assert set(gold) <= set(golds)
    assert 0.35 < len(gold) / len(golds) < 0.65
    assert all(r["tier"] == truth.get(str(r["customer_id"])) for r in rows)
    manifest = json.loads((tmp_path / "truth" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tiers"]["source"] == "the book graded with kuailv-rfm-tuned as of 2026-10-31"
    assert manifest["tiers"]["customers"]["gold"] == len(golds)


def test_a_tier_filter_reads_the_latest_run_of_a_runs_folder(book: Path, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    result = run_grading(
        load_policy(POLICIES_DIR / "meicai.yaml"),
        as_of=END,
        lake=book / "lake",
        runs=runs,
        now=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
    )
    simulate(
        book, parse_plan(_plan("黄金客户", 1.0)), tmp_path / "out", tiers=TierSource(runs=runs)
    )
    gold = {r["customer_id"] for r in _arm_rows(tmp_path / "out") if r["arm"] == "gold"}
    assert gold == {c for c, t in _tiers_of(result.path).items() if t == "A"}
    with pytest.raises(UsageError, match=r"unknown tier '黄金' in run .*tiers are: 钻石客户 \(S\)"):
        simulate(book, parse_plan(_plan("黄金")), tmp_path / "x", tiers=TierSource(runs=runs))
    assert not (tmp_path / "x").exists()


def test_a_tier_filter_reads_the_current_tiers_of_the_store(book: Path, tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "state.db"))
    upgrade(engine)
    grade_and_publish(
        load_policy(DEFAULT_POLICY), as_of=END, lake=book / "lake", runs=tmp_path / "runs",
        engine=engine,
    )  # fmt: skip
    with engine.begin() as conn:  # an override: the store's tier, not the run's, is current
        conn.execute(
            update(CustomerTier)
            .where(CustomerTier.customer_id == "C0000002")
            .values(tier="platinum")
        )
    engine.dispose()
    simulate(
        book,
        parse_plan(_plan("Platinum", 1.0)),
        tmp_path / "out",
        tiers=TierSource(state_url=sqlite_url(tmp_path / "state.db")),
    )
    rows = {r["customer_id"]: r for r in _arm_rows(tmp_path / "out")}
    assert rows["C0000002"]["arm"] == "gold"
    assert rows["C0000002"]["tier"] == "platinum"
    assert all((r["arm"] == "gold") == (r["tier"] == "platinum") for r in rows.values())


def test_no_tiers_available_is_a_clear_error_and_writes_nothing(book: Path, tmp_path: Path) -> None:
    empty = make_engine(sqlite_url(tmp_path / "empty.db"))
    upgrade(empty)
    empty.dispose()
    with pytest.raises(UsageError, match="the store's current tiers gives none of the book's"):
        simulate(
            book,
            parse_plan(_plan("黄金")),
            tmp_path / "out",
            tiers=TierSource(state_url=sqlite_url(tmp_path / "empty.db")),
        )
    (tmp_path / "runs").mkdir()
    with pytest.raises(UsageError, match="no finished grading run there"):
        simulate(
            book,
            parse_plan(_plan("黄金")),
            tmp_path / "out",
            tiers=TierSource(runs=tmp_path / "runs"),
        )
    assert not (tmp_path / "out").exists()


def test_cli_runs_without_a_run_is_one_line_and_exit_2(book: Path, tmp_path: Path) -> None:
    (tmp_path / "plan.yaml").write_text(
        "start: 2026-11-01\ndays: 7\narms:\n"
        "  - {name: g, share: 0.5, of: {tier: 黄金}, treatment: {kind: rebate, percent: 2}}\n",
        encoding="utf-8",
    )
    (tmp_path / "runs").mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", "tierwise", "world", "simulate", "--book", str(book), "--plan",
         str(tmp_path / "plan.yaml"), "--out", str(tmp_path / "out"), "--runs",
         str(tmp_path / "runs")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert "no finished grading run there" in lines[0]
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()

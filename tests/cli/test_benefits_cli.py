"""`tierwise benefits redeem / show / usage` as a user runs them (R-OPS-2, issue 21): a GBK file
with Chinese headers, every row accepted or kept as refused with its reason."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine, func, select

import tierwise.pipeline
from tierwise.ops.benefits.decide import BenefitPlan, PlanBenefit
from tierwise.ops.benefits.ledger import store_plan
from tierwise.settings import Settings
from tierwise.store.db import make_engine
from tierwise.store.migrate import upgrade
from tierwise.store.runs import Assignment, Cutoff, RunStore
from tierwise.store.schema import BenefitRedemption
from tierwise.tierstate.decide import StabilityRule

from .test_runs import tierwise

PLAN = BenefitPlan(
    ("gold", "bronze"),
    {
        "gold": (
            PlanBenefit(
                "coupon_allowance", "coupon_allowance", {"amount_yuan": "50", "per_month": 1}
            ),
            PlanBenefit("rebate", "rebate", {"pct": "2", "period": "month"}),
        ),
        "bronze": (),
    },
)


def _seed(home: Path) -> None:
    engine = make_engine(Settings(home=home).state_url)
    upgrade(engine)
    store_plan(engine, "h", "p", PLAN, dt.datetime(2026, 11, 1))
    store = RunStore(engine)
    store.begin(
        "r1",
        policy_name="p",
        policy_hash="h",
        as_of=dt.date(2026, 10, 31),
        data_fingerprint="f",
        started_at=dt.datetime(2026, 11, 1),
    )
    store.publish(
        "r1",
        [Assignment("C1", "gold", 90.0), Assignment("C2", "bronze", 10.0)],
        [Cutoff("gold", 0, 50.0), Cutoff("bronze", 1, None)],
        rule=StabilityRule(),
        now=dt.datetime(2026, 11, 1, 3),
    )
    engine.dispose()


def test_a_gbk_file_is_loaded_row_by_row_with_reasons(tmp_path: Path) -> None:
    _seed(tmp_path)
    f = tmp_path / "核销.csv"
    f.write_bytes(
        (
            "客户编号,权益,使用日期,数量,成本,单号\n"
            "C1,coupon_allowance,2026-11-05,1,50,R1\n"
            "C1,coupon_allowance,2026-11-06,1,50,R2\n"
            "C2,coupon_allowance,2026-11-05,1,50,R3\n"
            "C1,rebate,2026-11-05,1,0,R4\n"
            "C1,coupon_allowance,2026-13-01,1,50,R5\n"
        ).encode("gbk")
    )
    out = tierwise("benefits", "redeem", str(f), home=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "1 accepted, 4 refused, 0 already loaded" in out.stdout
    assert "row 3: coupon allowance of 1 a month" in out.stdout
    assert "row 4: customer C2 has no grant of benefit 'coupon_allowance'" in out.stdout
    assert "row 5: benefit 'rebate' (rebate) applies by itself" in out.stdout
    assert "row 6, column 使用日期 (used_on): '2026-13-01' is not a date" in out.stdout
    again = tierwise("benefits", "redeem", str(f), home=tmp_path)
    assert "0 accepted" in again.stdout and "4 already loaded" in again.stdout  # R5 had no ref kept
    engine = make_engine(Settings(home=tmp_path).state_url)
    with engine.connect() as conn:
        kept = dict(
            conn.execute(
                select(BenefitRedemption.status, func.count()).group_by(BenefitRedemption.status)
            ).all()
        )
    assert kept["accepted"] == 1 and kept["refused"] == 5  # every refused row is kept
    shown = tierwise("benefits", "show", "C1", home=tmp_path)
    assert (
        "coupon_allowance" in shown.stdout and "active" in shown.stdout and "run:r1" in shown.stdout
    )
    used = tierwise(
        "benefits", "usage", "--from", "2026-11-01", "--to", "2026-12-01", home=tmp_path
    )
    assert used.returncode == 0 and "50.00" in used.stdout


def test_a_file_without_a_required_column_is_one_line(tmp_path: Path) -> None:
    _seed(tmp_path)
    f = tmp_path / "bad.csv"
    f.write_text("客户编号,使用日期\nC1,2026-11-05\n", encoding="utf-8")
    out = tierwise("benefits", "redeem", str(f), home=tmp_path)
    assert out.returncode != 0
    assert "missing column(s) 权益 (benefit)" in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_rebate_dry_run_prints_the_cost_per_tier(tmp_path: Path) -> None:
    from tinylake import small_book

    lake = small_book(tmp_path / "lake")
    engine = make_engine(Settings(home=tmp_path).state_url)
    upgrade(engine)
    store = RunStore(engine)
    store.begin("r1", policy_name="p", policy_hash="none", as_of=dt.date(2025, 6, 30),
                data_fingerprint="f", started_at=dt.datetime(2025, 7, 1))  # fmt: skip
    store.publish(
        "r1",
        [
            Assignment("c4", "gold", 90.0),
            Assignment("c5", "gold", 95.0),
            Assignment("c1", "bronze", 1.0),
        ],
        [Cutoff("gold", 0, 50.0), Cutoff("bronze", 1, None)],
        rule=StabilityRule(),
        now=dt.datetime(2025, 7, 1, 3),
    )
    engine.dispose()
    out = tierwise("benefits", "rebate-dry-run", "--pct", "gold=2", "--days", "30",
                   "--as-of", "2025-06-25", "--lake", str(lake), home=tmp_path)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "972.00" in out.stdout and "48600.00" in out.stdout  # 2 % of 6 x 900 x (4 + 5)
    bad = tierwise("benefits", "rebate-dry-run", "--pct", "platinum=2", "--lake", str(lake),
                   home=tmp_path)  # fmt: skip
    assert bad.returncode != 0 and "no customer holds tier 'platinum'" in bad.stderr
    assert "Traceback" not in bad.stderr


def _cli(engine: Engine, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``tierwise`` on ``engine``'s store (SQLite or PostgreSQL)."""
    env = {
        **os.environ,
        "TIERWISE_HOME": str(home),
        "COLUMNS": "200",
        "TIERWISE_DATABASE_URL": engine.url.render_as_string(hide_password=False),
    }
    return subprocess.run(
        [sys.executable, "-m", "tierwise", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_rebate_accrue_ledger_statement_and_payout(engine: Engine, tmp_path: Path) -> None:
    """R-OPS-3: accrue November from the lake (a refund netted), accrue it again (nothing
    changes), a statement with Chinese headers and totals equal to the ledger, a payout that
    pays once, bad input as one line."""
    from openpyxl import load_workbook

    from tinylake import ts, write_lake

    upgrade(engine)
    store_plan(engine, "h", "p", PLAN, dt.datetime(2026, 11, 1))
    store = RunStore(engine)
    store.begin(
        "r1",
        policy_name="p",
        policy_hash="h",
        as_of=dt.date(2026, 10, 31),
        data_fingerprint="f",
        started_at=dt.datetime(2026, 11, 1),
    )
    store.publish(
        "r1",
        [Assignment("C1", "gold", 90.0), Assignment("C2", "bronze", 10.0)],
        [Cutoff("gold", 0, 50.0), Cutoff("bronze", 1, None)],
        rule=StabilityRule(),
        now=dt.datetime(2026, 11, 1, 3),
    )
    lake = write_lake(
        tmp_path / "lake",
        {
            "customers": [{"customer_id": "C1"}, {"customer_id": "C2"}],
            "orders": [
                {
                    "order_id": "o1",
                    "customer_id": "C1",
                    "order_time": ts(2026, 11, 3),
                    "amount": "1500.25",
                },
                {
                    "order_id": "o2",
                    "customer_id": "C2",
                    "order_time": ts(2026, 11, 3),
                    "amount": 800,
                },
            ],
            "returns": [
                {
                    "return_id": "x1",
                    "order_id": "o1",
                    "customer_id": "C1",
                    "return_time": ts(2026, 11, 9),
                    "amount": "200",
                }
            ],
        },
    )
    first = _cli(engine, tmp_path, "benefits", "rebate-accrue", "2026-11", "--lake", str(lake))
    assert first.returncode == 0, first.stderr
    assert "1 customers with a rebate; 1 rows added" in first.stdout
    assert "ledger total 26.01 yuan" in first.stdout  # 2 % of 1300.25 = 26.005, half up
    again = _cli(engine, tmp_path, "benefits", "rebate-accrue", "2026-11", "--lake", str(lake))
    assert "0 rows added, 0 updated, 0 removed, 1 unchanged" in again.stdout
    listed = _cli(engine, tmp_path, "benefits", "rebate-ledger", "--period", "2026-11")
    assert listed.returncode == 0 and "1300.25" in listed.stdout and "accrued" in listed.stdout
    # the dry run of November's orders beside what the ledger accrued for it (net of refunds)
    beside = _cli(engine, tmp_path, "benefits", "rebate-dry-run", "--pct", "gold=2", "--days",
                  "30", "--as-of", "2026-11-30", "--lake", str(lake), "--realised", "2026-11")  # fmt: skip
    assert beside.returncode == 0, beside.stderr
    assert "30.01" in beside.stdout and "26.01" in beside.stdout  # 2 % of 1500.25 vs 1300.25
    assert "+15.4 %" in beside.stdout  # 30.01 / 26.01 - 1
    wrong = _cli(engine, tmp_path, "benefits", "rebate-dry-run", "--pct", "gold=2",
                 "--lake", str(lake), "--realised", "2026-13")  # fmt: skip
    assert wrong.returncode != 0 and "'2026-13' is not a rebate period" in wrong.stderr
    stmt = tmp_path / "C1.xlsx"
    shown = _cli(
        engine,
        tmp_path,
        "benefits",
        "rebate-statement",
        "C1",
        "--out",
        str(stmt),
        "--from",
        "2026-Q4",
    )
    assert shown.returncode == 0, shown.stderr
    assert "accrued 26.01, paid 0.00, outstanding 26.01" in shown.stdout
    sheet = load_workbook(stmt).active
    assert sheet is not None
    cells = [[c.value for c in r] for r in sheet.iter_rows()]
    assert cells[0][:2] == ["客户编号", "期间"] and cells[-3][1] == "计提合计"
    assert cells[-3][10] == 26.01
    batch = tmp_path / "付款.csv"
    paid = _cli(
        engine, tmp_path, "benefits", "rebate-payout", "--period", "2026-11", "--out", str(batch)
    )
    assert paid.returncode == 0, paid.stderr
    assert "1 rows, 26.01 yuan" in paid.stdout
    text = batch.read_bytes().decode("utf-8-sig").splitlines()
    assert text[0].startswith("批次号,单据类型,客户编号") and ",返利付款,C1,2026-11," in text[1]
    twice = _cli(
        engine,
        tmp_path,
        "benefits",
        "rebate-payout",
        "--period",
        "2026-11",
        "--out",
        str(tmp_path / "again.csv"),
    )
    assert twice.returncode != 0 and "nothing to pay" in twice.stderr
    assert len(twice.stderr.strip().splitlines()) == 1 and not (tmp_path / "again.csv").exists()
    bad = _cli(engine, tmp_path, "benefits", "rebate-accrue", "2026-13", "--lake", str(lake))
    assert bad.returncode != 0 and "'2026-13' is not a rebate period" in bad.stderr
    assert "Traceback" not in bad.stderr

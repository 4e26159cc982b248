"""`tierwise benefits redeem / show / usage` as a user runs them (R-OPS-2, issue 21): a GBK file
with Chinese headers, every row accepted or kept as refused with its reason."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import func, select

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

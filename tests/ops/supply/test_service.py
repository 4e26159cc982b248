"""Supply runs kept in the store (R-OPS-9, issue 27): the day's plan on the tiny book, its
tables read back, the proposal written as CSV and Excel."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, insert

from tierwise.errors import NotFoundError
from tierwise.ops.supply import service
from tierwise.ops.supply.forecast import ForecastConfig
from tierwise.ops.supply.policy import load_supply_policy
from tierwise.ops.supply.series import tier_on
from tierwise.store.migrate import upgrade
from tierwise.store.schema import CustomerTier, TierChange

from .conftest import END

POLICY = load_supply_policy()
SMALL = POLICY.model_copy(
    update={"forecast": POLICY.forecast.model_copy(update={"top_skus": 3, "history_weeks": 30})}
)
DAY = END - dt.timedelta(days=3)


def test_a_run_is_kept_and_read_back(engine: Engine, supply_book: Path, tmp_path: Path) -> None:
    upgrade(engine)
    lake = service.read_lake(supply_book / "lake")
    run_id, plan, alloc = service.run_plan(
        engine,
        lake,
        SMALL,
        as_of=DAY,
        actor="test",
        now=dt.datetime(2026, 10, 28, 6),
        cfg=ForecastConfig(n_estimators=20),
    )
    assert service.latest_run(engine) == run_id
    runs = service.runs(engine)
    assert runs.loc[0, "order_lines"] == len(plan.proposal) > 0
    prop = service.run_table(engine, run_id, "proposal")
    assert float(prop["amount"].astype(float).sum()) == pytest.approx(plan.proposal["amount"].sum())
    lv = service.run_table(engine, run_id, "levels")
    assert len(lv) == len(plan.levels) and lv["on_hand"].notna().any()
    fc = service.run_table(engine, run_id, "forecasts")
    assert set(fc["level"]) == set(service.SHOWN_LEVELS)
    # the history has actuals, the weeks ahead forecasts only
    ahead = fc[fc["week"] > plan.demand["ds"].max().date()]
    assert ahead["actual"].isna().all() and ahead["forecast"].notna().all()
    got = service.run_table(engine, run_id, "allocations")
    assert len(got) == len(alloc) > 0 and (got["allocated"] <= got["quantity"] + 1e-9).all()

    csv = service.write_proposal(plan.proposal, tmp_path / "po.csv")
    assert len(pd.read_csv(csv, encoding="utf-8-sig")) == len(plan.proposal)
    xlsx = service.write_proposal(plan.proposal, tmp_path / "po.xlsx")
    sheets = pd.read_excel(xlsx, sheet_name=None, engine="calamine")
    assert sum(len(s) for s in sheets.values()) == len(plan.proposal)
    assert len(sheets) == plan.proposal["supplier"].nunique()

    with pytest.raises(NotFoundError):
        service.run_table(engine, run_id + 1, "levels")


def test_the_tier_writer_s_history_becomes_held_periods(engine: Engine) -> None:
    upgrade(engine)
    t0 = dt.datetime(2026, 1, 1)
    with engine.begin() as conn:
        conn.execute(
            insert(TierChange),
            [
                {
                    "customer_id": "C1",
                    "from_tier": None,
                    "to_tier": "gold",
                    "changed_at": t0,
                    "effective": dt.date(2026, 1, 1),
                    "reason_code": "graded",
                },
                {
                    "customer_id": "C1",
                    "from_tier": "gold",
                    "to_tier": "platinum",
                    "changed_at": t0,
                    "effective": dt.date(2026, 4, 1),
                    "reason_code": "graded",
                },
                {
                    "customer_id": "C2",
                    "from_tier": None,
                    "to_tier": "silver",
                    "changed_at": t0,
                    "effective": dt.date(2026, 1, 1),
                    "reason_code": "graded",
                },
                {
                    "customer_id": "C2",
                    "from_tier": "silver",
                    "to_tier": None,
                    "changed_at": t0,
                    "effective": dt.date(2026, 3, 1),
                    "reason_code": "churned",
                },
            ],
        )
        conn.execute(
            insert(CustomerTier).values(
                customer_id="C1",
                tier="platinum",
                run_id="r",
                since=dt.date(2026, 4, 1),
                updated_at=t0,
            )
        )
    held = service.held_tiers_from_store(engine)
    got = {(r.customer_id, r.tier, r.valid_from, r.valid_until) for r in held.itertuples()}
    assert got == {
        ("C1", "gold", dt.date(2026, 1, 1), dt.date(2026, 4, 1)),
        ("C1", "platinum", dt.date(2026, 4, 1), service.FOREVER),
        ("C2", "silver", dt.date(2026, 1, 1), dt.date(2026, 3, 1)),
    }
    lines = pd.DataFrame(
        {
            "customer_id": ["C1", "C1", "C2"],
            "day": pd.to_datetime(["2026-02-01", "2026-05-01", "2026-03-05"]),
        }
    )
    assert list(tier_on(lines, held, default_tier="bronze")) == ["gold", "platinum", "bronze"]

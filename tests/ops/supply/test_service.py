"""Supply runs kept in the store (R-OPS-9, issue 27): the day's plan on the tiny book, its
tables read back, the proposal written as CSV and Excel."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from tierwise.errors import NotFoundError
from tierwise.ops.supply import service
from tierwise.ops.supply.forecast import ForecastConfig
from tierwise.ops.supply.policy import load_supply_policy
from tierwise.store.migrate import upgrade

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
        engine, lake, SMALL, as_of=DAY, actor="test", now=dt.datetime(2026, 10, 28, 6),
        cfg=ForecastConfig(n_estimators=20),
    )  # fmt: skip
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

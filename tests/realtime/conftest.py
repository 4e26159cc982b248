"""Fixtures of the real-time tests: a tiny lake, a published run, a store of each kind."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from tierwise.pipeline.publish import grade_and_publish
from tierwise.policy import Policy, parse_policy
from tierwise.realtime import Regrader
from tierwise.store.migrate import upgrade
from tinylake import ts, write_lake

AS_OF = dt.date(2025, 6, 30)

# score = 0.4 r + 0.3 min(orders, 5) + 0.3 min(spend // 1000, 5); customer ci has i orders of
# 500 yuan in June: c1 2.3, c2 2.9, c3 3.2, c4 3.8, c5 4.1, c6 4.4, c7 4.4, c8 4.7.
# Percentile tiers: gold {c6, c7, c8} (cutoff 4.4), silver {c5} (4.1), bronze c1..c4.
RFM_POLICY: dict[str, Any] = {
    "name": "rt-test",
    "entity": "outlet",
    "lookback_days": 365,
    "eligibility": {"when": "orders_lookback >= 1"},
    "score": {
        "method": "rfm_formula",
        "recency": "recency_days",
        "frequency": "orders_365d",
        "frequency_step": 1,
        "monetary": "spend_365d",
        "monetary_step": 1000,
    },
    "tiers": {
        "method": "percentile",
        "levels": [
            {"code": "gold", "label": {"zh": "金", "en": "Gold"}, "top": 0.25},
            {"code": "silver", "label": {"zh": "银", "en": "Silver"}, "top": 0.5},
            {"code": "bronze", "label": {"zh": "铜", "en": "Bronze"}},
        ],
    },
    "stability": {"downgrade_after_runs": 2, "max_steps_down": 1},
}


def lake_rows() -> dict[str, list[dict[str, Any]]]:
    customers = [{"customer_id": f"c{i}"} for i in range(1, 9)]
    orders = [
        {"order_id": f"L{i}-{k}", "customer_id": f"c{i}", "order_time": ts(2025, 6, 2 + 3 * k),
         "amount": 500}
        for i in range(1, 9)
        for k in range(i)
    ]  # fmt: skip
    return {"customers": customers, "orders": orders}


class Clock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(seconds=1)
        return self.now


@dataclass
class World:
    engine: Engine
    lake: Path
    runs: Path
    clock: Clock
    regrader: Regrader

    def publish(self, policy: Policy, as_of: dt.date = AS_OF) -> str:
        done = grade_and_publish(
            policy, as_of=as_of, lake=self.lake, runs=self.runs, engine=self.engine,
            clock=self.clock,
        )  # fmt: skip
        return done.result.run_id


def make_world(engine: Engine, tmp: Path, policy: dict[str, Any] = RFM_POLICY) -> World:
    upgrade(engine)
    lake = write_lake(tmp / "lake", lake_rows())
    clock = Clock(dt.datetime(2025, 7, 1, 8))
    w = World(engine, lake, tmp / "runs", clock, Regrader(engine, tmp / "runs", clock=clock))
    w.publish(parse_policy(policy, source="test"))
    return w


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> World:
    return make_world(engine, tmp_path)

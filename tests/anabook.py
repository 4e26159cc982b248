"""A tiny graded book for the analyses (R-ANA-4/6/8): a lake, two published runs, run folders.

Run 1 (as of 2025-05-31) gives first tiers; run 2 (as of 2025-06-30) upgrades ``up1`` (silver
→ gold) and ``b1`` (bronze → silver), downgrades ``down1`` (gold → silver), leaves
``ctrl1``, ``ctrl2`` (silver), ``bc1`` (bronze) and ``g1`` (gold) where they were and gives
``new1`` its first tier. The orders are those of tests/analytics/test_effect.py, whose
difference-in-differences is worked out by hand there.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sqlalchemy import Engine

from tierwise.store.migrate import upgrade
from tierwise.store.runs import Assignment, Cutoff, RunStore
from tierwise.tierstate.decide import StabilityRule
from tinylake import ts, write_lake

RUN_1, RUN_2 = "ana-run-1", "ana-run-2"
AS_OF_1, AS_OF_2 = dt.date(2025, 5, 31), dt.date(2025, 6, 30)
CUTOFFS = [Cutoff("gold", 0, 2.0), Cutoff("silver", 1, 1.0), Cutoff("bronze", 2, None)]
LABELS = {"gold": ("黄金", "Gold"), "silver": ("白银", "Silver"), "bronze": ("青铜", "Bronze")}
TIERS_1 = {
    "up1": "silver",
    "ctrl1": "silver",
    "ctrl2": "silver",
    "b1": "bronze",
    "bc1": "bronze",
    "down1": "gold",
    "g1": "gold",
}
TIERS_2 = {**TIERS_1, "up1": "gold", "b1": "silver", "down1": "silver", "new1": "gold"}
SCORE = {"gold": 2.5, "silver": 1.5, "bronze": 0.5}
ORDERS = [
    ("up1", ts(2025, 6, 10), 100),
    ("up1", ts(2025, 7, 10), 300),
    ("up1", ts(2025, 7, 31), 1000),
    ("up1", ts(2025, 5, 31), 700),
    ("ctrl1", ts(2025, 6, 5), 100),
    ("ctrl1", ts(2025, 7, 5), 150),
    ("ctrl2", ts(2025, 7, 20), 50),
    ("b1", ts(2025, 7, 2), 100),
    ("down1", ts(2025, 6, 15), 400),
    ("g1", ts(2025, 6, 20), 200),
    ("g1", ts(2025, 7, 20), 200),
    ("new1", ts(2025, 7, 1), 9999),
]


def write_run_folder(runs: Path, run_id: str, as_of: dt.date) -> None:
    d = runs / run_id
    d.mkdir(parents=True, exist_ok=True)
    levels = [{"code": c, "label": {"zh": z, "en": e}} for c, (z, e) in LABELS.items()]
    policy = {
        "name": "ana",
        "lookback_days": 90,
        "tiers": {"method": "threshold", "levels": levels},
    }
    record = {"run_id": run_id, "as_of": as_of.isoformat(), "policy": policy}
    (d / "run.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")


def build(home: Path, engine: Engine) -> Path:
    """Lake under ``home/lake``, both runs published in ``engine``, run folders in
    ``home/runs``; returns the lake."""
    lake = write_lake(
        home / "lake",
        {
            "customers": [
                {"customer_id": c, "account_manager": "AM003" if c in ("up1", "g1") else "am1"}
                for c in TIERS_2
            ],
            "orders": [
                {"order_id": f"o{i}", "customer_id": c, "order_time": t, "amount": a}
                for i, (c, t, a) in enumerate(ORDERS)
            ],
        },
    )
    upgrade(engine)
    store = RunStore(engine)
    rule = StabilityRule(downgrade_after_runs=1)
    for k, (run_id, as_of, tiers) in enumerate(
        ((RUN_1, AS_OF_1, TIERS_1), (RUN_2, AS_OF_2, TIERS_2)), start=1
    ):
        store.begin(
            run_id,
            policy_name="ana",
            policy_hash="0" * 64,
            as_of=as_of,
            data_fingerprint="f" * 64,
            started_at=dt.datetime(2025, 7, k, 3, 0),
        )
        store.publish(
            run_id,
            [Assignment(c, t, SCORE[t]) for c, t in tiers.items()],
            CUTOFFS,
            rule=rule,
            now=dt.datetime(2025, 7, k, 3, 5),
        )
        write_run_folder(home / "runs", run_id, as_of)
    return lake

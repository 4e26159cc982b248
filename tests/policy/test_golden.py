"""Golden cases computed by hand from the seeds' tables and formulas (tests/data/golden).

Each YAML file holds input rows (raw orders run through the whole grading run, or feature
rows given directly to the policy engine), a policy, and the expected tiers, scores,
layers, cutoffs and upgrade paths.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import yaml

from gradeframe import grade_rows
from tierwise.grading.run import run_grading
from tierwise.policy import load_policy, parse_policy
from tierwise.policy.schema import Policy
from tierwise.policy.tiering import Cutoff
from tinylake import write_lake

GOLDEN = Path(__file__).resolve().parent.parent / "data" / "golden"
CASES = sorted(GOLDEN.glob("*.yaml"))


def _policy(case: dict[str, Any], root: Path) -> Policy:
    p = case["policy"]
    return load_policy(root / p) if isinstance(p, str) else parse_policy(p, source="golden")


def _from_lake(
    case: dict[str, Any], policy: Policy, tmp: Path
) -> tuple[dict[str, Any], list[Cutoff]]:
    as_of = case["as_of"]
    customers, orders = [], []
    for cid, n, amount, last, gap in case["order_runs"]:
        customers.append({"customer_id": cid})
        for k in range(n):
            day = as_of - dt.timedelta(days=last + k * gap)
            t = dt.datetime.combine(day, dt.time(10))
            orders.append(
                {"order_id": f"{cid}-{k}", "customer_id": cid, "order_time": t, "amount": amount}
            )
    customers += [{"customer_id": c} for c in case.get("customers_without_orders", [])]
    lake = write_lake(tmp / "lake", {"customers": customers, "orders": orders})
    result = run_grading(
        policy, as_of=as_of, lake=lake, runs=tmp / "runs", now=dt.datetime(2026, 1, 1)
    )
    rows = pq.read_table(result.path / "assignments.parquet").to_pylist()
    return {r["entity_id"]: r for r in rows}, result.cutoffs


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_golden(path: Path, tmp_path: Path, repo_root: Path) -> None:
    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    policy = _policy(case, repo_root)
    if "order_runs" in case:
        out, cutoffs = _from_lake(case, policy, tmp_path)
    else:
        rows = [{**case.get("defaults", {}), **r} for r in case["features"]]
        out, cutoffs = grade_rows(rows, policy)
    assert set(out) == set(case["expected"])
    for eid, want in case["expected"].items():
        got = out[eid]
        assert got["status"] == want.get("status", "graded"), eid
        for key, value in want.items():
            if isinstance(value, float | int) and not isinstance(value, bool):
                assert got[key] == pytest.approx(value, abs=1e-9), (eid, key)
            else:
                assert got[key] == value, (eid, key)
    if "cutoffs" in case:
        assert {c.tier: c.min_score for c in cutoffs} == pytest.approx(case["cutoffs"])
    for eid, want in case.get("upgrade", {}).items():
        for key, value in want.items():
            if isinstance(value, float | int):
                assert out[eid][key] == pytest.approx(value, abs=1e-9), (eid, key)
            else:
                assert out[eid][key] == value, (eid, key)


def test_every_golden_case_has_expectations() -> None:
    assert len(CASES) >= 4
    for path in CASES:
        case = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert case["expected"], path

"""`tierwise visits plan | day | checkin | checkout | adherence` as a manager's office runs
them (R-OPS-8, issue 26)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import insert, select

from tierwise.settings import Settings
from tierwise.store.db import make_engine
from tierwise.store.migrate import upgrade
from tierwise.store.runs import Assignment, Cutoff, RunStore
from tierwise.store.schema import CustomerProfile, VisitStop
from tierwise.tierstate.decide import StabilityRule

from .test_runs import tierwise

IDS = [f"C{i:07d}" for i in range(1, 7)]


def _seed(home: Path) -> None:
    engine = make_engine(Settings(home=home).state_url)
    upgrade(engine)
    store = RunStore(engine)
    store.begin("r1", policy_name="p", policy_hash="h", as_of=dt.date(2026, 2, 27),
                data_fingerprint="f", started_at=dt.datetime(2026, 2, 27))  # fmt: skip
    import tierwise.pipeline  # noqa: F401  (wires the visits hook, as in production)

    store.publish("r1", [Assignment(c, "platinum", 90.0) for c in IDS],
                  [Cutoff("platinum", 0, 70.0), Cutoff("bronze", 1, None)],
                  rule=StabilityRule(), now=dt.datetime(2026, 2, 27))  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(CustomerProfile), [
            {"customer_id": c, "name": c, "account_manager": "AM001",
             "refreshed_at": dt.datetime(2026, 2, 27), "signup_date": dt.date(2024, 1, 1)}
            for c in IDS])  # fmt: skip
    engine.dispose()
    lake = home / "lake"
    (lake / "outlet_locations").mkdir(parents=True)
    (lake / "account_managers").mkdir(parents=True)
    pq.write_table(pa.table({"customer_id": IDS,
                             "latitude": [31.0] * 6,
                             "longitude": [121.0 + 0.01 * i for i in range(6)]}),
                   lake / "outlet_locations" / "part-0.parquet")  # fmt: skip
    pq.write_table(pa.table({"manager_id": ["AM001"], "name": ["王"], "territory": ["上海市"],
                             "capacity_per_day": pa.array([4], pa.int32())}),
                   lake / "account_managers" / "part-0.parquet")  # fmt: skip


def _visit_ids(home: Path) -> list[int]:
    engine = make_engine(Settings(home=home).state_url)
    with engine.connect() as conn:
        ids = [r[0] for r in conn.execute(select(VisitStop.id).order_by(VisitStop.seq))]
    engine.dispose()
    return ids


def test_plan_route_check_in_out_and_adherence(tmp_path: Path) -> None:
    _seed(tmp_path)
    # 2026-03-09 is a Monday: everyone's first weekly visit falls within the week
    planned = tierwise("visits", "plan", "--day", "2026-03-13", home=tmp_path)
    assert planned.returncode == 0, planned.stderr
    assert "2026-03-13: 4 visits planned, 2 due but over capacity" in planned.stdout
    # six weekly visits over five working days against four a day: no shortfall warning
    assert "warning" not in planned.stdout
    day = tierwise("visits", "day", "AM001", "--day", "2026-03-13", home=tmp_path)
    assert day.returncode == 0, day.stderr
    assert "09:" in day.stdout and day.stdout.count("planned") == 4
    first = _visit_ids(tmp_path)[0]
    far = tierwise("visits", "checkin", str(first), "--lat", "31.2", "--lon", "121.0",
                   home=tmp_path)  # fmt: skip
    assert far.returncode == 0, far.stderr
    assert "flagged: beyond 500 m" in far.stdout
    out = tierwise("visits", "checkout", str(first), "--outcome", "ordered", "--note", "下单",
                   home=tmp_path)  # fmt: skip
    assert out.returncode == 0 and f"visit {first} done: ordered" in out.stdout
    adh = tierwise("visits", "adherence", "--from", "2026-03-13", "--to", "2026-03-13",
                   home=tmp_path)  # fmt: skip
    assert adh.returncode == 0, adh.stderr
    assert "AM001" in adh.stdout and "platinum" in adh.stdout and "100%" in adh.stdout


def test_visit_errors_are_one_line_and_a_non_zero_exit(tmp_path: Path) -> None:
    _seed(tmp_path)
    assert tierwise("visits", "plan", "--day", "2026-03-13", home=tmp_path).returncode == 0
    first = _visit_ids(tmp_path)[0]
    cases = [
        (("visits", "checkin", "999", "--lat", "31", "--lon", "121"), "there is no visit 999"),
        (("visits", "checkin", str(first), "--lat", "91", "--lon", "121"),
         "are not WGS-84 coordinates"),
        (("visits", "checkout", str(first), "--outcome", "ordered"), "check in before"),
        (("visits", "plan", "--day", "13/03/2026"), "--day '13/03/2026' is not a date"),
    ]  # fmt: skip
    for args, message in cases:
        done = tierwise(*args, home=tmp_path)
        assert done.returncode != 0, args
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], (args, done.stderr)

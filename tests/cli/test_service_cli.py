"""`tierwise service queue / breaches / delivery-list / level` as a user runs them (R-OPS-1,
issue 21 item 3): VIP tickets first, breaches per tier, the warehouse's file with Chinese
headers, and one clear line with a non-zero exit on bad input."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pyarrow as pa

import tierwise.pipeline
from tierwise.lake import write_parquet_atomic
from tierwise.model.arrow import arrow_schema
from tierwise.model.tables import ORDERS, TICKETS
from tierwise.ops.benefits.decide import BenefitPlan, PlanBenefit
from tierwise.ops.benefits.ledger import store_plan
from tierwise.settings import Settings
from tierwise.store.db import make_engine
from tierwise.store.migrate import upgrade
from tierwise.store.runs import Assignment, Cutoff, RunStore
from tierwise.tierstate.decide import StabilityRule

from .test_runs import tierwise

T = dt.datetime
PLAN = BenefitPlan(
    ("gold", "bronze"),
    {
        "gold": (
            PlanBenefit("service_level", "service_level",
                        {"level": "dedicated", "channel": "account_manager", "response_hours": 2}),
            PlanBenefit("delivery_priority", "delivery_priority", {"priority": 1, "slot": "morning"}),
        ),
        "bronze": (
            PlanBenefit("service_level", "service_level",
                        {"level": "basic", "channel": "app", "response_hours": 48}),
        ),
    },
)  # fmt: skip


def _table(schema: pa.Schema, rows: list[tuple[object, ...]]) -> pa.Table:
    cols = list(zip(*rows, strict=True))
    return pa.table({f.name: pa.array(c, f.type) for f, c in zip(schema, cols, strict=True)})


def _seed(home: Path) -> None:
    engine = make_engine(Settings(home=home).state_url)
    upgrade(engine)
    store_plan(engine, "h", "p", PLAN, T(2026, 11, 1))
    store = RunStore(engine)
    store.begin("r1", policy_name="p", policy_hash="h", as_of=dt.date(2026, 10, 31),
                data_fingerprint="f", started_at=T(2026, 11, 1))  # fmt: skip
    store.publish(
        "r1",
        [Assignment("C1", "gold", 90.0), Assignment("C2", "bronze", 10.0)],
        [Cutoff("gold", 0, 50.0), Cutoff("bronze", 1, None)],
        rule=StabilityRule(),
        now=T(2026, 11, 1, 3),
    )
    engine.dispose()
    lake = home / "lake"
    write_parquet_atomic(_table(arrow_schema(TICKETS), [
        ("K1", "C2", T(2026, 11, 10, 1), "complaint", 3, "quality", None, None),
        ("K2", "C1", T(2026, 11, 10, 11), "complaint", 1, "delivery", None, None),
        ("K3", "C1", T(2026, 11, 5, 9), "inquiry", 1, "price", T(2026, 11, 5, 15), "resolved"),
    ]), lake / "tickets" / "part-0.parquet")  # fmt: skip
    names = ("order_id", "customer_id", "order_time", "channel", "amount")
    write_parquet_atomic(_table(pa.schema([arrow_schema(ORDERS).field(n) for n in names]), [
        ("O1", "C2", T(2026, 11, 10, 7), "app", Decimal("80.00")),
        ("O2", "C1", T(2026, 11, 10, 9), "app", Decimal("120.50")),
    ]), lake / "orders" / "part-0.parquet")  # fmt: skip


def test_queue_breaches_delivery_list_and_level(tmp_path: Path) -> None:
    _seed(tmp_path)
    q = tierwise("service", "queue", "--at", "2026-11-10T12:00", home=tmp_path)
    assert q.returncode == 0, q.stderr
    assert "2 open, 0 overdue" in q.stdout
    assert q.stdout.index("K2") < q.stdout.index("K1")  # dedicated before basic, though newer
    b = tierwise("service", "breaches", "--from", "2026-11-01", "--to", "2026-12-01",
                 "--at", "2026-11-10T12:00", home=tmp_path)  # fmt: skip
    assert b.returncode == 0, b.stderr
    gold = next(ln for ln in b.stdout.splitlines() if " gold " in ln)
    assert "100.0%" in gold  # K3 took 6 h against 2 h; K2 is 1 h old: the one breach is gold's
    out = tmp_path / "配送.csv"
    d = tierwise("service", "delivery-list", "--day", "2026-11-10", "--out", str(out),
                 home=tmp_path)  # fmt: skip
    assert d.returncode == 0, d.stderr
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0][:2] == ["序号", "客户编号"]
    assert [r[1] for r in rows[1:]] == ["C1", "C2"]  # priority 1 (morning) first
    lv = tierwise("service", "level", "C1", "--day", "2026-11-10", home=tmp_path)
    assert lv.returncode == 0 and "dedicated" in lv.stdout and "2 h" in lv.stdout


def test_bad_input_is_one_line_and_a_non_zero_exit(tmp_path: Path) -> None:
    _seed(tmp_path)
    for args, says in [
        (("service", "queue", "--kind", "praise"), "--kind 'praise' is not a ticket kind"),
        (("service", "queue", "--at", "yesterday"), "--at 'yesterday' is not a moment"),
        (("service", "breaches", "--from", "2026-12-01", "--to", "2026-11-01"), "is not after"),
        (("service", "delivery-list", "--day", "2026-11-10", "--out", "x.txt"), "not a .csv"),
        (("service", "level", "NOBODY"), "no customer 'NOBODY'"),
    ]:
        r = tierwise(*args, home=tmp_path)
        assert r.returncode != 0, args
        assert says in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr

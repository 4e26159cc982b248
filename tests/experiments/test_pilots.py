"""City pilots (灰度, R-GRD-11): matched controls, difference in differences, placebo, decision."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Engine, select

from tierwise.errors import ConflictError, DataError, UsageError
from tierwise.experiments import pilots
from tierwise.store.migrate import upgrade
from tierwise.store.schema import OutboxMessage
from tierwise.store.webhooks import register_webhook
from tinylake import write_lake

START = dt.date(2026, 3, 1)
NOW = dt.datetime(2026, 2, 27, 8)
# city → outlet level of margin; 广州市 is far from 成都市, so the match is 重庆市
CITIES = {"成都市": 1000.0, "重庆市": 1050.0, "广州市": 3000.0, "西安市": 1200.0}


def _lake(path: Path, effect: float) -> Path:
    rng = np.random.default_rng(0)
    customers: list[dict[str, Any]] = []
    orders: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    days = [dt.date(2026, 1, 5), dt.date(2026, 2, 5), dt.date(2026, 3, 5)]
    for city, level in CITIES.items():
        for i in range(120):
            cid = f"{city[:1]}{i:03d}"
            customers.append({"customer_id": cid, "city": city})
            own = level + rng.normal(0, 200)
            for k, day in enumerate(days):
                margin = own + 30 * k + rng.normal(0, 100)  # a common trend
                if city == "成都市" and k == 2:
                    margin += effect
                oid = f"{cid}-{k}"
                orders.append(
                    {
                        "order_id": oid,
                        "customer_id": cid,
                        "amount": margin * 3,
                        "order_time": dt.datetime.combine(day, dt.time(9)),
                    }
                )
                lines.append({"order_id": oid, "amount": margin * 3, "cost": margin * 2})
    return write_lake(path, {"customers": customers, "orders": orders, "order_lines": lines})


def test_a_pilot_recovers_the_injected_city_effect_and_passes_its_placebo(
    engine: Engine, tmp_path: Path
) -> None:
    upgrade(engine)
    lake = _lake(tmp_path / "lake", effect=150.0)
    p = pilots.create(
        engine,
        lake,
        code="kl-cd",
        policy="kuailv-2027",
        pilot_cities=["成都市"],
        control_cities=None,
        start=START,
        days=28,
        actor="user:a",
        now=NOW,
    )
    assert p["control_cities"] == ["重庆市"]  # the closest pre-period trend
    r = pilots.analyse(engine, "kl-cd", lake, as_of=dt.date(2026, 3, 28))
    assert r["effect"]["ci_low"] <= 150.0 <= r["effect"]["ci_high"]
    assert r["effect"]["ci_low"] > 0
    assert r["placebo"]["passed"]
    assert pilots.get(engine, "kl-cd")["result"]["effect"]["effect"] == r["effect"]["effect"]


def test_promote_or_roll_back_is_one_audited_action(engine: Engine, tmp_path: Path) -> None:
    upgrade(engine)
    register_webhook(
        engine,
        name="erp",
        url="http://erp.example/h",
        secret="k" * 32,
        now=NOW,
        events=("pilot.decided",),
    )
    lake = _lake(tmp_path / "lake", effect=0.0)
    pilots.create(
        engine,
        lake,
        code="p1",
        policy="new",
        pilot_cities=["成都市"],
        control_cities=["西安市"],
        start=START,
        days=28,
        actor="user:a",
        now=NOW,
    )
    with pytest.raises(UsageError, match="needs a note"):
        pilots.decide(engine, "p1", "promote", actor="user:a", now=NOW, note=" ")
    row = pilots.decide(engine, "p1", "rollback", actor="user:a", now=NOW, note="no lift")
    assert row["status"] == "rolled_back" and row["decided_by"] == "user:a"
    assert [e["action"] for e in row["log"]] == ["create", "rollback"]
    with engine.connect() as conn:
        (payload,) = conn.execute(select(OutboxMessage.payload)).scalars()
    assert payload["decision"] == "rolled_back" and payload["policy"] == "new"
    with pytest.raises(ConflictError, match="already rolled_back"):
        pilots.decide(engine, "p1", "promote", actor="user:a", now=NOW, note="changed my mind")


def test_bad_pilots_are_refused_with_the_reason(engine: Engine, tmp_path: Path) -> None:
    upgrade(engine)
    lake = _lake(tmp_path / "lake", effect=0.0)
    kw: dict[str, Any] = {"policy": "x", "start": START, "days": 28, "actor": "a", "now": NOW}
    with pytest.raises(DataError, match="city '火星市' has no outlets"):
        pilots.create(engine, lake, code="a", pilot_cities=["火星市"], control_cities=None, **kw)
    with pytest.raises(UsageError, match="one or two cities"):
        pilots.create(
            engine,
            lake,
            code="b",
            pilot_cities=["成都市", "重庆市", "西安市"],
            control_cities=None,
            **kw,
        )
    with pytest.raises(UsageError, match="both a pilot and a control"):
        pilots.create(
            engine, lake, code="c", pilot_cities=["成都市"], control_cities=["成都市"], **kw
        )

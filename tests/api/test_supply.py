"""``/supply`` through HTTP (R-OPS-9, issue 27): a kept run's proposal, levels, forecasts,
allocations and exclusions read back as JSON and the proposal as CSV; roles without
``supply.read`` refused; an unknown run is 404."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import insert

from tierwise.api.access import Role
from tierwise.store.schema import (
    SupplyAllocation,
    SupplyExclusion,
    SupplyForecast,
    SupplyLevel,
    SupplyOrderLine,
    SupplyRun,
)

from .conftest import Book, auth


def _seed(book: Book) -> int:
    with book.engine.begin() as conn:
        rid = conn.execute(
            insert(SupplyRun)
            .values(
                as_of=dt.date(2026, 10, 28),
                policy="supply-default",
                skus=1,
                series=9,
                created_at=dt.datetime(2026, 10, 28, 6),
                created_by="test",
            )
            .returning(SupplyRun.id)
        ).scalar_one()
        conn.execute(
            insert(SupplyOrderLine).values(
                run_id=rid,
                po_id="RP202610280001",
                sku="HG0001",
                supplier="重庆蜀香食品有限公司",
                warehouse_id="WH01",
                quantity=12.0,
                unit_cost=Decimal("12.75"),
                amount=Decimal("153.00"),
                expected_date=dt.date(2026, 11, 2),
                reason="position 3 ≤ reorder point 5.0; up to 14.2 (platinum service level)",
            )
        )
        conn.execute(
            insert(SupplyLevel).values(
                run_id=rid,
                sku="HG0001",
                warehouse_id="WH01",
                category="火锅食材",
                on_hand=3.0,
                position=3.0,
                mean_daily=1.5,
                cover_days=2.0,
                safety_stock=2.2,
                reorder_point=5.0,
                order_up_to=14.2,
                binding_tier="platinum",
            )
        )
        conn.execute(
            insert(SupplyForecast).values(
                run_id=rid,
                level="tier",
                series="platinum",
                week=dt.date(2026, 11, 2),
                actual=None,
                forecast=40.5,
            )
        )
        conn.execute(
            insert(SupplyAllocation).values(
                run_id=rid,
                order_id="SO1",
                customer_id="C0000002",
                tier="bronze",
                sku="HG0001",
                warehouse_id="WH01",
                quantity=4.0,
                allocated=2.0,
                reason="short: higher tiers served first; 50% fairness floor kept",
            )
        )
        conn.execute(
            insert(SupplyExclusion).values(
                run_id=rid,
                sku="HG0002",
                warehouse_id="WH01",
                kind="no_lead_time",
                reason="no lead time",
            )
        )
    return int(rid)


def test_a_run_read_back_and_refused_to_marketing(client: TestClient, book: Book) -> None:
    rid = _seed(book)
    h = auth(Role.ANALYST)
    runs = client.get("/supply/runs", headers=h).json()
    assert runs[0]["run_id"] == rid and runs[0]["order_lines"] == 1
    assert runs[0]["amount"] == 153.0
    prop = client.get(f"/supply/runs/{rid}/proposal", headers=h).json()
    assert prop[0]["po_id"] == "RP202610280001" and prop[0]["unit_cost"] == 12.75
    lv = client.get(f"/supply/runs/{rid}/levels", headers=h).json()
    assert lv[0]["binding_tier"] == "platinum" and lv[0]["cover_days"] == 2.0
    fc = client.get(f"/supply/runs/{rid}/forecasts", headers=h).json()
    assert fc == [{"level": "tier", "series": "platinum", "week": "2026-11-02",
                   "actual": None, "forecast": 40.5}]  # fmt: skip
    al = client.get(f"/supply/runs/{rid}/allocations", headers=h).json()
    assert al[0]["allocated"] == 2.0 and "fairness floor" in al[0]["reason"]
    ex = client.get(f"/supply/runs/{rid}/exclusions", headers=h).json()
    assert ex[0]["kind"] == "no_lead_time"
    csv = client.get(f"/supply/runs/{rid}/proposal.csv", headers=h)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "重庆蜀香食品有限公司" in csv.content.decode("utf-8-sig")
    assert client.get(f"/supply/runs/{rid + 99}/levels", headers=h).status_code == 404
    assert client.get("/supply/runs", headers=auth(Role.MARKETING)).status_code == 403

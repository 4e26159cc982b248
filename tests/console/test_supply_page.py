"""供应链 in the console (R-OPS-9, issue 27): forecast vs actual per category and tier, stock
cover, proposed orders and allocations with their reasons, in Chinese by default and in
English; closed to account managers and customers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import insert

from tierwise.store.db import make_engine, sqlite_url
from tierwise.store.schema import (
    SupplyAllocation,
    SupplyExclusion,
    SupplyForecast,
    SupplyLevel,
    SupplyOrderLine,
    SupplyRun,
)

from .conftest import Site
from .test_codes import sign_in
from .test_words import english_words


def _run(site: Site) -> int:
    engine = make_engine(sqlite_url(site.home / "state.db"))
    weeks = [dt.date(2026, 10, 5) + dt.timedelta(weeks=i) for i in range(6)]
    with engine.begin() as conn:
        rid = int(
            conn.execute(
                insert(SupplyRun)
                .values(
                    as_of=dt.date(2026, 11, 2),
                    policy="supply-default",
                    skus=1,
                    series=9,
                    created_at=dt.datetime(2026, 11, 2, 6),
                    created_by="test",
                )
                .returning(SupplyRun.id)
            ).scalar_one()
        )
        fc = []
        for level, series in (("category", "火锅食材"), ("tier", "platinum"), ("tier", "bronze")):
            for i, w in enumerate(weeks):
                past = i < 4
                fc.append(
                    {
                        "run_id": rid,
                        "level": level,
                        "series": series,
                        "week": w,
                        "actual": 100.0 + i if past else None,
                        "forecast": None if past else 98.5,
                    }
                )
        conn.execute(insert(SupplyForecast), fc)
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
            insert(SupplyOrderLine).values(
                run_id=rid,
                po_id="RP202611020001",
                sku="HG0001",
                supplier="重庆蜀香食品有限公司",
                warehouse_id="WH01",
                quantity=12.0,
                unit_cost=Decimal("12.75"),
                amount=Decimal("153.00"),
                expected_date=dt.date(2026, 11, 5),
                reason="position 3 ≤ reorder point 5.0; up to 14.2 (platinum service level)",
            )
        )
        conn.execute(
            insert(SupplyAllocation),
            [
                {
                    "run_id": rid,
                    "order_id": "SO1",
                    "customer_id": "C0000002",
                    "tier": "bronze",
                    "sku": "HG0001",
                    "warehouse_id": "WH01",
                    "quantity": 4.0,
                    "allocated": 2.0,
                    "reason": "short: higher tiers served first; 50% fairness floor kept",
                },
                {
                    "run_id": rid,
                    "order_id": "SO2",
                    "customer_id": "C0000003",
                    "tier": "platinum",
                    "sku": "HG0001",
                    "warehouse_id": "WH01",
                    "quantity": 1.0,
                    "allocated": 1.0,
                    "reason": "short: served in full by tier priority (platinum)",
                },
            ],
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
    engine.dispose()
    return rid


def test_forecasts_cover_orders_and_allocations_in_both_languages(site: Site) -> None:
    rid = _run(site)
    analyst = sign_in(site, "analyst")
    page = analyst.get("/console/supply", params={"run": rid, "lang": "zh"})
    assert page.status_code == 200
    text = page.text
    assert "各品类需求：实际与预测" in text and text.count('class="fc-row"') == 3
    assert "98" in text and "103" in text  # a forecast week and the last actual week
    assert 'class="level-row"' in text and "RP202611020001" in text
    assert "库存位置 3.0 不高于再订货点 5.0" in text
    assert "缺货：高等级优先，保留公平底线" in text and "缺货：按等级优先全部满足" in text
    assert "没有采购周期" in text and "1 行未足量" in text
    assert not english_words(text)
    en = analyst.get("/console/supply", params={"run": rid, "lang": "en"}).text
    assert "Proposed purchase orders" in en and "fairness floor kept" in en
    assert sign_in(site, "sales").get("/console/supply").status_code == 403
    assert sign_in(site, "shop").get("/console/supply").status_code == 403

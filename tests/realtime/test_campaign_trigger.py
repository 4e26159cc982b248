"""A real-time regrade that changes a tier sends the active ``tier_change`` campaigns in its
transaction (R-OPS-6, issue 24; docs/campaigns.md): one order that upgrades c1 queues its
message (or records it in the holdout), and the same event again sends nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, insert, select

from conftest import make_world
from tierwise.ops.campaigns import service
from tierwise.realtime import OrderEvent
from tierwise.store.schema import Audience, CampaignSend, OutboxMessage
from tierwise.store.webhooks import register_webhook


def test_a_regrade_upgrade_triggers_the_campaign_once(engine: Engine, tmp_path: Path) -> None:
    world = make_world(engine, tmp_path)
    now = world.clock.now
    with engine.begin() as conn:
        conn.execute(
            insert(Audience).values(
                name="everyone", version=1, kind="audience", title_zh="全部", title_en="All",
                expression="true", author="t", created_at=now,
            )
        )  # fmt: skip
    register_webhook(engine, name="sms-gw", url="http://gw/in", secret="s" * 32, now=now,
                     events=(service.MESSAGE_EVENT,))  # fmt: skip
    spec = {
        "name": "welcome-silver", "audience": "everyone",
        "schedule": {"kind": "triggered", "event": "tier_change", "to_tier": "silver"},
        "channels": ["task"], "content": {"variants": {"default": "{name} 升级 {tier}"}},
        "budget": 100,
    }  # fmt: skip
    service.create_campaign(engine, spec, today=now.date(), actor="t", now=now)
    big = OrderEvent(order_id="N1", customer_id="c1", order_time=dt.datetime(2025, 7, 1, 9),
                     amount=Decimal(9000))  # fmt: skip
    world.regrader.ingest([big])
    world.regrader.ingest([big])  # a duplicate event: no second tier change, no second send

    with engine.connect() as conn:
        rows = conn.execute(select(CampaignSend.customer_id, CampaignSend.arm,
                                   CampaignSend.status, CampaignSend.tier)).all()  # fmt: skip
        messages = conn.execute(
            select(OutboxMessage.payload).where(OutboxMessage.event_type == service.MESSAGE_EVENT)
        ).scalars().all()  # fmt: skip
    assert len(rows) == 1 and rows[0].customer_id == "c1" and rows[0].tier == "silver"
    if rows[0].arm == "holdout":
        assert rows[0].status == "holdout" and messages == []
    else:
        assert rows[0].status == "send"
        assert [(m["customer_id"], m["channel"]) for m in messages] == [("c1", "task")]

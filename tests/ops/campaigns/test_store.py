"""Campaigns in the store (R-OPS-6, issue 24): a wave decided, recorded and queued through
the webhook outbox in one transaction; refusals write nothing; the cap holds across
campaigns; callbacks recorded once; coupons redeemed once; a provider outage of an hour
loses no message and gets none twice."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import httpx
import pandas as pd
import pytest
from sqlalchemy import Engine, func, insert, select

from tierwise.errors import ConfigError, ConflictError, DataError
from tierwise.experiments.campaigns import member_frame
from tierwise.ops.campaigns import service
from tierwise.ops.campaigns.spec import parse_campaign_policy
from tierwise.store.migrate import upgrade
from tierwise.store.schema import (
    Audience,
    CampaignCoupon,
    CampaignSend,
    CustomerProfile,
    CustomerTier,
    OutboxMessage,
)
from tierwise.store.webhooks import Deliverer, register_webhook

NOW = dt.datetime(2026, 12, 8, 3)  # 11:00 in Shanghai
POLICY = parse_campaign_policy(
    {"name": "t", "frequency_cap": {"messages": 1, "days": 7}, "tier_labels": {"gold": "黄金"}}
)
IDS = [f"C{i:03d}" for i in range(60)]


def campaign(name: str, **over: Any) -> dict[str, Any]:
    base = {
        "name": name, "audience": "everyone",
        "schedule": {"kind": "once", "start": "2026-12-08"}, "channels": ["sms"],
        "content": {"layer": "preference", "variants": {
            "default": "{name}您好,{tier}专享", "hotpot": "{name}:火锅季{progress}"}},
        "coupon": {"gold": {"kind": "amount", "value": 20, "threshold": 300}},
        "budget": 1000, "holdout_share": 0.2,
    }  # fmt: skip
    return {**base, **over}


@pytest.fixture
def store(engine: Engine) -> Engine:
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(CustomerTier),
            [{"customer_id": c, "tier": "gold" if i % 2 else "bronze", "score": 1.0,
              "run_id": "r", "since": dt.date(2026, 1, 1), "updated_at": NOW}
             for i, c in enumerate(IDS)],
        )  # fmt: skip
        conn.execute(
            insert(CustomerProfile),
            [{"customer_id": c, "account_id": f"A{i // 2}", "name": f"店{i}",
              "layers": {"preference": "hotpot" if i % 3 == 0 else "bbq"},
              "upgrade": {"next_tier": "gold", "needs": {"spend_365d": 800}},
              "refreshed_at": NOW} for i, c in enumerate(IDS)],
        )  # fmt: skip
        conn.execute(
            insert(Audience).values(
                name="everyone",
                version=1,
                kind="audience",
                title_zh="全部",
                title_en="All",
                expression="true",
                author="t",
                created_at=NOW,
            )
        )
    return engine


def members(ids: list[str] = IDS) -> pd.DataFrame:
    return pd.DataFrame({"customer_id": ids})


def hook(engine: Engine) -> int:
    return register_webhook(engine, name="sms-gw", url="http://gw/in", secret="s" * 32, now=NOW,
                            events=(service.MESSAGE_EVENT,))  # fmt: skip


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_a_wave_is_queued_through_the_outbox_and_holdout_never_messaged(store: Engine) -> None:
    hook(store)
    service.create_campaign(store, campaign("c1"), today=NOW.date(), actor="ops", now=NOW)
    res = service.send_wave(store, "c1", members(), POLICY, now=NOW)
    assert sum(res.counts.values()) == len(IDS) and res.counts["holdout"] > 0
    assert res.messages == res.counts["send"] == count(store, OutboxMessage)
    with store.connect() as conn:
        sends = pd.DataFrame(conn.execute(select(CampaignSend)).mappings().all())
        msgs = [r[0] for r in conn.execute(select(OutboxMessage.payload))]
        n_coupons = conn.execute(select(func.count()).select_from(CampaignCoupon)).scalar_one()
    held = set(sends.loc[sends["arm"] == "holdout", "customer_id"])
    assert held and not held & {m["customer_id"] for m in msgs}
    assert sends.groupby("account_id")["arm"].nunique().max() == 1
    gold_sent = sends[(sends["status"] == "send") & (sends["tier"] == "gold")]
    assert n_coupons == len(gold_sent) == res.coupons
    by_id = {m["customer_id"]: m for m in msgs}
    hot = next(m for c, m in by_id.items() if int(c[1:]) % 3 == 0)
    assert hot["variant"] == "hotpot" and "距黄金还差 800 元消费" in hot["text"]
    plain = next(m for c, m in by_id.items() if int(c[1:]) % 3 and int(c[1:]) % 2)
    assert plain["text"] == f"店{int(plain['customer_id'][1:])}您好,黄金专享"
    assert plain["coupon"]["threshold"] == 300 and plain["coupon"]["code"].startswith("TW")
    with pytest.raises(ConflictError, match="runs once"):
        service.send_wave(store, "c1", members(), POLICY, now=NOW)


def test_refusals_write_nothing(store: Engine) -> None:
    service.create_campaign(store, campaign("c1"), today=NOW.date(), actor="ops", now=NOW)
    with pytest.raises(ConfigError, match="no active webhook"):
        service.send_wave(store, "c1", members(), POLICY, now=NOW)
    hook(store)
    with pytest.raises(DataError, match="no members"):
        service.send_wave(store, "c1", members([]), POLICY, now=NOW)
    with pytest.raises(ConflictError, match="starts on"):
        service.send_wave(store, "c1", members(), POLICY, now=NOW - dt.timedelta(days=1))
    service.set_status(store, "c1", "paused")
    with pytest.raises(ConflictError, match="paused"):
        service.send_wave(store, "c1", members(), POLICY, now=NOW)
    assert count(store, CampaignSend) == count(store, OutboxMessage) == 0
    assert count(store, CampaignCoupon) == 0


def test_cap_across_campaigns_opt_outs_and_budget(store: Engine) -> None:
    hook(store)
    service.opt_out(store, "C001", source="sms reply TD", now=NOW)
    for name in ("c1", "c2"):
        service.create_campaign(store, campaign(name), today=NOW.date(), actor="ops", now=NOW)
    first = service.send_wave(store, "c1", members(), POLICY, now=NOW)
    second = service.send_wave(store, "c2", members(), POLICY, now=NOW + dt.timedelta(hours=1))
    assert first.counts["send"] > 0 and second.counts["capped"] > 0
    with store.connect() as conn:
        per_customer = conn.execute(
            select(CampaignSend.customer_id, func.count())
            .where(CampaignSend.status == "send")
            .group_by(CampaignSend.customer_id)
        ).all()
    assert max(n for _, n in per_customer) == 1  # the cap (1 a week) across both campaigns
    with store.connect() as conn:
        st = dict(conn.execute(select(CampaignSend.customer_id, CampaignSend.status).where(
            CampaignSend.wave == 1, CampaignSend.campaign_id == 1)).all())  # fmt: skip
    assert st["C001"] in ("opted_out", "holdout")
    service.create_campaign(store, campaign("tiny", budget=21), today=NOW.date(), actor="o",
                            now=NOW)  # fmt: skip
    later = NOW + dt.timedelta(days=8)
    tiny = service.send_wave(store, "tiny", members(), POLICY, now=later)
    assert tiny.spent_fen <= 2100 and tiny.counts["over_budget"] > 0


def test_callbacks_and_coupon_redemption_once(store: Engine) -> None:
    hook(store)
    service.create_campaign(store, campaign("c1"), today=NOW.date(), actor="ops", now=NOW)
    service.send_wave(store, "c1", members(), POLICY, now=NOW)
    with store.connect() as conn:
        ev = conn.execute(select(OutboxMessage.event_id).limit(1)).scalar_one()
        code, cust = conn.execute(select(CampaignCoupon.code, CampaignCoupon.customer_id)).first()
    assert service.record_callback(store, ev, "delivered", NOW) is True
    assert service.record_callback(store, ev, "delivered", NOW) is False  # a repeat
    later = NOW + dt.timedelta(days=1)
    lines = {"火锅": 40_000}
    other = service.redeem(store, code, customer_id="C999", order_id="O1", lines=lines, at=later)
    assert not other.ok and "another customer" in (other.reason or "")
    ok = service.redeem(store, code, customer_id=cust, order_id="O1", lines=lines, at=later)
    assert ok.ok and ok.discount_fen == 2000
    retry = service.redeem(store, code, customer_id=cust, order_id="O1", lines=lines, at=later)
    assert retry.ok and retry.discount_fen == 2000  # the same order asking again
    replay = service.redeem(store, code, customer_id=cust, order_id="O2", lines=lines, at=later)
    assert not replay.ok and "already used on order O1" in (replay.reason or "")
    _, frame = member_frame(store, "c1")  # what the report measures: one row per member
    assert len(frame) == len(IDS) and frame["redeemed"].sum() == 1
    assert (
        frame["delivered"].sum() == 1
        and frame.loc[frame["redeemed"] == 1, "discount_fen"].item() == 2000
    )


def test_an_hour_long_provider_outage_loses_nothing_and_sends_nothing_twice(
    store: Engine,
) -> None:
    hook(store)
    service.create_campaign(store, campaign("c1"), today=NOW.date(), actor="ops", now=NOW)
    res = service.send_wave(store, "c1", members(), POLICY, now=NOW)
    received: list[str] = []
    down = {"until": NOW + dt.timedelta(hours=1)}
    clock = {"now": NOW}

    def gateway(request: httpx.Request) -> httpx.Response:
        if clock["now"] < down["until"]:
            return httpx.Response(503)
        received.append(request.headers["X-Tierwise-Event-Id"])
        json.loads(request.content)
        return httpx.Response(200)

    d = Deliverer(store, httpx.Client(transport=httpx.MockTransport(gateway)), jitter=0)
    for minute in range(0, 120, 5):
        clock["now"] = NOW + dt.timedelta(minutes=minute)
        d.deliver_due(clock["now"], limit=1000)
    assert len(received) == len(set(received)) == res.messages

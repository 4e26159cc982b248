"""Triggered campaigns (R-OPS-6, issue 24): a tier change written by a batch publication or
a real-time regrade sends the active ``tier_change`` campaigns in the tier write's
transaction; the holdout is recorded, never messaged; nothing is sent twice."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy import Engine, insert, select

import tierwise.pipeline  # noqa: F401  (registers the operations modules' tier-write hooks)
from tierwise.ops.campaigns import service, triggers
from tierwise.ops.campaigns.spec import parse_campaign_policy
from tierwise.ops.retention import sync_tasks
from tierwise.policy.schema import Retention
from tierwise.store import tier_writer
from tierwise.store.migrate import upgrade
from tierwise.store.runs import Assignment, Cutoff, RunStore
from tierwise.store.schema import (
    Audience,
    CampaignCoupon,
    CampaignSend,
    CustomerProfile,
    OutboxMessage,
)
from tierwise.store.webhooks import register_webhook
from tierwise.tierstate.decide import StabilityRule

CUTS = [Cutoff("gold", 0, 70.0), Cutoff("silver", 1, 40.0), Cutoff("bronze", 2, None)]
IDS = [f"C{i:03d}" for i in range(80)]
NOW = dt.datetime(2026, 12, 8, 3)  # 11:00 in Shanghai: no quiet hours
POLICY = parse_campaign_policy({"name": "t", "frequency_cap": {"messages": 5, "days": 7}})


def _campaign(name: str, **schedule: Any) -> dict[str, Any]:
    return {
        "name": name, "audience": "everyone",
        "schedule": {"kind": "triggered", "event": "tier_change", **schedule},
        "channels": ["sms"], "content": {"variants": {"default": "{name}:欢迎升级{tier}"}},
        "coupon": {"gold": {"kind": "amount", "value": 20, "threshold": 300}},
        "budget": 1000, "holdout_share": 0.3,
    }  # fmt: skip


@pytest.fixture
def store(engine: Engine) -> Engine:
    upgrade(engine)
    triggers.use_policy(None)
    with engine.begin() as conn:
        conn.execute(
            insert(CustomerProfile),
            [{"customer_id": c, "account_id": f"A{i}", "name": f"店{i}", "refreshed_at": NOW}
             for i, c in enumerate(IDS)],
        )  # fmt: skip
        conn.execute(
            insert(Audience).values(
                name="everyone", version=1, kind="audience", title_zh="全部", title_en="All",
                expression="true", author="t", created_at=NOW,
            )
        )  # fmt: skip
    register_webhook(engine, name="sms-gw", url="http://gw/in", secret="s" * 32, now=NOW,
                     events=(service.MESSAGE_EVENT,))  # fmt: skip
    return engine


def _publish(store: RunStore, run_id: str, now: dt.datetime, scores: dict[str, float]) -> None:
    store.begin(run_id, policy_name="p", policy_hash="h", as_of=now.date(),
                data_fingerprint="f", started_at=now)  # fmt: skip
    tier = {c: "gold" if s >= 70 else "silver" if s >= 40 else "bronze" for c, s in scores.items()}
    assignments = [Assignment(c, tier[c], s) for c, s in scores.items()]
    store.publish(run_id, assignments, CUTS, rule=StabilityRule(), now=now)


def _sends(engine: Engine, name: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        cid = service._row(conn, name)["id"]
        q = select(CampaignSend).where(CampaignSend.campaign_id == cid)
        return [dict(r._mapping) for r in conn.execute(q.order_by(CampaignSend.customer_id))]


def _messages(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        q = select(OutboxMessage.payload).where(OutboxMessage.event_type == service.MESSAGE_EVENT)
        return list(conn.execute(q).scalars())


def test_a_publication_sends_the_upgraded_once_and_records_the_holdout(store: Engine) -> None:
    runs = RunStore(store)
    _publish(runs, "r1", NOW, dict.fromkeys(IDS, 50.0))  # everyone new in silver
    service.create_campaign(store, _campaign("to-gold", from_tier="silver", to_tier="gold"),
                            today=NOW.date(), actor="t", now=NOW)  # fmt: skip
    service.create_campaign(store, _campaign("any-change"), today=NOW.date(), actor="t", now=NOW)
    up = IDS[:50]
    later = NOW + dt.timedelta(hours=1)
    _publish(runs, "r2", later, {c: 80.0 if c in up else 50.0 for c in IDS})

    rows = _sends(store, "to-gold")
    assert [r["customer_id"] for r in rows] == up  # only the silver → gold changes
    arms = {r["customer_id"]: r["arm"] for r in rows}
    held = {c for c, a in arms.items() if a == "holdout"}
    assert 0 < len(held) < len(up)  # 30 %: drawn by the campaign's salted hash
    assert all(
        r["status"] == "holdout" and r["channel"] is None for r in rows if r["arm"] == "holdout"
    )
    assert all(r["status"] == "send" and r["coupon_code"] for r in rows if r["arm"] == "treated")
    assert {r["tier"] for r in rows} == {"gold"} and {r["created_at"] for r in rows} == {later}
    sent = [m for m in _messages(store) if m["campaign"] == "to-gold"]
    assert sorted(m["customer_id"] for m in sent) == sorted(set(up) - held)
    assert all(m["coupon"]["value"] == 20 for m in sent)
    assert len(_sends(store, "any-change")) == 50  # no tier filter: every change

    # a re-publication of the same state changes no tier: nothing is sent again
    n = len(_messages(store))
    _publish(runs, "r3", later + dt.timedelta(hours=1), {c: 80.0 if c in up else 50.0 for c in IDS})
    assert len(_messages(store)) == n and len(_sends(store, "to-gold")) == 50


def test_the_same_write_seen_twice_sends_nothing_twice(store: Engine) -> None:
    service.create_campaign(store, _campaign("any"), today=NOW.date(), actor="t", now=NOW)
    states = [{"customer_id": c, "tier": "gold", "score": 80.0, "run_id": "r", "since": NOW.date(),
               "runs_below": 0, "below_since": None, "downgrade_warning": False,
               "updated_at": NOW} for c in IDS[:10]]  # fmt: skip
    changes = [{"customer_id": c, "run_id": "r", "from_tier": "silver", "to_tier": "gold",
                "changed_at": NOW, "effective": NOW.date(), "reason_code": "upgrade",
                "reason": {"score": 80}} for c in IDS[:10]]  # fmt: skip
    with store.begin() as conn:  # a real-time regrade's write: the hook sends
        tier_writer.write_regrade(conn, "r", states, changes, NOW)
    first = _sends(store, "any")
    with store.begin() as conn:  # the same write reaching the hook again sends nothing
        triggers.on_tier_write(conn, _write(changes))
    rows = _sends(store, "any")
    assert rows == first and len(rows) == 10 and {r["wave"] for r in rows} == {1}
    treated = sum(r["arm"] == "treated" for r in rows)
    assert len(_messages(store)) == treated  # the holdout: recorded, never messaged


def _write(changes: list[dict[str, Any]]) -> tier_writer.TierWrite:
    table = pa.Table.from_pylist(
        [{**c, "reason": json.dumps(c["reason"])} for c in changes], schema=tier_writer.CHANGES
    )
    ids = pa.array([c["customer_id"] for c in changes], pa.string())
    return tier_writer.TierWrite("realtime", "r", ids, table, NOW)


def test_a_paused_campaign_sends_nothing_and_the_write_goes_on(
    store: Engine,
) -> None:
    service.create_campaign(store, _campaign("any"), today=NOW.date(), actor="t", now=NOW)
    service.set_status(store, "any", "paused")
    _publish(RunStore(store), "r1", NOW, dict.fromkeys(IDS[:5], 80.0))
    assert _sends(store, "any") == []
    assert RunStore(store).tiers() == dict.fromkeys(IDS[:5], "gold")


def test_without_a_message_gateway_the_publication_goes_on_and_sends_nothing(
    engine: Engine,
) -> None:
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(Audience).values(
                name="everyone", version=1, kind="audience", title_zh="全部", title_en="All",
                expression="true", author="t", created_at=NOW,
            )
        )  # fmt: skip
    service.create_campaign(engine, _campaign("any"), today=NOW.date(), actor="t", now=NOW)
    _publish(RunStore(engine), "r1", NOW, dict.fromkeys(IDS[:5], 80.0))
    assert _sends(engine, "any") == []
    assert RunStore(engine).tiers() == dict.fromkeys(IDS[:5], "gold")


def test_a_churn_warning_episode_sends_once_and_a_new_episode_again(store: Engine) -> None:
    spec = {
        **_campaign("winback"),
        "schedule": {"kind": "triggered", "event": "churn_warning"},
        "coupon": {"default": {"kind": "amount", "value": 50, "threshold": 300, "valid_days": 14}},
    }
    service.create_campaign(store, spec, today=NOW.date(), actor="t", now=NOW)
    tagged = set(IDS[:20])
    with store.begin() as conn:  # the retention flow opens the episodes: the campaign sends
        assert len(sync_tasks(conn, Retention(), tagged, now=NOW, source="run").opened) == 20
    first = _sends(store, "winback")
    assert [r["customer_id"] for r in first] == sorted(tagged)
    held = {r["customer_id"] for r in first if r["arm"] == "holdout"}
    assert 0 < len(held) < 20 and all(
        r["status"] == "holdout" for r in first if r["customer_id"] in held
    )
    assert sorted(m["customer_id"] for m in _messages(store)) == sorted(tagged - held)
    with store.connect() as conn:  # the retention coupon: one per treated member, 14 days
        coupons = conn.execute(select(CampaignCoupon.customer_id, CampaignCoupon.valid_until)).all()
    assert sorted(c for c, _ in coupons) == sorted(tagged - held)
    assert {u for _, u in coupons} == {NOW + dt.timedelta(days=14)}
    later = NOW + dt.timedelta(days=1)
    with store.begin() as conn:  # still tagged (a re-publication): same episode, no send
        sync_tasks(conn, Retention(), tagged, now=later, source="run")
    assert _sends(store, "winback") == first
    with store.begin() as conn:  # C000 recovers, then is warned again: a new episode
        sync_tasks(conn, Retention(), tagged - {"C000"}, now=later, source="run")
        sync_tasks(conn, Retention(), tagged, now=later + dt.timedelta(days=1), source="run")
    rows = _sends(store, "winback")
    assert len(rows) == 21 and [r["wave"] for r in rows if r["customer_id"] == "C000"] == [1, 2]
    assert len({r["arm"] for r in rows if r["customer_id"] == "C000"}) == 1  # same arm

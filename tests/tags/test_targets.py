"""Survey waves and visit plans take a saved audience (issue 20 item 4): its members as of
the day, read through the one reader (tierwise.tags.targets), logged with the wave or plan;
an audience that matches nobody is allowed and flagged."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, select

from tierwise.api.access import Role
from tierwise.api.app import create_app
from tierwise.api.auth import utcnow
from tierwise.errors import UsageError
from tierwise.ops.surveys import service as surveys
from tierwise.ops.surveys.policy import SurveyPolicy
from tierwise.ops.visits import service as visits
from tierwise.ops.visits.policy import load_visit_policy
from tierwise.settings import Settings
from tierwise.store.schema import CustomerProfile, CustomerTier, VisitStop
from tierwise.tags.audience import Frame
from tierwise.tags.service import AudienceSpec, Members, save_audience
from tierwise.tags.snapshot import Snapshot
from tierwise.tags.targets import (
    AudienceRef,
    AudienceSource,
    empty_warning,
    read_audience,
    record_use,
)

from .conftest import AS_OF
from .test_api import _name, auth

NOW = dt.datetime(2025, 7, 1, 9)
MONDAY = dt.date(2025, 6, 30)


@pytest.fixture
def store(engine: Engine, snapshot: Snapshot) -> Engine:
    """c1, c2 (chain) and c3 tiered gold with manager AM1; audiences chain and nobody."""
    with engine.begin() as conn:
        conn.execute(insert(CustomerTier), [
            {"customer_id": c, "tier": "gold", "score": 1.0, "run_id": "r1", "since": AS_OF,
             "updated_at": NOW} for c in ("c1", "c2", "c3")])  # fmt: skip
        conn.execute(insert(CustomerProfile), [
            {"customer_id": c, "name": c, "tier": "gold", "account_manager": "AM1",
             "refreshed_at": NOW} for c in ("c1", "c2", "c3")])  # fmt: skip
    f = Frame(snapshot, None)
    save_audience(engine, AudienceSpec("chain", "biz_chain"), f, author="u", now=NOW)
    save_audience(engine, AudienceSpec("nobody", "biz_chain and not biz_chain"), f,
                  author="u", now=NOW)  # fmt: skip
    return engine


def _members(engine: Engine, home: Path, name: str) -> Members:
    src = AudienceSource(home, home / "runs")
    return read_audience(engine, src, AudienceRef(name), AS_OF, used_by="the survey wave")


def test_a_wave_samples_within_the_audience_and_names_it(store: Engine, tags_home: Path) -> None:
    m = _members(store, tags_home, "chain")
    policy = SurveyPolicy(name="t", quotas={"gold": 10}, cooldown_days=0)
    w = surveys.create_wave(store, policy, sent_on=AS_OF, actor="u", now=NOW, seed=1,
                            only=m.customer_ids)  # fmt: skip
    record_use(store, m, target=f"survey:{w.wave_id}", actor="u", now=NOW)
    assert w.sampled == 2  # c1, c2; c3 is not a chain outlet
    wave = surveys.waves(store)[0]
    assert wave["audience"]["audience"] == "chain" and wave["audience"]["members"] == 2
    assert str(wave["audience"]["snapshot_as_of"]) == "2025-06-30"
    assert wave["audience"]["empty"] is False


def test_an_empty_audience_gives_an_empty_wave_flagged(store: Engine, tags_home: Path) -> None:
    m = _members(store, tags_home, "nobody")
    policy = SurveyPolicy(name="t", quotas={"gold": 10}, cooldown_days=0)
    w = surveys.create_wave(store, policy, sent_on=AS_OF, actor="u", now=NOW, only=[])
    assert w.sampled == 0
    warning = empty_warning(m, "the survey wave")
    assert warning is not None and "matches nobody" in warning and "'nobody'" in warning


def test_no_snapshot_source_is_refused(store: Engine) -> None:
    with pytest.raises(UsageError, match="no tag snapshots"):
        read_audience(store, None, AudienceRef("chain"), used_by="the visit plan")


def test_a_visit_plan_adds_the_audience_members(store: Engine, tags_home: Path) -> None:
    m = _members(store, tags_home, "chain")
    with store.begin() as conn:
        p = visits.plan(conn, load_visit_policy(None), MONDAY, NOW,
                        extra=m.customer_ids)  # fmt: skip
        stops = conn.execute(select(VisitStop.customer_id, VisitStop.reason)).all()
    assert p.extra_planned == 2
    assert sorted(stops) == [("c1", "audience"), ("c2", "audience")]


@pytest.fixture
def client(tags_home: Path, store: Engine) -> Iterator[TestClient]:
    app = create_app(Settings(home=tags_home, env="test"), engine=store)
    app.state.ctx.users.add_user(_name(Role.ADMIN, None), Role.ADMIN, "a test password",
                                 now=utcnow())  # fmt: skip
    with TestClient(app) as c:
        yield c


def test_the_routes_take_an_audience_and_flag_an_empty_one(client: TestClient) -> None:
    h = auth(Role.ADMIN)
    r = client.post("/surveys/waves", headers=h,
                    json={"sent_on": "2025-06-30", "audience": "nobody"})  # fmt: skip
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["sampled"] == 0 and body["audience"]["empty"] is True
    assert "matches nobody" in body["audience"]["warning"]
    listed = client.get("/surveys/waves", headers=h).json()[0]
    assert listed["audience"]["audience"] == "nobody"
    plan = client.post("/visits/plan", headers=h,
                       json={"day": "2025-06-30", "audience": "chain"})  # fmt: skip
    assert plan.status_code == 200, plan.text
    assert plan.json()["extra_planned"] == 2
    assert plan.json()["audience"]["members"] == 2 and plan.json()["audience"]["warning"] is None
    missing = client.post("/visits/plan", headers=h,
                          json={"day": "2025-06-30", "audience": "no_such"})  # fmt: skip
    assert missing.status_code == 404 and "no_such" in missing.text
    bad = client.post("/surveys/waves", headers=h,
                      json={"sent_on": "2025-06-30", "audience": "Bad Name"})  # fmt: skip
    assert bad.status_code == 422


def test_a_campaign_wave_by_api_reads_the_audience_as_of_today(
    client: TestClient, store: Engine
) -> None:
    """``POST /campaigns/{name}/waves`` (R-OPS-6, issue 24): the saved audience's members from
    the newest tag snapshot on or before today, one wave, each member decided once; a second
    wave of a one-off campaign is refused and sends nothing."""
    from tierwise.ops.campaigns.service import MESSAGE_EVENT
    from tierwise.store.schema import CampaignSend
    from tierwise.store.webhooks import register_webhook

    register_webhook(store, name="sms-gw", url="http://gw/in", secret="s" * 32, now=NOW,
                     events=(MESSAGE_EVENT,))  # fmt: skip
    h = auth(Role.ADMIN)
    made = client.post("/campaigns", headers=h, json={"definition": {
        "name": "chain_recall", "audience": "chain",
        "schedule": {"kind": "once", "start": utcnow().date().isoformat()},
        "channels": ["sms"],
        "content": {"variants": {"default": "{name}您好"}}, "budget": 1000,
    }})  # fmt: skip
    assert made.status_code == 200, made.text
    wave = client.post("/campaigns/chain_recall/waves", headers=h)
    assert wave.status_code == 200, wave.text
    body = wave.json()
    assert body["wave"] == 1 and sum(body["counts"].values()) == 2
    with store.connect() as conn:
        sent = {r[0] for r in conn.execute(select(CampaignSend.customer_id))}
    assert sent == {"c1", "c2"}  # the chain's outlets, not c3
    again = client.post("/campaigns/chain_recall/waves", headers=h)
    assert again.status_code == 409, again.text
    with store.connect() as conn:
        assert len(conn.execute(select(CampaignSend.id)).all()) == 2

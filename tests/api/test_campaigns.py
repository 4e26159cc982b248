"""``/campaigns`` and ``/coupons`` through HTTP (R-OPS-6, issue 24): marketing defines a
campaign (bad input refused with every reason); the order system uses a coupon once, a
replay and another customer's code refused; the gateway's receipts recorded once."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from tierwise.api.access import Role
from tierwise.ops.campaigns import service
from tierwise.ops.campaigns.spec import parse_campaign_policy
from tierwise.store.schema import Audience, CampaignCoupon, CustomerTier, OutboxMessage

from .conftest import Book, auth

NOW = dt.datetime(2030, 1, 7, 3)


def definition(name: str, start: str = "2099-01-01") -> dict[str, object]:
    return {
        "name": name, "audience": "api_all", "schedule": {"kind": "once", "start": start},
        "channels": ["sms"], "content": {"variants": {"default": "{name},{tier}会员专享"}},
        "coupon": {"default": {"kind": "amount", "value": 20, "threshold": 100}},
        "budget": 100000,
    }  # fmt: skip


def test_define_refuse_and_redeem(client: TestClient, book: Book) -> None:
    with book.engine.begin() as conn:
        conn.execute(insert(Audience).values(
            name="api_all", version=1, kind="audience", title_zh="全部", title_en="All",
            expression="true", author="t", created_at=NOW))  # fmt: skip
    m = auth(Role.MARKETING)
    bad = {**definition("bad"), "schedule": {"kind": "once", "start": "2001-01-01"},
           "content": {"variants": {"default": "{name} {cost_price}"}}}  # fmt: skip
    r = client.post("/campaigns", json={"definition": bad}, headers=m)
    assert r.status_code == 422
    assert "cost_price" in r.json()["message"]
    r = client.post("/campaigns", json={"definition": definition("api-c1")}, headers=m)
    assert r.status_code == 200, r.json()
    assert r.json()["holdout_share"] == 0.1 and r.json()["budget"] == 100000
    assert client.get("/campaigns/api-c1/preview", headers=m).json()["default"].endswith("专享")
    assert client.post("/coupons/check", json={"code": "x", "customer_id": "c",
                       "lines": {"a": 1}}, headers=m).status_code == 403  # fmt: skip

    hook = {"name": "sms-gw", "url": "http://gw.example/in", "events": ["campaign.message"]}
    assert client.post("/webhooks", json=hook, headers=auth(Role.ADMIN)).status_code == 201
    # a wave (sent by the service directly: audiences need a tag snapshot), then a coupon
    service.create_campaign(book.engine, definition("api-c2", "2030-01-07"),
                            today=NOW.date(), actor="t", now=NOW)  # fmt: skip
    with book.engine.connect() as conn:
        ids = list(conn.execute(select(CustomerTier.customer_id).limit(40)).scalars())
    service.send_wave(book.engine, "api-c2", pd.DataFrame({"customer_id": ids}),
                      parse_campaign_policy({"name": "t"}), now=NOW)  # fmt: skip
    with book.engine.connect() as conn:
        (code, cust), (code2, cust2) = conn.execute(
            select(CampaignCoupon.code, CampaignCoupon.customer_id).limit(2)
        ).all()
        event = conn.execute(select(OutboxMessage.event_id).limit(1)).scalar_one()
    s = auth(Role.SERVICE)
    at = "2030-01-08T02:00:00"
    body = {"code": code, "customer_id": cust, "lines": {"火锅": 150}, "at": at}
    assert client.post("/coupons/check", json=body, headers=s).json()["discount"] == 20
    used = client.post("/coupons/redeem", json={**body, "order_id": "O1"}, headers=s).json()
    assert used["ok"] and used["discount"] == 20
    replay = client.post("/coupons/redeem", json={**body, "order_id": "O2"}, headers=s).json()
    assert not replay["ok"] and "already used" in replay["reason"]
    other = client.post("/coupons/check", json={**body, "customer_id": "C-other"}, headers=s)
    assert "another customer" in other.json()["reason"]
    late = {**body, "code": code2, "customer_id": cust2, "at": "2030-02-08T00:00:00"}
    assert "expired" in client.post("/coupons/check", json=late, headers=s).json()["reason"]
    cb = {"event_id": event, "kind": "delivered"}
    assert client.post("/campaigns/callbacks", json=cb, headers=s).json() == {"recorded": True}
    assert client.post("/campaigns/callbacks", json=cb, headers=s).json() == {"recorded": False}

"""``/price-rules`` and ``/customers/{id}/quote`` (R-OPS-3, issue 21 item 2): a conflicting
rule is refused with both ids and an example line, nothing written; bad rules are 422 naming
the field; a quote gives list, net, rule and why per line; changes reach the webhooks."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from tierwise.api.access import Role
from tierwise.store.schema import CustomerProfile, CustomerTier, OutboxMessage

from .conftest import Book, auth

ADMIN = auth(Role.ADMIN)
CUSTOMER = "C0000003"


def test_rules_conflicts_and_a_quote(client: TestClient, book: Book) -> None:
    with book.engine.connect() as conn:
        tier = conn.execute(
            select(CustomerTier.tier).where(CustomerTier.customer_id == CUSTOMER)
        ).scalar_one()
        province = conn.execute(
            select(CustomerProfile.province).where(CustomerProfile.customer_id == CUSTOMER)
        ).scalar_one()
    hook = client.post(
        "/webhooks",
        json={
            "name": "erp-prices",
            "url": "http://127.0.0.1:9/p",
            "events": ["price_rule.changed"],
        },
        headers=ADMIN,
    )
    assert hook.status_code == 201, hook.json()
    first = {"code": "t_veg", "kind": "discount_pct", "value": "8", "valid_from": "2026-11-01",
             "tier": tier, "category": "蔬菜", "priority": 5}  # fmt: skip
    r = client.post("/price-rules", json=first, headers=ADMIN)
    assert r.status_code == 201, r.json()
    first_id = r.json()["id"]
    clash = {"code": "sku_v1", "kind": "net_price", "value": "3.50", "valid_from": "2026-12-01",
             "sku": "V1", "priority": 5}  # fmt: skip
    r = client.post("/price-rules", json=clash, headers=ADMIN)
    assert r.status_code == 409, r.json()
    body = r.json()
    assert body["conflicts"][0]["other_id"] == first_id and body["conflicts"][0]["other"] == "t_veg"
    assert "sku V1 (category 蔬菜)" in body["conflicts"][0]["example"]
    assert "sku_v1" in body["message"] and "t_veg" in body["message"]
    listed = client.get("/price-rules", headers=auth(Role.ANALYST)).json()
    assert [x["code"] for x in listed] == ["t_veg"]  # nothing half-written
    r = client.post("/price-rules", json={**clash, "priority": 9}, headers=ADMIN)
    assert r.status_code == 201, r.json()
    for bad, field in (
        ({**first, "code": "neg", "kind": "net_price", "value": "-2"}, "value"),
        ({**first, "code": "big", "value": "101"}, "value"),
        ({**first, "code": "colour", "colour": "red"}, "body.colour"),
    ):
        r = client.post("/price-rules", json=bad, headers=ADMIN)
        assert r.status_code == 422, r.json()
        assert field in (r.json().get("field") or r.json()["errors"][0]["field"])
    assert (
        client.post(
            "/price-rules", json={**first, "code": "x"}, headers=auth(Role.ANALYST)
        ).status_code
        == 403
    )

    q = client.post(
        f"/customers/{CUSTOMER}/quote",
        json={"day": "2026-12-05", "lines": [
            {"sku": "V1", "category": "蔬菜", "quantity": "2", "list_price": "4.00"},
            {"sku": "V2", "category": "蔬菜", "quantity": "1", "list_price": "10.00"},
            {"sku": "M1", "category": "鲜肉", "quantity": "1", "list_price": "30.00"},
        ]},
        headers=auth(Role.SERVICE),
    )  # fmt: skip
    assert q.status_code == 200, q.json()
    out = q.json()
    assert out["tier"] == tier and out["region"] == province
    lines = {ln["sku"]: ln for ln in out["lines"]}
    assert (lines["V1"]["net_price"], lines["V1"]["rule"]) == ("3.50", "sku_v1")
    assert (lines["V2"]["net_price"], lines["V2"]["rule"]) == ("9.20", "t_veg")
    assert lines["M1"]["rule"] is None and lines["M1"]["net_price"] == "30.00"
    assert "priority 9" in lines["V1"]["why"] and out["total"] == "46.20"
    bad = client.post(
        f"/customers/{CUSTOMER}/quote",
        json={"lines": [{"sku": "V1", "list_price": "-1"}]},
        headers=ADMIN,
    )
    assert bad.status_code == 422

    assert client.delete(f"/price-rules/{first_id}", headers=ADMIN).status_code == 204
    with book.engine.connect() as conn:
        actions = [
            p["action"] + ":" + p["rule"]["code"]
            for p in conn.execute(
                select(OutboxMessage.payload).where(OutboxMessage.event_type == "price_rule.changed")
                .order_by(OutboxMessage.id)
            ).scalars()
        ]  # fmt: skip
    assert actions == ["created:t_veg", "created:sku_v1", "deleted:t_veg"]

"""``GET /customers/{id}/recommendations`` (R-OPS-7): both lists with reasons, role-checked,
404 for an unknown customer, the cold-start list marked as such."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from recommend.synthbook import make_book
from tierwise.api.access import Role
from tierwise.recommend.book import Book
from tierwise.recommend.lists import build_lists
from tierwise.recommend.policy import RecommendPolicy
from tierwise.recommend.service import store_lists

from .conftest import SELF_ID, auth
from .conftest import Book as ApiBook

OWN, OTHER = "C0000002", "C0000003"  # the sales principal's customer and another's
NEWCOMER = "C0000039"  # in the sample book, without any order in the lists' book


@pytest.fixture(scope="module", autouse=True)
def stored(book: ApiBook) -> None:
    synth, _ = make_book(n_customers=39, days=120)
    lines = synth.lines[["customer_id", "order_id", "day", "sku", "quantity"]]
    customers = pd.concat(
        [
            synth.customers,
            pd.DataFrame(
                [(NEWCOMER, "火锅", "chain", "四川省", "gold")], columns=synth.customers.columns
            ),
        ]
    )
    b = Book(lines[lines["customer_id"] != NEWCOMER], synth.products, customers, synth.as_of)
    rows = build_lists(b, RecommendPolicy(), "als")
    store_lists(book.engine, rows, "sample-run-2", dt.datetime(2026, 11, 1))


def test_both_lists_with_reasons(client: TestClient) -> None:
    r = client.get(f"/customers/{OTHER}/recommendations", headers=auth(Role.MARKETING))
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["customer_id"] == OTHER and body["cold_start"] is False
    assert body["model"] == "als" and body["source"] == "build"
    assert len(body["buy_again"]) == 10 and len(body["new_items"]) == 10
    first = body["buy_again"][0]
    assert first["usual_qty"] > 0 and first["interval_days"] > 0 and "天" in first["reason"]["zh"]
    assert body["new_items"][0]["reason"]["en"]
    assert not {i["sku"] for i in body["buy_again"]} & {i["sku"] for i in body["new_items"]}
    v = body["campaign_variables"]
    names = [i["name"] for i in body["new_items"][:3]]
    assert v["rec_new_list"] == "、".join(names) and v["rec_new_top"] == names[0]
    assert v["rec_again_top"].startswith(first["name"] + " ")
    en = client.get(
        f"/customers/{OTHER}/recommendations", params={"lang": "en"}, headers=auth(Role.ADMIN)
    ).json()["campaign_variables"]
    assert en["rec_new_list"] == ", ".join(names)
    bad = client.get(
        f"/customers/{OTHER}/recommendations", params={"lang": "fr"}, headers=auth(Role.ADMIN)
    )
    assert bad.status_code == 422


def test_cold_start_is_marked(client: TestClient) -> None:
    body = client.get(f"/customers/{NEWCOMER}/recommendations", headers=auth(Role.ADMIN)).json()
    assert body["cold_start"] is True and body["buy_again"] == []
    assert body["model"] == "segment_popularity" and len(body["new_items"]) == 10
    assert body["campaign_variables"]["rec_again_top"] == ""  # never a placeholder
    # 13 火锅 outlets are fewer than a segment needs (20): the list backs off to everybody
    assert body["new_items"][0]["reason"]["code"] == "popular"


def test_unknown_customer_is_404(client: TestClient) -> None:
    r = client.get("/customers/C7777777/recommendations", headers=auth(Role.ADMIN))
    assert r.status_code == 404 and r.json()["error"] == "NotFoundError"


def test_roles_and_scopes(client: TestClient) -> None:
    assert client.get(f"/customers/{OTHER}/recommendations").status_code == 401
    sales = auth(Role.SALES)
    assert client.get(f"/customers/{OWN}/recommendations", headers=sales).status_code == 200
    assert client.get(f"/customers/{OTHER}/recommendations", headers=sales).status_code == 403
    me = auth(Role.CUSTOMER)
    assert client.get(f"/customers/{SELF_ID}/recommendations", headers=me).status_code == 200
    assert client.get(f"/customers/{OTHER}/recommendations", headers=me).status_code == 403


def test_a_real_time_order_refreshes_the_lists(client: TestClient) -> None:
    admin = auth(Role.ADMIN)
    before = client.get(f"/customers/{OWN}/recommendations", headers=admin).json()
    new_sku = before["new_items"][0]["sku"]
    order = {
        "idempotency_key": "order-rec-0001",
        "kind": "order",
        "customer_id": OWN,
        "occurred_at": "2026-11-02T10:00:00+08:00",
        "amount": 120.0,
        "reference": "SO-REC-1",
        "lines": [{"sku": new_sku, "quantity": 2, "unit_price": 60.0}],
    }
    r = client.post("/events", json=order, headers=auth(Role.SERVICE))
    assert r.status_code == 202, r.text
    after = client.get(f"/customers/{OWN}/recommendations", headers=admin).json()
    assert after["source"] == "realtime"
    assert new_sku not in {i["sku"] for i in after["new_items"]}

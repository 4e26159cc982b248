"""``/credit`` (R-OPS-4, issue 22 items 3-4): the order check, payments releasing holds,
overrides with a second approver, terms and the dashboard, behind the role check."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from tierwise.api.access import Role
from tierwise.ops.credit import service
from tierwise.ops.credit.policy import load_credit_policy
from tierwise.ops.credit.state import recompute_terms

from .conftest import Book, auth

FIN, ADMIN, ERP = auth(Role.RISK), auth(Role.ADMIN), auth(Role.SERVICE)
RICH, LATE, NEW = "C0000011", "C0000012", "C0000013"


@pytest.fixture(scope="module")
def credit(book: Book, client: TestClient) -> TestClient:
    frame = pd.DataFrame(
        [
            {"customer_id": c, "pd": p, "reasons": json.dumps([{"feature": "x", "zh": "按时付款率低（47%）", "en": "low"}]),
             "spend_90d": 30_000.0, "unsettled": u, "prepaid_balance": 0.0, "overdue_amount": o,
             "overdue_1_30": 0.0, "overdue_31_60": o, "overdue_61_90": 0.0, "overdue_over_90": 0.0,
             "max_days_overdue": d}
            for c, p, u, o, d in ((RICH, 0.01, 0.0, 0.0, 0), (LATE, 0.5, 900.0, 900.0, 40))
        ]
    )  # fmt: skip
    with book.engine.begin() as conn:
        service.write_accounts(conn, frame, dt.date(2026, 1, 1), "test", dt.datetime(2026, 1, 1))
        recompute_terms(conn, load_credit_policy(), dt.date(2026, 1, 1), dt.datetime(2026, 1, 1))
    return client


def test_check_allows_within_credit_and_holds_over_it(credit: TestClient) -> None:
    terms = credit.get(f"/credit/customers/{RICH}", headers=FIN).json()
    limit = float(terms["credit_limit"])
    assert limit > 0 and terms["band"] == "low"
    ok = credit.post("/credit/check", headers=ERP, json={"customer_id": RICH, "amount": 100.0})
    assert ok.status_code == 200 and ok.json()["allow"] is True
    over = credit.post("/credit/check", headers=ERP, json={"customer_id": RICH, "amount": limit})
    body = over.json()
    assert body["allow"] is False
    assert float(body["amount_over"]) == pytest.approx(100.0)
    assert body["holds"][0]["kind"] == "over_limit" and "超出" in body["holds"][0]["reason_zh"]


def test_unknown_customer_is_404_not_allow(credit: TestClient) -> None:
    r = credit.post("/credit/check", headers=ERP, json={"customer_id": "NOBODY", "amount": 1.0})
    assert r.status_code == 404 and r.json()["error"] == "NotFoundError"


@pytest.mark.parametrize("amount", [-5, 0, "12", True])
def test_bad_amounts_are_422(credit: TestClient, amount: object) -> None:
    r = credit.post("/credit/check", headers=ERP, json={"customer_id": RICH, "amount": amount})
    assert r.status_code == 422


def test_overdue_hold_is_released_by_payment(credit: TestClient) -> None:
    r = credit.post("/credit/check", headers=ERP, json={"customer_id": LATE, "amount": 10.0})
    assert r.json()["allow"] is False and r.json()["holds"][0]["kind"] == "overdue"
    holds = credit.get("/credit/holds", headers=FIN).json()
    assert LATE in {h["customer_id"] for h in holds}
    paid = credit.post("/credit/payments", headers=ERP, json={"customer_id": LATE, "amount": 900.0})
    assert paid.status_code == 200 and paid.json()["open_holds"] == 0
    released = credit.get("/credit/holds?include_released=true", headers=FIN).json()
    assert any(h["customer_id"] == LATE and h["release_note"] == "paid" for h in released)


def test_override_above_the_amount_needs_another_finance_user(credit: TestClient) -> None:
    big = credit.post("/credit/overrides", headers=FIN,
                      json={"customer_id": RICH, "amount": 80000.0, "reason": "chain HQ guarantees"})  # fmt: skip
    assert big.status_code == 201 and big.json()["status"] == "pending"
    same = credit.post(f"/credit/overrides/{big.json()['id']}/approve", headers=FIN)
    assert same.status_code == 409
    other = credit.post(f"/credit/overrides/{big.json()['id']}/approve", headers=ADMIN)
    assert other.status_code == 200 and other.json()["status"] == "approved"
    r = credit.post("/credit/check", headers=ERP, json={"customer_id": RICH, "amount": 80000.0})
    assert r.json()["allow"] is True and r.json()["overridden"] is True


def test_roles(credit: TestClient) -> None:
    body = {"customer_id": RICH, "amount": 1.0}
    assert credit.post("/credit/check", headers=auth(Role.MARKETING), json=body).status_code == 403
    assert credit.get("/credit/dashboard", headers=ERP).status_code == 403
    ov = {"customer_id": RICH, "amount": 1.0, "reason": "x"}
    assert credit.post("/credit/overrides", headers=auth(Role.ANALYST), json=ov).status_code == 403


def test_dashboard(credit: TestClient) -> None:
    d = credit.get("/credit/dashboard", headers=FIN).json()
    assert {e["band"] for e in d["exposure"]} <= {"low", "medium", "high"}
    assert sum(e["customers"] for e in d["exposure"]) >= 2
    assert any(e["band"] == "high" and float(e["overdue"]) == 900.0 for e in d["exposure"])
    assert set(d["ageing"]) == {"1_30", "31_60", "61_90", "over_90"}
    assert d["accounts"] == 2


def test_finance_console_page_shows_holds_and_exposure_in_both_languages(
    credit: TestClient,
) -> None:
    held = credit.post("/credit/check", headers=ERP, json={"customer_id": NEW, "amount": 5.0})
    assert held.json()["allow"] is False  # no terms yet: nothing on credit
    credit.cookies.clear()
    credit.get("/console/login")
    r = credit.post(
        "/console/login",
        data={
            "username": "risk-test",
            "password": "a test password",
            "csrf": credit.cookies["tw_csrf"],
        },
        follow_redirects=False,
    )
    assert r.status_code in (200, 303), r.text
    zh = credit.get("/console/credit", params={"lang": "zh"})
    assert zh.status_code == 200
    assert "信用风控" in zh.text and "高风险" in zh.text and "逾期" in zh.text
    assert NEW in zh.text and "超过可用额度" in zh.text  # the open hold and its reason
    en = credit.get("/console/credit", params={"lang": "en"}).text
    assert "Credit control" in en and "High risk" in en and "exceeds the available credit" in en
    credit.cookies.clear()

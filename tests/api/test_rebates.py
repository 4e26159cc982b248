"""``/rebates``: the rebate ledger through the API (R-OPS-3, issue 21 item 2): finance accrues
and pays, each row once; the ledger and statements read per role (account managers their
customers, a customer itself, contact names masked); errors as documented bodies."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

import tierwise.pipeline  # noqa: F401  (registers the benefits hook)
from tierwise.api.access import Role
from tierwise.api.sample import RUN_2
from tierwise.ops.benefits.decide import BenefitPlan, PlanBenefit
from tierwise.ops.benefits.ledger import store_plan
from tierwise.store.schema import CustomerTier
from tierwise.store.tier_writer import write_regrade
from tinylake import ts, write_lake

from .conftest import SELF_ID, Book, auth

OWN, OTHER = "C0000002", "C0000003"  # the sales principal's customer and another's
TIERS = ("platinum", "gold", "silver", "bronze")
PLAN = BenefitPlan(
    TIERS, {t: (PlanBenefit("rebate", "rebate", {"pct": "2", "period": "month"}),) for t in TIERS}
)
FINANCE = auth(Role.RISK)


@pytest.fixture(scope="module", autouse=True)
def granted(book: Book) -> None:
    """Rebate grants for three customers (a regrade through the one writer), and November's
    orders and refunds in the lake."""
    store_plan(book.engine, "0" * 64, "sample", PLAN, dt.datetime(2026, 11, 2))
    with book.engine.begin() as conn:
        rows = conn.execute(
            select(CustomerTier.__table__).where(
                CustomerTier.customer_id.in_([SELF_ID, OWN, OTHER])
            )
        ).mappings()
        write_regrade(conn, RUN_2, [dict(r) for r in rows], [], dt.datetime(2026, 11, 2, 5))
    order = [("o1", SELF_ID, "1000.25"), ("o2", OWN, "500"), ("o3", OTHER, "333.33")]
    write_lake(
        book.home / "lake",
        {
            "orders": [
                {"order_id": o, "customer_id": c, "order_time": ts(2026, 11, 5), "amount": a}
                for o, c, a in order
            ],
            "returns": [
                {"return_id": "x1", "order_id": "o1", "customer_id": SELF_ID,
                 "return_time": ts(2026, 11, 20), "amount": 100}
            ],
        },
        only=True,
    )  # fmt: skip


def test_finance_accrues_a_period_once(client: TestClient) -> None:
    r = client.post("/rebates/accruals", json={"period": "2026-11"}, headers=FINANCE)
    assert r.status_code == 200, r.json()
    # 2 % of 900.25 (18.005 → 18.01), of 500 (10.00) and of 333.33 (6.6666 → 6.67)
    assert r.json()["customers"] == 3 and r.json()["total"] == "34.68"
    again = client.post("/rebates/accruals", json={"period": "2026-11"}, headers=FINANCE).json()
    assert (again["inserted"], again["updated"], again["unchanged"]) == (0, 0, 3)
    assert again["total"] == "34.68"
    bad = client.post("/rebates/accruals", json={"period": "2026-13"}, headers=FINANCE)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"].endswith("period")
    denied = client.post("/rebates/accruals", json={"period": "2026-11"}, headers=auth(Role.SALES))
    assert denied.status_code == 403 and denied.json()["error"] == "PermissionDeniedError"


def test_the_ledger_is_scoped_by_role(client: TestClient) -> None:
    client.post("/rebates/accruals", json={"period": "2026-11"}, headers=FINANCE)
    every = client.get("/rebates/ledger?period=2026-11", headers=auth(Role.ADMIN)).json()
    assert {r["customer_id"]: r["amount"] for r in every} == {
        SELF_ID: "18.01",
        OWN: "10.00",
        OTHER: "6.67",
    }
    mine = next(r for r in every if r["customer_id"] == SELF_ID)
    assert (mine["gross"], mine["refunds"], mine["net"]) == ("1000.25", "100.00", "900.25")
    sales = client.get("/rebates/ledger", headers=auth(Role.SALES)).json()
    assert {r["customer_id"] for r in sales} == {OWN}
    me = client.get(f"/rebates/ledger?customer_id={OTHER}", headers=auth(Role.CUSTOMER)).json()
    assert me == []
    assert {r["customer_id"] for r in client.get("/rebates/ledger", headers=auth(Role.CUSTOMER)).json()} == {SELF_ID}  # fmt: skip
    assert client.get("/rebates/ledger", headers=auth(Role.MARKETING)).status_code == 403
    assert client.get("/rebates/ledger").status_code == 401


def test_statements_equal_the_ledger_and_mask_contacts(client: TestClient) -> None:
    client.post("/rebates/accruals", json={"period": "2026-11"}, headers=FINANCE)
    own = client.get(f"/rebates/statements/{SELF_ID}", headers=auth(Role.CUSTOMER))
    assert own.status_code == 200, own.json()
    body = own.json()
    assert (body["accrued"], body["outstanding"]) == ("18.01", str(Decimal(body["accrued"]) - Decimal(body["paid"])))  # fmt: skip
    assert sum(Decimal(x["amount"]) for x in body["lines"]) == Decimal(body["accrued"])
    unmasked = client.get(f"/rebates/statements/{SELF_ID}", headers=FINANCE).json()
    assert unmasked["contact_name"] and "*" not in unmasked["contact_name"]
    assert body["contact_name"] == unmasked["contact_name"][0] + "*" * (
        len(unmasked["contact_name"]) - 1
    )  # the customer role does not see personal data unmasked
    other = client.get(f"/rebates/statements/{OTHER}", headers=auth(Role.CUSTOMER))
    assert other.status_code == 403
    later = client.get(f"/rebates/statements/{SELF_ID}?from=2026-12", headers=FINANCE).json()
    assert later["lines"] == [] and later["accrued"] == "0.00"
    window = f"/rebates/statements/{SELF_ID}?from=2026-Q4&to=2026-11"
    assert client.get(window, headers=FINANCE).json()["accrued"] == "18.01"
    bad = client.get(f"/rebates/statements/{SELF_ID}?to=0", headers=FINANCE)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"].endswith("to")
    missing = client.get("/rebates/statements/NOPE1", headers=FINANCE)
    assert missing.status_code == 404 and missing.json()["error"] == "NotFoundError"

    csv = client.get(f"/rebates/statements/{SELF_ID}/export?format=csv", headers=FINANCE)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("客户编号,期间,期初,期末,类型,等级,返利比例(%),销售额(元)")
    assert lines[-3].split(",")[1] == "计提合计" and lines[-3].split(",")[10] == body["accrued"]
    xlsx = client.get(f"/rebates/statements/{SELF_ID}/export?format=xlsx", headers=FINANCE)
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    cells = [[c.value for c in r] for r in sheet.iter_rows()]
    assert cells[-3][1] == "计提合计" and cells[-3][10] == float(body["accrued"])


def test_a_payout_pays_each_row_once(client: TestClient) -> None:
    client.post("/rebates/accruals", json={"period": "2026-11"}, headers=FINANCE)
    assert client.post("/rebates/payouts", json={}, headers=auth(Role.ANALYST)).status_code == 403
    bad = client.post("/rebates/payouts", json={"kind": "cash"}, headers=FINANCE)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"].endswith("kind")
    paid = client.post(
        "/rebates/payouts", json={"kind": "credit_note", "period": "2026-11"}, headers=FINANCE
    )
    assert paid.status_code == 201, paid.json()
    batch = paid.json()
    assert (batch["lines"], batch["total"], batch["kind"]) == (3, "34.68", "credit_note")
    twice = client.post("/rebates/payouts", json={"period": "2026-11"}, headers=FINANCE)
    assert twice.status_code == 409 and "nothing to pay" in twice.json()["message"]
    ledger = client.get("/rebates/ledger?period=2026-11", headers=FINANCE).json()
    assert {(r["status"], r["payout_id"]) for r in ledger} == {("paid", batch["id"])}
    export = client.get(f"/rebates/payouts/{batch['id']}/export", headers=FINANCE)
    rows = export.content.decode("utf-8-sig").splitlines()
    assert rows[0] == "批次号,单据类型,客户编号,期间,计提编号,类型,等级,金额(元)"
    assert len(rows) == 4 and all(",贷项通知单," in r for r in rows[1:])
    assert sum(Decimal(r.split(",")[-1]) for r in rows[1:]) == Decimal("34.68")
    listed = client.get("/rebates/payouts", headers=FINANCE).json()
    assert listed[0]["id"] == batch["id"]
    assert client.get("/rebates/payouts/999999/export", headers=FINANCE).status_code == 404
    # a re-accrual after the payout leaves the paid rows as they were
    again = client.post("/rebates/accruals", json={"period": "2026-11"}, headers=FINANCE).json()
    assert (again["inserted"], again["updated"], again["total"]) == (0, 0, "34.68")


def test_the_dry_run_with_the_realised_cost_beside(client: TestClient, book: Book) -> None:
    """R-OPS-3: the dry run's cost per tier and, after publication, the ledger's accruals of
    the periods since beside it (the CLI's --realised, in the API)."""
    client.post("/rebates/accruals", json={"period": "2026-11"}, headers=FINANCE)
    with book.engine.connect() as conn:
        held = dict(
            conn.execute(
                select(CustomerTier.customer_id, CustomerTier.tier).where(
                    CustomerTier.customer_id.in_([SELF_ID, OWN, OTHER])
                )
            ).all()
        )
    body = {"pct": dict.fromkeys(set(held.values()), "2"), "days": 30, "as_of": "2026-11-30",
            "method": "recent", "realised": ["2026-11"]}  # fmt: skip
    r = client.post("/rebates/dry-run", json=body, headers=auth(Role.ANALYST))
    assert r.status_code == 200, r.json()
    out = r.json()
    assert out["method"] == "recent" and out["periods"] == ["2026-11"]
    orders = {SELF_ID: Decimal("1000.25"), OWN: Decimal(500), OTHER: Decimal("333.33")}
    ledger = client.get("/rebates/ledger?period=2026-11", headers=auth(Role.ADMIN)).json()
    for row in out["tiers"]:
        spend = sum((v for c, v in orders.items() if held[c] == row["tier"]), Decimal(0))
        assert Decimal(row["spend"]) >= spend  # every holder's orders (others may have some)
        realised = sum(Decimal(x["amount"]) for x in ledger if x["tier"] == row["tier"])
        assert Decimal(row["realised"]) == realised
        if realised:
            gap = (Decimal(row["cost"]) / realised - 1).quantize(Decimal("0.0001"))
            assert Decimal(row["gap"]) == gap
    assert sum(Decimal(t["realised"]) for t in out["tiers"]) == Decimal("34.68")
    # the season forecast needs a year and 30 days of orders: a 422 naming why
    season = client.post("/rebates/dry-run", json={**body, "method": "season"},
                         headers=auth(Role.ANALYST))  # fmt: skip
    assert season.status_code == 422 and "needs orders from" in season.json()["message"]
    nobody = client.post("/rebates/dry-run", json={**body, "pct": {"diamond": "2"}},
                         headers=auth(Role.ADMIN))  # fmt: skip
    assert nobody.status_code == 422 and "no customer holds tier 'diamond'" in nobody.text
    bad = client.post("/rebates/dry-run", json={**body, "pct": {"gold": "120"}}, headers=FINANCE)
    assert bad.status_code == 422
    assert client.post("/rebates/dry-run", json=body, headers=auth(Role.SALES)).status_code == 403

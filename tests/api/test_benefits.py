"""``/customers/{id}/benefits``, redemptions and ``/benefits/usage`` (R-OPS-2, issue 21):
grants read per role, a redemption accepted against an active grant and refused with the
reason otherwise (nothing written), usage totals equal to the ledger."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

import tierwise.pipeline  # noqa: F401  (registers the benefits hook)
from tierwise.api.access import Role
from tierwise.api.sample import RUN_2
from tierwise.ops.benefits.decide import BenefitPlan, PlanBenefit
from tierwise.ops.benefits.ledger import store_plan
from tierwise.store.schema import BenefitRedemption, CustomerTier
from tierwise.store.tier_writer import write_regrade

from .conftest import SELF_ID, Book, auth

OWN, OTHER = "C0000002", "C0000003"  # the sales principal's customer and another's
COUPON = PlanBenefit("coupon_allowance", "coupon_allowance", {"amount_yuan": "50", "per_month": 2})
PLAN = BenefitPlan(
    ("platinum", "gold", "silver", "bronze"),
    {
        t: (
            COUPON,
            PlanBenefit(
                "free_delivery_threshold", "free_delivery_threshold", {"min_order_yuan": "100"}
            ),
            PlanBenefit("rebate", "rebate", {"pct": "2", "period": "month"}),
        )
        for t in ("platinum", "gold", "silver", "bronze")
    },
)
DAY = dt.date(2026, 11, 10)


@pytest.fixture(scope="module", autouse=True)
def granted(book: Book) -> None:
    """Grants for three customers: the plan saved under the sample runs' policy hash, then a
    regrade of them through the one writer (its hook grants what their tiers give)."""
    store_plan(book.engine, "0" * 64, "sample", PLAN, dt.datetime(2026, 11, 2))
    with book.engine.begin() as conn:
        rows = conn.execute(
            select(CustomerTier.__table__).where(
                CustomerTier.customer_id.in_([SELF_ID, OWN, OTHER])
            )
        ).mappings()
        states = [dict(r) for r in rows]
        write_regrade(conn, RUN_2, states, [], dt.datetime(2026, 11, 2, 5))


def test_a_customer_reads_its_own_benefits_and_not_another(client: TestClient) -> None:
    r = client.get(f"/customers/{SELF_ID}/benefits", headers=auth(Role.CUSTOMER))
    assert r.status_code == 200, r.json()
    grants = r.json()["grants"]
    assert {g["benefit"] for g in grants} == {
        "coupon_allowance",
        "free_delivery_threshold",
        "rebate",
    }
    assert all(g["status"] == "active" and g["cause"] == f"realtime:{RUN_2}" for g in grants)
    assert (
        client.get(f"/customers/{OTHER}/benefits", headers=auth(Role.CUSTOMER)).status_code == 403
    )
    assert client.get(f"/customers/{OTHER}/benefits", headers=auth(Role.SALES)).status_code == 403
    assert client.get(f"/customers/{OWN}/benefits", headers=auth(Role.SALES)).status_code == 200
    assert client.get(f"/customers/{OWN}/benefits").status_code == 401


def test_redemptions_need_an_active_grant_and_keep_to_the_allowance(
    client: TestClient, book: Book
) -> None:
    svc = auth(Role.SERVICE)
    url = f"/customers/{OTHER}/benefits/redemptions"

    def count() -> int:
        with book.engine.connect() as conn:
            return int(
                conn.execute(select(func.count()).select_from(BenefitRedemption)).scalar_one()
            )

    before = count()
    ok = client.post(
        url,
        json={
            "benefit": "coupon_allowance",
            "used_on": DAY.isoformat(),
            "cost": "50",
            "ref": "T-1",
        },
        headers=svc,
    )
    assert ok.status_code == 201, ok.json()
    assert (
        ok.json()["status"] == "accepted" and ok.json()["grant_id"] and ok.json()["cost"] == "50.00"
    )
    again = client.post(
        url,
        json={
            "benefit": "coupon_allowance",
            "used_on": DAY.isoformat(),
            "cost": "50",
            "ref": "T-1",
        },
        headers=svc,
    )
    assert again.status_code == 201 and again.json()["id"] == ok.json()["id"]  # same ref: once
    second = client.post(
        url,
        json={"benefit": "coupon_allowance", "used_on": DAY.isoformat(), "cost": "50"},
        headers=svc,
    )
    assert second.status_code == 201
    third = client.post(
        url,
        json={"benefit": "coupon_allowance", "used_on": DAY.isoformat(), "cost": "50"},
        headers=svc,
    )
    assert third.status_code == 409 and "allowance of 2 a month" in third.json()["reason"]
    # unknown benefit for the customer, a kind that is not redeemed, before the grant, below
    # the threshold: each refused with its reason, nothing written
    cases = [
        ({"benefit": "custom_selection"}, "has no grant of benefit 'custom_selection'"),
        ({"benefit": "rebate"}, "applies by itself"),
        ({"benefit": "free_delivery_threshold", "used_on": "2026-01-01"}, "starts on"),
        ({"benefit": "free_delivery_threshold", "order_yuan": "99.5"}, "free delivery from 100"),
    ]
    for extra, fragment in cases:
        body = {"used_on": DAY.isoformat(), **extra}
        r = client.post(url, json=body, headers=svc)
        assert r.status_code == 409, (extra, r.json())
        assert fragment in r.json()["reason"], r.json()
    assert count() == before + 2
    # bad input: a negative cost, an unknown field: 422 naming the field
    r = client.post(
        url,
        json={"benefit": "coupon_allowance", "used_on": DAY.isoformat(), "cost": "-1"},
        headers=svc,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.cost"
    # roles: marketing may not redeem; a customer may not redeem for itself through the API
    assert (
        client.post(
            url,
            json={"benefit": "coupon_allowance", "used_on": DAY.isoformat()},
            headers=auth(Role.MARKETING),
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/customers/{SELF_ID}/benefits/redemptions",
            json={"benefit": "coupon_allowance", "used_on": DAY.isoformat()},
            headers=auth(Role.CUSTOMER),
        ).status_code
        == 403
    )

    usage = client.get(
        "/benefits/usage",
        params={"from": "2026-11-01", "to": "2026-12-01"},
        headers=auth(Role.ANALYST),
    )
    assert usage.status_code == 200, usage.json()
    rows = [u for u in usage.json() if u["benefit"] == "coupon_allowance"]
    with book.engine.connect() as conn:
        ledger = conn.execute(
            select(func.count(), func.sum(BenefitRedemption.cost)).where(
                BenefitRedemption.code == "coupon_allowance", BenefitRedemption.status == "accepted"
            )
        ).one()
    assert sum(u["redemptions"] for u in rows) == ledger[0] == 2
    assert sum(float(u["cost"]) for u in rows) == float(ledger[1]) == 100.0
    empty = client.get(
        "/benefits/usage",
        params={"from": "2026-12-01", "to": "2026-11-01"},
        headers=auth(Role.ANALYST),
    )
    assert empty.status_code == 200 and empty.json() == []  # an empty period
    assert (
        client.get(
            "/benefits/usage",
            params={"from": "2026-11-01", "to": "2026-12-01"},
            headers=auth(Role.CUSTOMER),
        ).status_code
        == 403
    )


def test_the_catalogue_lists_every_kind(client: TestClient) -> None:
    r = client.get("/benefits/kinds", headers=auth(Role.SERVICE))
    assert r.status_code == 200
    kinds = {k["kind"]: k for k in r.json()}
    assert kinds["rebate"]["zh"] == "返利" and not kinds["rebate"]["redeemable"]
    assert kinds["coupon_allowance"]["redeemable"]

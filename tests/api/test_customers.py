"""Customers: filters, paging limits, search, masking by role, 360° view, customer view."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tierwise.api.access import SELF_VIEW_FIELDS, Role

from .conftest import SELF_ID, auth

ADMIN, ANALYST = auth(Role.ADMIN), auth(Role.ANALYST)


def test_filters_combine(client: TestClient) -> None:
    everyone = client.get("/customers?limit=500", headers=ADMIN).json()
    assert everyone["total"] == 40
    gold = client.get("/customers?tier=gold&limit=500", headers=ADMIN).json()
    assert gold["total"] and all(c["tier"] == "gold" for c in gold["items"])
    both = client.get("/customers?tier=gold&city=成都市&limit=500", headers=ADMIN).json()
    assert 0 < both["total"] < gold["total"]
    assert all(c["city"] == "成都市" and c["tier"] == "gold" for c in both["items"])
    tagged = client.get("/customers?tag=churn_warning", headers=ADMIN).json()
    assert tagged["total"] == 5 and all("churn_warning" in c["tags"] for c in tagged["items"])
    vip = client.get("/customers?layer=value:vip&limit=500", headers=ADMIN).json()
    assert vip["total"] and all(c["layers"]["value"] == "vip" for c in vip["items"])
    hotpot = client.get("/customers?cuisine=火锅", headers=ADMIN).json()
    assert hotpot["total"] and {c["cuisine"] for c in hotpot["items"]} == {"火锅"}
    am = client.get("/customers?account_manager=AM004", headers=ADMIN).json()
    assert am["total"] and {c["account_manager"] for c in am["items"]} == {"AM004"}


def test_search_by_name_and_phone(client: TestClient) -> None:
    one = client.get("/customers/C0000007", headers=ADMIN).json()
    by_name = client.get("/customers", params={"q": one["name"]}, headers=ADMIN).json()
    assert [c["customer_id"] for c in by_name["items"]] == ["C0000007"]
    by_phone = client.get("/customers", params={"q": one["phone"][:7]}, headers=ADMIN).json()
    assert "C0000007" in [c["customer_id"] for c in by_phone["items"]]
    # "%" is a literal, not a wildcard
    assert client.get("/customers", params={"q": "%"}, headers=ADMIN).json()["total"] == 0


def test_paging_and_its_limit(client: TestClient) -> None:
    p1 = client.get("/customers?limit=15&offset=0", headers=ADMIN).json()
    p3 = client.get("/customers?limit=15&offset=30", headers=ADMIN).json()
    assert len(p1["items"]) == 15 and len(p3["items"]) == 10 and p3["total"] == 40
    r = client.get("/customers?limit=501", headers=ADMIN)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "query.limit"
    assert client.get("/customers?limit=true", headers=ADMIN).status_code == 422


@pytest.mark.parametrize(
    ("role", "masked"),
    [
        (Role.ADMIN, False),
        (Role.ANALYST, True),
        (Role.MARKETING, True),
        (Role.RISK, False),
        (Role.SERVICE, False),
    ],
)
def test_personal_fields_by_role(client: TestClient, role: Role, masked: bool) -> None:
    c = client.get("/customers/C0000003", headers=auth(role)).json()
    assert c["masked"] is masked
    if masked:
        assert c["phone"][3:7] == "****" and c["contact_name"].endswith("**")
        assert c["address"].endswith("***") and c["district"] == "海珠区"
    else:
        assert c["phone"].isdigit() and "*" not in c["contact_name"] + c["address"]


def test_masking_is_the_same_in_lists_and_exports(client: TestClient) -> None:
    one = client.get("/customers/C0000003", headers=ANALYST).json()
    listed = client.get("/customers?q=C0000003", headers=ANALYST).json()["items"][0]
    csv_text = client.get("/exports/customers.csv?q=C0000003", headers=ANALYST).text
    for field in ("phone", "contact_name", "address"):
        assert listed[field] == one[field]
        assert one[field] in csv_text
    raw = client.get("/customers/C0000003", headers=ADMIN).json()
    assert raw["phone"] not in csv_text


def test_excel_export(client: TestClient) -> None:
    import io

    from openpyxl import load_workbook

    r = client.get("/exports/customers.xlsx?tier=gold", headers=ANALYST)
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content)).active
    assert ws is not None
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "customer_id" and len(rows) > 1
    phone = rows[0].index("phone")
    assert all("****" in str(row[phone]) for row in rows[1:])


def test_360_view(client: TestClient) -> None:
    v = client.get("/customers/C0000003/360", headers=ADMIN).json()
    assert v["profile"]["tier"] == "gold"
    assert v["features"]["orders_365d"] == 12
    assert [h["run_id"] for h in v["history"]] == ["sample-run-2", "sample-run-1"]
    assert v["benefits"]["rebate_pct"] == 1
    # a text benefit in both languages, as the policy writes it; codes and numbers as written
    assert v["benefits"]["service"] == {"zh": "常规服务", "en": "Standard service"}
    assert v["benefits"]["payment_terms"] == "weekly"
    assert v["upgrade"] == {
        "tier": "gold",
        "next_tier": "platinum",
        "gap_score": 0.7,
        "needs": {"spend_365d": 1200.0},
    }
    assert client.get("/customers/C9999999/360", headers=ADMIN).status_code == 404


def test_customer_facing_view(client: TestClient) -> None:
    me = client.get("/me", headers=auth(Role.CUSTOMER)).json()
    assert me["customer_id"] == SELF_ID and me["tier"]
    assert me["benefits"] and "progress" in me
    # issue 18 (R-INT-3): only the fields the access decision gives a customer of itself
    assert set(me) == SELF_VIEW_FIELDS
    assert "phone" not in me and "score" not in me and "upgrade" not in me


def test_unmasked_reads_are_audited(client: TestClient) -> None:
    client.get("/customers/C0000011", headers=auth(Role.RISK))
    client.get("/customers/C0000012", headers=ANALYST)  # masked: not audited
    log = client.get("/audit?action=personal.read&limit=500", headers=ADMIN).json()["items"]
    targets = {(e["actor"], e["target"]) for e in log}
    assert ("user:risk-test", "C0000011") in targets
    assert not any(t == "C0000012" for _, t in targets)


def test_policies_are_listed(client: TestClient) -> None:
    files = client.get("/policies", headers=ANALYST).json()
    assert [(p["name"], p["file"], p["title"]["zh"]) for p in files] == [
        ("sample", "sample.yaml", "示例分级")
    ]


def test_sales_exports_only_their_customers(client: TestClient) -> None:
    text = client.get("/exports/customers.csv?limit=500", headers=auth(Role.SALES)).text
    rows = text.lstrip("\ufeff").strip().splitlines()[1:]
    manager = rows[0].split(",")[10]
    assert rows and {r.split(",")[10] for r in rows} == {manager} == {"AM003"}


@pytest.mark.parametrize(
    "url", ["/customers?q=%00", "/customers?tier=a%00", "/audit?actor=%00", "/runs/x%00"]
)
def test_nul_in_a_filter_matches_nothing(client: TestClient, url: str) -> None:
    # PostgreSQL cannot even compare with such text: no 500, just nothing found
    r = client.get(url, headers=ADMIN)
    assert r.status_code in (200, 404)
    if r.status_code == 200:
        assert r.json()["total"] == 0

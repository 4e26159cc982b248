"""Issue 17 ("Trust"): the holes found by probing the API as an attacker and a careless user.

Each test fails on the code before the fix; docs/api.md and docs/runs.md say what holds now.
Requirements: R-INT-4 (masking), R-INT-5 (roles, users, keys), R-INT-1 (webhooks).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select, update

from tierwise.api.access import Principal, Role
from tierwise.api.auth import DEV_SECRET, issue_token, utcnow
from tierwise.ingest.mapping import Limits
from tierwise.store.schema import AuditEntry, CustomerProfile

from .conftest import MANAGER, Book, auth

PASSWORD = "a long enough password"


def _phone_of(book: Book, customer_id: str) -> str:
    with book.engine.connect() as conn:
        phone = conn.execute(
            select(CustomerProfile.phone).where(CustomerProfile.customer_id == customer_id)
        ).scalar_one()
    assert phone and len(phone) == 11
    return str(phone)


# 2. a masked role recovered phones by prefix search -----------------------------------------


def test_a_masked_role_cannot_recover_a_phone_by_prefix_search(
    client: TestClient, book: Book
) -> None:
    """R-INT-4: q= matched phone prefixes for every role; ~20 requests gave all 11 digits."""
    phone = _phone_of(book, "C0000003")
    for role in (Role.ANALYST, Role.MARKETING):
        h = auth(role)
        for prefix in (phone[:3], phone[:7], phone[:10]):
            r = client.get("/customers", params={"q": prefix}, headers=h)
            assert r.status_code == 200
            ids = [i["customer_id"] for i in r.json()["items"]]
            assert "C0000003" not in ids, (role, prefix)
        # the whole, exact number still finds the customer (the desk reads it out)
        r = client.get("/customers", params={"q": phone}, headers=h)
        assert [i["customer_id"] for i in r.json()["items"]] == ["C0000003"]
        assert r.json()["items"][0]["phone"] != phone  # and shows it masked
        # nor through the export's filter
        r = client.get("/exports/customers.csv", params={"q": phone[:7]}, headers=h)
        assert "C0000003" not in r.text


def test_a_role_that_sees_phones_still_searches_by_prefix(client: TestClient, book: Book) -> None:
    phone = _phone_of(book, "C0000003")
    r = client.get("/customers", params={"q": phone[:7]}, headers=auth(Role.RISK))
    assert "C0000003" in [i["customer_id"] for i in r.json()["items"]]


# 3. and 8. tokens of users who no longer exist, disabled users, keys --------------------------


def _token_for(client: TestClient, name: str, password: str = PASSWORD) -> str:
    r = client.post("/auth/token", json={"username": name, "password": password})
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def test_a_token_whose_user_does_not_exist_is_refused(client: TestClient) -> None:
    """A token signed with the right key but naming no user in the table gets 401."""
    tok = issue_token(Principal("user:ghost", Role.ADMIN), DEV_SECRET, now=utcnow(), minutes=5)
    r = client.get("/users", headers={"Authorization": f"Bearer {tok}"})
    assert r.status_code == 401
    assert "no longer exists or is disabled" in r.json()["message"]


def test_a_disabled_user_is_stopped_at_once_and_can_be_deleted(client: TestClient) -> None:
    admin = auth(Role.ADMIN)
    r = client.post(
        "/users", json={"name": "sec-ana", "role": "analyst", "password": PASSWORD}, headers=admin
    )
    assert r.status_code == 201, r.text
    uid = r.json()["id"]
    h = {"Authorization": f"Bearer {_token_for(client, 'sec-ana')}"}
    assert client.get("/customers", headers=h).status_code == 200
    r = client.patch(f"/users/{uid}", json={"active": False}, headers=admin)
    assert r.status_code == 200 and r.json()["active"] is False
    assert client.get("/customers", headers=h).status_code == 401  # the same, unexpired token
    r = client.post("/auth/token", json={"username": "sec-ana", "password": PASSWORD})
    assert r.status_code == 401
    assert client.patch(f"/users/{uid}", json={"active": True}, headers=admin).status_code == 200
    h = {"Authorization": f"Bearer {_token_for(client, 'sec-ana')}"}
    assert client.get("/customers", headers=h).status_code == 200
    assert client.delete(f"/users/{uid}", headers=admin).status_code == 204
    assert client.get("/customers", headers=h).status_code == 401
    assert client.delete(f"/users/{uid}", headers=admin).status_code == 404
    audit = client.get("/audit", params={"actor": "user:admin-test"}, headers=admin).json()
    actions = {e["action"] for e in audit["items"] if e["target"] == "sec-ana"}
    assert {"user.create", "user.disable", "user.enable", "user.delete"} <= actions


def test_an_admin_cannot_disable_or_delete_itself(client: TestClient) -> None:
    admin = auth(Role.ADMIN)
    me = next(u for u in client.get("/users", headers=admin).json() if u["name"] == "admin-test")
    assert (
        client.patch(f"/users/{me['id']}", json={"active": False}, headers=admin).status_code == 409
    )
    assert client.delete(f"/users/{me['id']}", headers=admin).status_code == 409


def test_a_role_change_applies_to_existing_tokens(client: TestClient, book: Book) -> None:
    """The role is read from the users table at every request, not trusted from the token."""
    admin = auth(Role.ADMIN)
    body = {"name": "sec-risk", "role": "risk", "password": PASSWORD}
    assert client.post("/users", json=body, headers=admin).status_code == 201
    h = {"Authorization": f"Bearer {_token_for(client, 'sec-risk')}"}
    from tierwise.store.schema import User

    with book.engine.begin() as conn:
        conn.execute(update(User).where(User.name == "sec-risk").values(role="marketing"))
    r = client.get("/customers/C0000003", headers=h)
    assert r.status_code == 200 and r.json()["masked"] is True


def test_api_keys_rotate_and_revoke(client: TestClient) -> None:
    admin = auth(Role.ADMIN)
    r = client.post("/api-keys", json={"name": "sec-crm", "role": "service"}, headers=admin)
    old_id, old = r.json()["id"], r.json()["key"]
    assert r.json()["last_used_at"] is None
    assert client.get("/customers", headers={"X-API-Key": old}).status_code == 200
    listed = {k["id"]: k for k in client.get("/api-keys", headers=admin).json()}
    assert listed[old_id]["last_used_at"] is not None  # the admin page shows when
    assert "key" not in listed[old_id]  # never the key itself
    r = client.post(f"/api-keys/{old_id}/rotate", headers=admin)
    assert r.status_code == 201, r.text
    new_id, new = r.json()["id"], r.json()["key"]
    assert new != old and r.json()["role"] == "service" and r.json()["name"] == "sec-crm"
    assert client.get("/customers", headers={"X-API-Key": old}).status_code == 401
    assert client.get("/customers", headers={"X-API-Key": new}).status_code == 200
    assert client.post(f"/api-keys/{old_id}/rotate", headers=admin).status_code == 404
    assert client.delete(f"/api-keys/{new_id}", headers=admin).status_code == 204
    assert client.get("/customers", headers={"X-API-Key": new}).status_code == 401


# 7. login throttling ------------------------------------------------------------------------


def test_repeated_failed_sign_ins_get_429_with_retry_after_and_are_audited(
    client: TestClient, book: Book
) -> None:
    admin = auth(Role.ADMIN)
    body = {"name": "sec-victim", "role": "analyst", "password": PASSWORD}
    assert client.post("/users", json=body, headers=admin).status_code == 201
    wrong = {"username": "sec-victim", "password": "not the password"}
    codes = [client.post("/auth/token", json=wrong).status_code for _ in range(5)]
    assert codes == [401] * 5
    r = client.post("/auth/token", json=wrong)
    assert r.status_code == 429, r.text
    assert 1 <= int(r.headers["Retry-After"]) <= 901
    assert r.json()["error"] == "RateLimitedError"
    # even the right password waits: the attacker learns nothing from the answer
    r = client.post("/auth/token", json={"username": "sec-victim", "password": PASSWORD})
    assert r.status_code == 429
    with book.engine.connect() as conn:
        actions = (
            conn.execute(select(AuditEntry.action).where(AuditEntry.target == "sec-victim"))
            .scalars()
            .all()
        )
    assert actions.count("auth.failed") == 5 and actions.count("auth.throttled") == 2
    # another user from the same address is not locked out by this one's failures
    assert (
        client.post(
            "/auth/token", json={"username": "admin-test", "password": "x" * 12}
        ).status_code
        == 401
    )


def test_a_successful_sign_in_resets_the_users_failure_count(
    client: TestClient, book: Book
) -> None:
    """R-INT-5: earlier typos must not lock out a user who then signed in correctly."""
    _forget_failures(book)  # other tests' failures from this address do not count
    admin = auth(Role.ADMIN)
    body = {"name": "sec-typist", "role": "analyst", "password": PASSWORD}
    assert client.post("/users", json=body, headers=admin).status_code == 201
    wrong = {"username": "sec-typist", "password": "not the password"}
    right = {"username": "sec-typist", "password": PASSWORD}
    assert [client.post("/auth/token", json=wrong).status_code for _ in range(4)] == [401] * 4
    assert client.post("/auth/token", json=right).status_code == 200
    # four more typos: 8 in the window, but only 4 since the last sign-in
    assert [client.post("/auth/token", json=wrong).status_code for _ in range(4)] == [401] * 4
    assert client.post("/auth/token", json=right).status_code == 200
    # the limit still holds for failures after the last success
    assert [client.post("/auth/token", json=wrong).status_code for _ in range(5)] == [401] * 5
    assert client.post("/auth/token", json=right).status_code == 429
    # the admin page's figures: last sign-in and the failures since it
    row = next(u for u in client.get("/users", headers=admin).json() if u["name"] == "sec-typist")
    assert row["last_login_at"] is not None and row["failed_logins"] == 5


def _forget_failures(book: Book) -> None:
    with book.engine.begin() as conn:
        conn.execute(
            update(AuditEntry).where(AuditEntry.action == "auth.failed").values(action="auth.old")
        )


def test_one_address_trying_many_names_is_throttled(client: TestClient, book: Book) -> None:
    _forget_failures(book)  # earlier tests' failures from this address do not count
    codes = [
        client.post(
            "/auth/token", json={"username": f"nobody{i}", "password": "guess guess"}
        ).status_code
        for i in range(21)
    ]
    assert codes[:20] == [401] * 20 and codes[20] == 429


# 5. and 11. exports: no formulas, money with two decimals -----------------------------------


@pytest.fixture
def hostile_customer(book: Book) -> str:
    cid = "C0000007"
    with book.engine.begin() as conn:
        old = conn.execute(
            select(CustomerProfile.name, CustomerProfile.spend_365d).where(
                CustomerProfile.customer_id == cid
            )
        ).one()
        conn.execute(
            update(CustomerProfile)
            .where(CustomerProfile.customer_id == cid)
            .values(name='=HYPERLINK("http://evil.example","x")', spend_365d=17469.719999999998)
        )
    yield cid
    with book.engine.begin() as conn:
        conn.execute(
            update(CustomerProfile)
            .where(CustomerProfile.customer_id == cid)
            .values(name=old.name, spend_365d=old.spend_365d)
        )


def test_csv_export_defuses_formulas_and_writes_money_with_two_decimals(
    client: TestClient, hostile_customer: str
) -> None:
    r = client.get("/exports/customers.csv", headers=auth(Role.ADMIN))
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    row = next(x for x in rows if x["customer_id"] == hostile_customer)
    assert row["name"] == '\'=HYPERLINK("http://evil.example","x")'
    assert row["spend_365d"] == "17469.72"
    for x in rows:  # no cell of the file starts like a formula
        for v in x.values():
            assert not v.startswith(("=", "+", "-", "@", "\t", "\r")), v
        if x["spend_365d"]:
            assert len(x["spend_365d"].split(".")[1]) == 2


def test_xlsx_export_writes_text_never_a_formula(client: TestClient, hostile_customer: str) -> None:
    r = client.get("/exports/customers.xlsx", headers=auth(Role.ADMIN))
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        sheet = next(n for n in z.namelist() if n.startswith("xl/worksheets/"))
        assert b"<f>" not in z.read(sheet)  # no formula element anywhere
    ws = load_workbook(io.BytesIO(r.content)).active
    assert ws is not None
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        values = dict(zip(header, row, strict=True))
        if values["customer_id"].value == hostile_customer:
            assert values["name"].data_type == "s"
            assert values["name"].value.startswith("=HYPERLINK")
            assert values["spend_365d"].value == 17469.72
            assert values["spend_365d"].number_format == "0.00"
            break
    else:
        pytest.fail("the customer is not in the workbook")


def test_sales_sees_only_its_own_rows_in_a_search(client: TestClient) -> None:
    r = client.get("/customers", params={"q": "1"}, headers=auth(Role.SALES))
    assert all(i["account_manager"] == MANAGER for i in r.json()["items"])


# 9. events: unknown customers and absurd dates ----------------------------------------------


def _event(**over: object) -> dict[str, object]:
    body: dict[str, object] = {
        "idempotency_key": f"sec-{sorted(over.items())!r}"[:100],
        "kind": "order",
        "customer_id": "C0000003",
        "occurred_at": utcnow().strftime("%Y-%m-%dT%H:%M:%S+00:00"),
        "amount": 120.5,
    }
    return {**body, **over}


@pytest.mark.parametrize(
    ("over", "field", "words"),
    [
        ({"customer_id": "C9999999"}, "customer_id", "unknown customer 'C9999999'"),
        ({"occurred_at": "2099-01-01T10:00:00+08:00"}, "occurred_at", "in the future"),
        # the day before the ingest's earliest date (the same limit for events and files)
        (
            {"occurred_at": f"{Limits().earliest - dt.timedelta(days=1)}T10:00:00+08:00"},
            "occurred_at",
            "implausibly old",
        ),
        ({"amount": 20_000_000.0}, "amount", "absurd amount"),
    ],
)
def test_events_for_unknown_customers_or_absurd_times_are_refused(
    client: TestClient, book: Book, over: dict[str, object], field: str, words: str
) -> None:
    """#9: an order dated 2099 was accepted and kept a customer gold across runs."""
    r = client.post("/events", json=_event(**over), headers=auth(Role.SERVICE))
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "DataError" and r.json()["field"] == field
    assert words in r.json()["message"]
    from tierwise.store.schema import Event

    with book.engine.connect() as conn:  # nothing stored
        key = _event(**over)["idempotency_key"]
        assert conn.execute(select(Event.id).where(Event.key == key)).first() is None


def test_a_plausible_event_of_a_known_customer_is_accepted(client: TestClient) -> None:
    r = client.post("/events", json=_event(reference="SEC-OK-1"), headers=auth(Role.SERVICE))
    assert r.status_code == 202, r.text

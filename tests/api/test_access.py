"""Access control (R-INT-5): the pure decision, and every route × role through HTTP.

The route table is read from the app itself, so a new route without an authorization rule
fails :func:`test_every_route_names_one_action`, and a new action or route is in the decision
table automatically.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tierwise.api.access import (
    CUSTOMER_SCOPED,
    ROLE_ACTIONS,
    Action,
    CustomerRef,
    Principal,
    Role,
    Scope,
    decide,
    scope,
)
from tierwise.api.app import ROUTERS, create_app
from tierwise.api.deps import Authorize, AuthorizeCustomer
from tierwise.settings import Settings

from .conftest import MANAGER, SELF_ID, auth

PUBLIC = {("GET", "/health"), ("POST", "/auth/token")}


def _authorizers(dependant: Any) -> list[Authorize]:
    out = []
    for dep in dependant.dependencies:
        if isinstance(dep.call, Authorize):
            out.append(dep.call)
        out += _authorizers(dep)
    return out


def _routes() -> list[tuple[str, str, Authorize]]:
    """Every operation of the app with its authorization (checked against the OpenAPI paths,
    so a route mounted some other way cannot slip through)."""
    out = []
    for module in ROUTERS:
        for route in module.router.routes:
            assert isinstance(route, APIRoute)
            found = _authorizers(route.dependant)
            for method in sorted(route.methods):
                if (method, route.path) in PUBLIC:
                    assert not found
                    continue
                assert len(found) == 1, f"{method} {route.path} needs exactly one authorization"
                out.append((method, route.path, found[0]))
    spec = create_app(Settings(env="test")).openapi()["paths"]
    documented = {(m.upper(), p) for p, ops in spec.items() for m in ops}
    assert documented == {(m, p) for m, p, _ in out} | PUBLIC
    return out


ROUTES = _routes()


def test_every_route_names_one_action() -> None:
    assert len(ROUTES) >= 25
    assert {a.action for _, _, a in ROUTES} == set(Action) - {Action.PERSONAL_READ}


# A customer the sales principal owns (AM003) and one it does not
OWN, OTHER = "C0000002", "C0000003"


def _url(path: str, customer: str) -> str:
    return (
        path.replace("{customer_id}", customer)
        .replace("{override_id}", "1")
        .replace("{webhook_id}", "1")
        .replace("{key_id}", "99")
        .replace("{run_id}", "sample-run-1")
        .replace("{task_id}", "1")
        .replace("{name}", "some_audience")
        .replace("{code}", "some_tag")
        .replace("{code}", "nope")
        .replace("{check_id}", "1")
        .replace("{item_id}", "1")
        .replace("{payout_id}", "1")
        .replace("{visit_id}", "1")
        .replace("{wave_id}", "1")
        .replace("{supply_run_id}", "1")
    )


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize(
    ("method", "path", "authz"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES]
)
def test_decision_table(
    client: TestClient, role: Role, method: str, path: str, authz: Authorize
) -> None:
    """Every route answers 403 exactly when the role table denies its action."""
    allowed = authz.action in ROLE_ACTIONS[role]
    own = {Role.SALES: OWN, Role.CUSTOMER: SELF_ID}  # scoped roles ask for their own row
    url = _url(path, own.get(role, OTHER))
    r = client.request(method, url, headers=auth(role), json={})
    if allowed:
        assert r.status_code != 403, (role, method, path, r.json())
        assert r.status_code != 401
    else:
        assert r.status_code == 403, (role, method, path, r.status_code)
        assert r.json()["error"] == "PermissionDeniedError"


@pytest.mark.parametrize(
    ("method", "path", "authz"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES]
)
def test_no_credentials_is_401(
    client: TestClient, method: str, path: str, authz: Authorize
) -> None:
    r = client.request(method, _url(path, OTHER), json={})
    assert r.status_code == 401 and r.json()["error"] == "AuthenticationError"
    assert r.headers["www-authenticate"] == "Bearer"


def test_customer_routes_check_the_row() -> None:
    scoped = [(m, p) for m, p, a in ROUTES if isinstance(a, AuthorizeCustomer)]
    assert ("GET", "/customers/{customer_id}") in scoped


def test_sales_sees_only_own_customers(client: TestClient) -> None:
    h = auth(Role.SALES)
    assert client.get(f"/customers/{OWN}", headers=h).status_code == 200
    r = client.get(f"/customers/{OTHER}", headers=h)
    assert r.status_code == 403 and "own customers" in r.json()["message"]
    page = client.get("/customers?limit=500", headers=h).json()
    assert page["total"] > 0 and {c["account_manager"] for c in page["items"]} == {MANAGER}
    # a filter for another manager's customers gives nothing, not their rows
    assert client.get("/customers?account_manager=AM004", headers=h).json()["total"] == 0


def test_customer_sees_only_itself(client: TestClient) -> None:
    me = client.get("/me", headers=auth(Role.CUSTOMER)).json()
    assert me["customer_id"] == SELF_ID
    assert client.get(f"/customers/{SELF_ID}", headers=auth(Role.CUSTOMER)).status_code == 403


def test_decide_is_pure_and_explains() -> None:
    sales = Principal("user:s", Role.SALES, manager_id="AM001")
    mine, theirs = CustomerRef("C1", "AM001"), CustomerRef("C2", "AM002")
    assert decide(sales, Action.CUSTOMER_READ, mine)
    assert not decide(sales, Action.CUSTOMER_READ, theirs)
    assert not decide(Principal("user:x", Role.SALES), Action.CUSTOMER_READ, mine)
    d = decide(Principal("user:m", Role.MARKETING), Action.PERSONAL_READ, mine)
    assert not d and "marketing" in d.reason
    cust = Principal("key:app", Role.CUSTOMER, customer_id="C1")
    assert decide(cust, Action.SELF_READ, mine) and not decide(cust, Action.SELF_READ, theirs)
    assert scope(sales) == Scope(account_manager="AM001")
    assert scope(Principal("user:s2", Role.SALES)) == Scope(nothing=True)
    assert scope(Principal("user:a", Role.ADMIN)) == Scope()


def test_who_runs_campaigns_and_uses_coupons() -> None:
    """Issue 24: marketing defines and sends campaigns, analysts read them; the order system
    (service) uses coupons and the gateway reports receipts; nobody else does."""
    roles = lambda a: {r for r, acts in ROLE_ACTIONS.items() if a in acts}  # noqa: E731
    assert roles(Action.CAMPAIGN_MANAGE) == {Role.ADMIN, Role.MARKETING}
    assert roles(Action.CAMPAIGN_READ) == {Role.ADMIN, Role.MARKETING, Role.ANALYST}
    assert (
        roles(Action.COUPON_REDEEM)
        == roles(Action.CAMPAIGN_CALLBACK)
        == {
            Role.ADMIN,
            Role.SERVICE,
        }
    )


def test_who_works_the_service_desk_and_reads_service_levels() -> None:
    """R-OPS-1 (issue 21 item 3): the desk and the CRM/ERP/WMS (service) work the queue, post
    tickets, read levels and the delivery list; analysts read breaches and the list (masked);
    account managers and customers only the service level of the customers they may read."""
    roles = lambda a: {r for r, acts in ROLE_ACTIONS.items() if a in acts}  # noqa: E731
    assert roles(Action.SERVICE_TICKET) == {Role.ADMIN, Role.SERVICE}
    assert roles(Action.SERVICE_QUEUE) == roles(Action.DELIVERY_LIST)
    assert roles(Action.SERVICE_QUEUE) == {Role.ADMIN, Role.SERVICE, Role.ANALYST}
    assert roles(Action.SERVICE_LEVEL) == {
        Role.ADMIN, Role.SERVICE, Role.ANALYST, Role.SALES, Role.CUSTOMER,
    }  # fmt: skip
    assert Action.SERVICE_LEVEL in CUSTOMER_SCOPED
    mine, theirs = CustomerRef("C1", MANAGER), CustomerRef("C2", "AM999")
    sales = Principal("user:s", Role.SALES, manager_id=MANAGER)
    assert decide(sales, Action.SERVICE_LEVEL, mine)
    assert not decide(sales, Action.SERVICE_LEVEL, theirs)


def test_only_some_roles_see_personal_data() -> None:
    seeing = {r for r, acts in ROLE_ACTIONS.items() if Action.PERSONAL_READ in acts}
    assert seeing == {Role.ADMIN, Role.RISK, Role.SALES, Role.SERVICE}

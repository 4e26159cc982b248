"""Console pages without a browser: the catalog, sign-in, CSRF, language, roles, the demo login."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tierwise.api.access import Role
from tierwise.api.app import create_app
from tierwise.api.auth import utcnow
from tierwise.api.sample import seed
from tierwise.console.demo import demo_admin
from tierwise.console.messages import EN, ZH, benefit_text
from tierwise.console.web import HERE
from tierwise.policy.schema import Label
from tierwise.settings import Settings
from tierwise.store.db import make_engine, sqlite_url

PW = "pages-test-password"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    home = tmp_path_factory.mktemp("pages")
    engine = make_engine(sqlite_url(home / "state.db"))
    seed(engine, home, 40)
    app = create_app(Settings(home=home, env="test"), engine=engine)
    for name, role in (("ana", Role.ANALYST), ("desk", Role.SERVICE), ("boss", Role.ADMIN)):
        app.state.ctx.users.add_user(name, role, PW, now=utcnow())
    with TestClient(app) as c:
        yield c
    engine.dispose()


def sign_in(c: TestClient, user: str) -> None:
    c.cookies.clear()
    c.get("/console/login")
    r = c.post(
        "/console/login",
        data={"username": user, "password": PW, "csrf": c.cookies["tw_csrf"]},
        follow_redirects=False,
    )
    assert r.status_code == 303


def test_both_languages_have_the_same_keys_and_templates_use_only_known_keys() -> None:
    assert ZH.keys() == EN.keys()
    used = set()
    for path in (HERE / "templates").glob("*.html"):
        used |= set(re.findall(r"t\('([a-z_0-9]+)'\)", path.read_text(encoding="utf-8")))
    assert used and used <= ZH.keys(), used - ZH.keys()


def test_pages_need_a_session_and_forms_need_the_csrf_token(client: TestClient) -> None:
    client.cookies.clear()
    r = client.get("/console/customers", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/console/login"
    client.get("/console/login")
    r = client.post("/console/login", data={"username": "ana", "password": PW, "csrf": "x" * 30})
    assert r.status_code == 403  # a forged form (token not the cookie's) is refused
    r = client.post(
        "/console/login",
        data={"username": "ana", "password": "wrong", "csrf": client.cookies["tw_csrf"]},
    )
    assert r.status_code == 401 and "用户名或密码错误" in r.text


def test_chinese_by_default_english_on_request_and_remembered(client: TestClient) -> None:
    sign_in(client, "ana")
    assert "客户" in client.get("/console/customers").text
    assert "<h1>Customers</h1>" in client.get("/console/customers?lang=en").text
    assert "<h1>Customers</h1>" in client.get("/console/customers").text  # the cookie
    client.get("/console/customers?lang=zh")


def test_roles_decide_what_pages_show(client: TestClient) -> None:
    sign_in(client, "desk")  # customer service: list and 360°, no analytics, no policies
    assert client.get("/console/").status_code == 403
    assert client.get("/console/policies").status_code == 403
    page = client.get("/console/customers").text
    assert "/console/policies" not in page and "(已脱敏)" not in page
    sign_in(client, "ana")
    page = client.get("/console/customers").text
    assert "(已脱敏)" in page
    assert client.get("/console/runs").status_code == 200
    assert client.get("/customers", headers={"Accept": "application/json"}).status_code == 401


def test_the_360_page_shows_an_alias_feature_once(client: TestClient) -> None:
    """recency_days and its alias days_since_last_order are one metric, shown once."""
    sign_in(client, "boss")
    page = client.get("/console/customers").text
    first = re.search(r'href="/console/customers/([^"?#]+)"', page)
    assert first
    page = client.get(f"/console/customers/{first.group(1)}").text
    assert page.count("距上次下单天数") == 1


def test_the_api_keeps_json_errors_next_to_the_console(client: TestClient) -> None:
    r = client.get("/customers/C0000001")
    assert r.status_code == 401 and r.json()["error"] == "AuthenticationError"


def test_the_demo_admin_gets_a_new_random_password_each_time(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "state.db"))
    seed(engine, tmp_path, 5)
    name, first = demo_admin(engine, utcnow())
    again, second = demo_admin(engine, utcnow())
    assert name == again and first != second and len(second) >= 16
    engine.dispose()


def test_overrides_on_the_360_page_follow_decide_and_need_a_reason(client: TestClient) -> None:
    """Issue 7: the override block shows to roles that may list overrides; only a role that
    may write one gets the forms and may post them; a reason is required to set and clear."""
    cid = "C0000001"
    sign_in(client, "desk")  # customer service: no override.list
    assert 'id="override"' not in client.get(f"/console/customers/{cid}").text
    sign_in(client, "ana")  # analyst: sees it, may not write
    page = client.get(f"/console/customers/{cid}").text
    assert 'id="override-none"' in page and 'id="override-set"' not in page
    csrf = client.cookies["tw_csrf"]
    form = {"tier": "gold", "reason": "大客户协议", "days": "30", "csrf": csrf}
    r = client.post(f"/console/customers/{cid}/override", data=form, follow_redirects=False)
    assert r.status_code == 403
    sign_in(client, "boss")
    assert 'id="override-set"' in client.get(f"/console/customers/{cid}").text
    csrf = client.cookies["tw_csrf"]
    blank = {**form, "reason": "   ", "csrf": csrf}
    r = client.post(f"/console/customers/{cid}/override", data=blank, follow_redirects=False)
    assert r.status_code == 400 and "reason" in r.text
    ok = {**form, "csrf": csrf}
    # issue 18 finding 2: the first post only asks for confirmation, showing the move
    r = client.post(f"/console/customers/{cid}/override", data=ok, follow_redirects=False)
    assert r.status_code == 200 and 'id="confirm-yes"' in r.text and "大客户协议" in r.text
    assert 'id="override-none"' in client.get(f"/console/customers/{cid}").text  # nothing yet
    ok["confirmed"] = "yes"
    r = client.post(f"/console/customers/{cid}/override", data=ok, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get(f"/console/customers/{cid}").text
    assert "大客户协议" in page and "user:boss" in page
    oid = re.search(r"/override/(\d+)/clear", page)
    assert oid is not None
    clear = f"/console/customers/{cid}/override/{oid[1]}/clear"
    r = client.post(clear, data={"reason": "", "csrf": csrf}, follow_redirects=False)
    assert r.status_code == 400  # no reason: still active
    assert "大客户协议" in client.get(f"/console/customers/{cid}").text
    r = client.post(clear, data={"reason": "协议到期", "csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert 'id="override-none"' in client.get(f"/console/customers/{cid}").text


def test_the_360_override_block_reads_the_active_override_with_one_query(
    client: TestClient,
) -> None:
    """The block needs the newest active override only: one SELECT, no COUNT beside it."""
    from sqlalchemy import event

    cid = "C0000002"
    sign_in(client, "boss")
    csrf = client.cookies["tw_csrf"]
    form = {"tier": "gold", "reason": "试用协议", "days": "30", "csrf": csrf, "confirmed": "yes"}
    r = client.post(f"/console/customers/{cid}/override", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    engine = client.app.state.ctx.engine  # type: ignore[attr-defined]
    seen: list[str] = []

    def record(conn: object, cursor: object, statement: str, *rest: object) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        page = client.get(f"/console/customers/{cid}").text
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert "试用协议" in page  # the override is shown as before
    on_overrides = [s for s in seen if "FROM overrides" in s]
    assert len(on_overrides) == 1, on_overrides
    assert "count(" not in on_overrides[0].lower()


def test_a_benefit_value_reads_in_the_page_language() -> None:
    """A {zh, en} value from the policy (or from run.json) in the page's language; a flag as
    是/否 (Yes/No); a code in words; a plain text as written in both languages."""
    label = Label(zh="专属客服", en="Dedicated service desk")
    assert benefit_text("service", label, "en") == ("Service", "Dedicated service desk")
    assert benefit_text("service", label, "zh") == ("服务", "专属客服")
    stored = {"zh": "常规服务", "en": "Standard service"}
    assert benefit_text("service", stored, "en")[1] == "Standard service"
    assert benefit_text("priority_delivery", True, "en")[1] == EN["yes"]
    assert benefit_text("payment_terms", "weekly", "zh")[1] == ZH["c_payment_terms_weekly"]
    assert benefit_text("service", "夜间配送", "en")[1] == "夜间配送"
    assert benefit_text("gifts", ["券", "礼盒"], "zh")[1] == "券、礼盒"


def test_the_360_page_lists_features_in_catalog_order_by_name(client: TestClient) -> None:
    """Named in the page's language (not codes), grouped as the catalog groups them."""
    from tierwise.explain.terms import feature_name
    from tierwise.features.catalog import CATALOG

    sign_in(client, "boss")
    page = client.get("/console/customers/C0000003", params={"lang": "en"}).text
    table = re.search(r'<table class="grid" id="features">(.*?)</table>', page, re.S)
    assert table is not None
    shown = re.findall(r"<tr><td>([^<]+)</td>", table.group(1))
    by_name = {feature_name(n, "en"): i for i, n in enumerate(CATALOG)}
    assert len(shown) >= 3 and all(n in by_name for n in shown), shown
    assert [by_name[n] for n in shown] == sorted(by_name[n] for n in shown)

"""The console's admin page of users and API keys (issue 17 #8, R-INT-5): only admins reach
it; every action is confirmed first, audited, and takes effect at once (a disabled or deleted
user's console session and API token stop at the next request); a key is shown once, right
after it is created or rotated, never in the list. In Chinese and English (and in Chromium)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from tierwise.store.db import make_engine, sqlite_url

from .conftest import PASSWORD, Site, login, shot
from .test_codes import sign_in, visible_text


def _audit(site: Site, action: str, target: str) -> list[Any]:
    engine = make_engine(sqlite_url(site.home / "state.db"))
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT actor, detail FROM audit_log WHERE action = :a AND target = :t"),
            {"a": action, "t": target},
        ).all()
    engine.dispose()
    return list(rows)


def _row(page: str, table: str, name: str) -> str:
    """The ``<tr>`` of one user (``data-name``) or key (``key:<name>``) on the page."""
    body = page.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    for tr in re.findall(r"<tr data-id=.*?</tr>", body, re.S):
        if f'data-name="{name}"' in tr or f"key:{name}<" in tr:
            return str(tr)
    raise AssertionError(f"{name} is not listed in {table}")


def _user_id(page: str, name: str) -> int:
    m = re.search(r'data-id="(\d+)"', _row(page, "user-table", name))
    assert m
    return int(m[1])


def _post(client: httpx.Client, path: str, **form: str) -> httpx.Response:
    return client.post(path, data={"csrf": client.cookies["tw_csrf"], **form})


def _add_user(admin: httpx.Client, name: str, role: str = "analyst", binding: str = "") -> int:
    r = _post(admin, "/console/users", name=name, role=role, password=PASSWORD, binding=binding)
    assert r.status_code == 303, r.text
    assert r.headers["location"] == f"/console/users?done=create&target=user:{name}"
    return _user_id(admin.get("/console/users").text, name)


def test_only_admins_reach_the_page_and_its_menu_entry(site: Site) -> None:
    admin = sign_in(site, "admin")
    r = admin.get("/console/users")
    assert r.status_code == 200
    assert '<a href="/console/users"' in r.text and "用户与密钥" in r.text
    for name in ("admin", "analyst", "sales", "shop"):
        assert _row(r.text, "user-table", name)
    assert "不能停用或删除自己" in _row(r.text, "user-table", "admin")  # no buttons on oneself
    assert "act-disable" in _row(r.text, "user-table", "analyst")
    for user in ("analyst", "sales", "shop"):
        other = sign_in(site, user)
        assert other.get("/console/users").status_code == 403, user
        assert _post(other, "/console/api-keys/1/revoke", confirmed="yes").status_code == 403
        home = other.get("/console/me" if user == "shop" else "/console/customers").text
        assert "/console/users" not in home, user  # not in their menu


def test_disable_is_confirmed_audited_and_ends_the_session_at_once(site: Site) -> None:
    admin = sign_in(site, "admin")
    uid = _add_user(admin, "ops-temp")
    temp = sign_in(site, "ops-temp")
    assert temp.get("/console/customers").status_code == 200
    token = httpx.post(
        f"{site.url}/auth/token", json={"username": "ops-temp", "password": PASSWORD}
    ).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{site.url}/customers", headers=bearer).status_code == 200

    # first the confirmation: nothing happens yet
    r = _post(admin, f"/console/users/{uid}/disable")
    assert r.status_code == 200 and 'id="confirm-form"' in r.text and "确认停用用户" in r.text
    assert "user:ops-temp" in r.text
    assert temp.get("/console/customers").status_code == 200
    # then confirmed: the session and the token stop at the next request
    r = _post(admin, f"/console/users/{uid}/disable", confirmed="yes")
    assert r.status_code == 303
    page = admin.get(r.headers["location"]).text
    assert 'id="done"' in page and 'data-active="no"' in _row(page, "user-table", "ops-temp")
    r = temp.get("/console/customers")
    assert r.status_code == 303 and r.headers["location"] == "/console/login"
    assert httpx.get(f"{site.url}/customers", headers=bearer).status_code == 401
    ((actor, detail),) = _audit(site, "user.disable", "ops-temp")
    assert actor == "user:admin" and "console" in str(detail)
    # and a disabled user cannot sign in again
    again = httpx.Client(base_url=site.url)
    again.get("/console/login")
    r = _post(again, "/console/login", username="ops-temp", password=PASSWORD)
    assert r.status_code == 401

    # enabled again: signs in
    assert _post(admin, f"/console/users/{uid}/enable", confirmed="yes").status_code == 303
    assert sign_in(site, "ops-temp").get("/console/customers").status_code == 200
    assert _audit(site, "user.enable", "ops-temp")

    # deleted: gone from the list, its session stops
    temp = sign_in(site, "ops-temp")
    r = _post(admin, f"/console/users/{uid}/delete")
    assert "确认删除用户" in r.text
    assert _post(admin, f"/console/users/{uid}/delete", confirmed="yes").status_code == 303
    assert 'data-name="ops-temp"' not in admin.get("/console/users").text
    assert temp.get("/console/customers").status_code == 303
    assert _audit(site, "user.delete", "ops-temp")
    assert _post(admin, f"/console/users/{uid}/delete", confirmed="yes").status_code == 404


def test_an_admin_cannot_disable_itself_and_forms_need_the_csrf_token(site: Site) -> None:
    admin = sign_in(site, "admin")
    me = _user_id(admin.get("/console/users").text, "admin")
    r = _post(admin, f"/console/users/{me}/disable", confirmed="yes")
    assert r.status_code == 400 and "you cannot disable yourself" in r.text
    assert admin.get("/console/users").status_code == 200  # still signed in and active
    analyst = _user_id(admin.get("/console/users").text, "analyst")
    r = admin.post(f"/console/users/{analyst}/disable", data={"confirmed": "yes"})
    assert r.status_code == 403
    assert 'data-active="yes"' in _row(admin.get("/console/users").text, "user-table", "analyst")


def test_sign_in_figures_last_login_and_failures_since_it(site: Site) -> None:
    admin = sign_in(site, "admin")
    _add_user(admin, "ops-typist")
    anon = httpx.Client(base_url=site.url)
    anon.get("/console/login")
    for _ in range(2):
        r = _post(anon, "/console/login", username="ops-typist", password="wrong password")
        assert r.status_code == 401
    row = _row(admin.get("/console/users").text, "user-table", "ops-typist")
    assert re.search(r'class="num failures"><span class="badge overdue">2<', row)
    assert "从未" in row  # never signed in yet
    sign_in(site, "ops-typist")
    row = _row(admin.get("/console/users").text, "user-table", "ops-typist")
    assert 'class="num failures">0<' in row and "从未" not in row
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", row)


def test_bad_new_user_is_refused_with_what_to_fix(site: Site) -> None:
    admin = sign_in(site, "admin")
    r = _post(admin, "/console/users", name="ops-short", role="analyst", password="short")
    assert r.status_code == 400 and "password" in r.text
    r = _post(admin, "/console/users", name="ops-am", role="sales", password=PASSWORD)
    assert r.status_code == 400 and "manager_id" in r.text
    assert 'data-name="ops-short"' not in admin.get("/console/users").text


def test_a_key_is_shown_once_and_rotate_and_revoke_take_effect_at_once(site: Site) -> None:
    admin = sign_in(site, "admin")
    r = _post(admin, "/console/api-keys", name="ops-crm", role="service")
    assert r.status_code == 201 and r.headers["cache-control"] == "no-store"
    secret = re.search(r'<code id="secret">([^<]+)</code>', r.text)
    assert secret and "只显示这一次" in r.text
    key = secret[1]
    api = {"X-API-Key": key}
    assert httpx.get(f"{site.url}/customers", headers=api).status_code == 200
    page = admin.get("/console/users").text
    assert key not in page  # the list shows the prefix only
    row = _row(page, "key-table", "ops-crm")
    assert f"{key[:10]}…" in row and 'data-revoked="no"' in row
    assert "从未" not in row  # last used: just now
    key_id = int(re.findall(r'data-id="(\d+)"', row)[0])
    assert _audit(site, "apikey.create", "ops-crm")

    # rotate: confirmed, the old key stops, the new one is shown once and works
    r = _post(admin, f"/console/api-keys/{key_id}/rotate")
    assert r.status_code == 200 and "确认轮换密钥" in r.text
    assert httpx.get(f"{site.url}/customers", headers=api).status_code == 200
    r = _post(admin, f"/console/api-keys/{key_id}/rotate", confirmed="yes")
    assert r.status_code == 201 and r.headers["cache-control"] == "no-store"
    new = re.search(r'<code id="secret">([^<]+)</code>', r.text)
    assert new and new[1] != key and f"#{key_id}" in r.text
    assert httpx.get(f"{site.url}/customers", headers=api).status_code == 401
    api = {"X-API-Key": new[1]}
    assert httpx.get(f"{site.url}/customers", headers=api).status_code == 200
    (entry,) = _audit(site, "apikey.rotate", str(key_id))
    assert "console" in str(entry.detail)
    page = admin.get("/console/users").text
    assert new[1] not in page
    assert 'data-revoked="yes"' in _row_by_id(page, key_id)
    new_id = int(re.findall(r"new_id\D+(\d+)", str(entry.detail))[0])

    # revoke: confirmed, then the key stops at once
    r = _post(admin, f"/console/api-keys/{new_id}/revoke")
    assert "确认吊销密钥" in r.text
    r = _post(admin, f"/console/api-keys/{new_id}/revoke", confirmed="yes")
    assert r.status_code == 303
    assert httpx.get(f"{site.url}/customers", headers=api).status_code == 401
    assert _audit(site, "apikey.revoke", str(new_id))
    assert _post(admin, f"/console/api-keys/{new_id}/revoke", confirmed="yes").status_code == 404


def _row_by_id(page: str, key_id: int) -> str:
    body = page.split('id="key-table"', 1)[1]
    m = re.search(rf'<tr data-id="{key_id}".*?</tr>', body, re.S)
    assert m
    return m[0]


def test_english_on_request(site: Site) -> None:
    admin = sign_in(site, "admin")
    page = admin.get("/console/users", params={"lang": "en"}).text
    words = visible_text(page)
    for phrase in ("Users & keys", "Last sign-in", "Failed sign-ins", "API keys", "Last used"):
        assert phrase in words, phrase
    assert "Administrator" in words and "role_admin" not in words


@pytest.mark.browser
def test_the_users_page_in_chromium(new_page: Any, site: Site) -> None:
    admin = sign_in(site, "admin")
    _add_user(admin, "ops-browser")
    _post(admin, "/console/api-keys", name="ops-erp", role="service")
    page = new_page()
    login(page, site, "admin")
    page.goto(f"{site.url}/console/users")
    assert "用户与密钥" in page.inner_text("h1")
    shot(page, "40-users-keys-zh")
    page.click('tr[data-name="ops-browser"] button.act-disable')
    page.wait_for_load_state("networkidle")
    assert "确认停用用户" in page.inner_text("h1")
    page.click("#confirm-yes")
    page.wait_for_load_state("networkidle")
    assert page.locator('tr[data-name="ops-browser"]').get_attribute("data-active") == "no"
    assert page.locator("#done").count() == 1
    page.goto(f"{site.url}/console/users?lang=en")
    shot(page, "41-users-keys-en")
    row = page.locator("#key-table tr", has_text="key:ops-erp").first
    row.locator("button.act-rotate").click()
    page.wait_for_load_state("networkidle")
    page.click("#confirm-yes")
    page.wait_for_load_state("networkidle")
    assert page.locator("#secret").inner_text().startswith("tw_")
    shot(page, "42-users-key-shown-en")

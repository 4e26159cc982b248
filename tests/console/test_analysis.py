"""The console's evaluation page (R-ANA-4, R-ANA-6): numbers = the API's, words not codes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from anabook import RUN_1, RUN_2, build
from tierwise.api.access import Role
from tierwise.api.app import create_app
from tierwise.api.auth import utcnow
from tierwise.settings import Settings
from tierwise.store.db import make_engine, sqlite_url

from .conftest import Site, login, shot
from .test_browser import api
from .test_codes import FIELD_CODES, raw_codes_in, sign_in

PW = "analysis-test-password"
CODES = {"platinum", "gold", "silver", "bronze", "upgraded", "downgraded", "unchanged", "entered"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    home: Path = tmp_path_factory.mktemp("analysis")
    engine = make_engine(sqlite_url(home / "state.db"))
    build(home, engine)
    app = create_app(Settings(home=home, env="test"), engine=engine)
    app.state.ctx.users.add_user("ana", Role.ANALYST, PW, now=utcnow())
    app.state.ctx.users.add_user("shop", Role.CUSTOMER, PW, now=utcnow(), customer_id="g1")
    with TestClient(app) as c:
        yield c
    engine.dispose()


def _sign_in(c: TestClient, user: str) -> None:
    c.cookies.clear()
    c.get("/console/login")
    r = c.post(
        "/console/login",
        data={"username": user, "password": PW, "csrf": c.cookies["tw_csrf"]},
        follow_redirects=False,
    )
    assert r.status_code == 303


def test_page_in_both_languages(client: TestClient) -> None:
    _sign_in(client, "ana")
    r = client.get(f"/console/analysis?run={RUN_2}&days=30")
    assert r.status_code == 200
    assert "效果评估" in r.text and "黄金" in r.text and "白银 → 黄金" in r.text
    assert "+125.00" in r.text and "样本过少" in r.text
    assert not raw_codes_in(r.text, CODES)
    en = client.get(f"/console/analysis?run={RUN_2}&days=45&lang=en")
    assert "Silver → Gold" in en.text and "covers 31 of 45 days" in en.text
    assert not raw_codes_in(en.text, CODES, "en")


def test_first_run_and_bad_days(client: TestClient) -> None:
    _sign_in(client, "ana")
    r = client.get(f"/console/analysis?run={RUN_1}&lang=en")
    assert r.status_code == 200 and "first published run" in r.text
    assert client.get("/console/analysis?run=nope").status_code == 404
    assert client.get("/console/analysis?days=0").status_code == 422


def test_a_customer_may_not_see_it(client: TestClient) -> None:
    _sign_in(client, "shop")
    assert client.get("/console/analysis").status_code == 403


@pytest.mark.browser
def test_evaluation_page_matches_the_api(new_page: Any, site: Site) -> None:
    page = new_page()
    login(page, site, "analyst")
    page.click("nav >> text=效果评估")
    page.wait_for_selector("#tw-metrics")
    metrics = api(site, "analyst", "/analytics/metrics")
    rows = page.locator("#tw-metrics tbody tr")
    assert rows.count() == len(metrics["tiers"])
    for t in metrics["tiers"]:
        row = page.locator(f'#tw-metrics tr[data-tier="{t["tier"]}"]')
        assert row.locator("td").nth(1).inner_text().replace(",", "") == str(t["customers"])
    assert page.locator("#tw-effect table").count() == 1  # two runs: an effect to show
    shot(page, "20-analysis-zh")
    page.click("header >> text=English")
    page.wait_for_selector("text=Effect of tier changes")
    shot(page, "21-analysis-en")


def test_no_raw_code_on_the_demo_book(site: Site) -> None:
    codes = CODES | FIELD_CODES
    for lang in ("zh", "en"):
        r = sign_in(site, "admin").get("/console/analysis", params={"lang": lang})
        assert r.status_code == 200
        assert not raw_codes_in(r.text, codes, lang), lang

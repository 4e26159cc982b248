"""Product recommendations on the 360° page and the customer's own view (R-OPS-7), zh and en."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from recommend.synthbook import make_book
from tierwise.api.access import Role
from tierwise.api.app import create_app
from tierwise.api.auth import utcnow
from tierwise.api.sample import seed
from tierwise.recommend.lists import build_lists
from tierwise.recommend.policy import RecommendPolicy
from tierwise.recommend.service import store_lists
from tierwise.settings import Settings
from tierwise.store.db import make_engine, sqlite_url

from .test_pages import PW, sign_in

SHOP = "C0000005"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    home = tmp_path_factory.mktemp("recs")
    engine = make_engine(sqlite_url(home / "state.db"))
    seed(engine, home, 40)
    book, _ = make_book(n_customers=40, days=120)
    store_lists(engine, build_lists(book, RecommendPolicy(), "als"), None, dt.datetime(2026, 11, 1))
    app = create_app(Settings(home=home, env="test"), engine=engine)
    users = app.state.ctx.users
    users.add_user("boss", Role.ADMIN, PW, now=utcnow())
    users.add_user("shop", Role.CUSTOMER, PW, now=utcnow(), customer_id=SHOP)
    with TestClient(app) as c:
        yield c
    engine.dispose()


def test_the_360_page_shows_both_lists_in_both_languages(client: TestClient) -> None:
    sign_in(client, "boss")
    page = client.get(f"/console/customers/{SHOP}").text
    assert 'id="recommendations"' in page and "常购清单" in page and "猜你喜欢" in page
    assert page.count('<li data-sku="') == 20 and "天买一次" in page
    page = client.get(f"/console/customers/{SHOP}", params={"lang": "en"}).text
    assert "Buy again" in page and "New to you" in page and "Bought about every" in page


def test_the_customer_sees_its_own_lists(client: TestClient) -> None:
    sign_in(client, "shop")
    page = client.get("/console/me").text
    assert "常购清单" in page and page.count('<li data-sku="') == 20


def test_the_models_page_shows_the_backtest_and_the_decision(client: TestClient) -> None:
    from tierwise.recommend.evaluate import backtest, ship_decision
    from tierwise.recommend.service import write_backtest

    sign_in(client, "boss")
    assert "尚无回测" in client.get("/console/models").text
    book, _ = make_book(n_customers=90, days=120)
    bt = backtest(book, dt.date(2026, 6, 10), horizon_days=14)
    write_backtest(client.app.state.ctx.settings.home, bt, ship_decision(bt))  # type: ignore[attr-defined]
    page = client.get("/console/models").text
    assert 'id="recs-backtest"' in page and 'data-list="new" data-model="als"' in page
    assert ("猜你喜欢上线模型" in page) or ("协同过滤未胜出" in page)
    assert "Recommendation backtest" in client.get("/console/models", params={"lang": "en"}).text

"""Console pages of tags and audiences (issue 20), without a browser: zh-CN and English,
roles, the live count with its one-line errors, the 360° tag panel, exports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert

from console.test_pages import PW
from console.test_pages import sign_in as console_sign_in
from tierwise.api.access import Role
from tierwise.api.app import create_app
from tierwise.api.auth import utcnow
from tierwise.settings import Settings
from tierwise.store.schema import CustomerProfile


@pytest.fixture
def client(tags_home: Path, engine: Engine) -> Iterator[TestClient]:
    with engine.begin() as conn:
        conn.execute(
            insert(CustomerProfile),
            [{"customer_id": "c1", "name": "门店1", "account_manager": "AM1",
              "refreshed_at": dt.datetime(2025, 7, 1)}],
        )  # fmt: skip
    app = create_app(Settings(home=tags_home, env="test"), engine=engine)
    users = app.state.ctx.users
    users.add_user("mk", Role.MARKETING, PW, now=utcnow())
    users.add_user("am", Role.SALES, PW, now=utcnow(), manager_id="AM1")
    with TestClient(app) as c:
        yield c


def sign_in(c: TestClient, user: str) -> str:
    """Sign in (the console tests' helper) and return the CSRF token of the session."""
    console_sign_in(c, user)
    return str(c.cookies["tw_csrf"])


def test_tag_catalogue_page_in_both_languages(client: TestClient) -> None:
    sign_in(client, "mk")
    zh = client.get("/console/tags").text
    assert "标签目录" in zh and "火锅食材重度" in zh and 'id="snapshot"' in zh
    assert "2025-06-30" in zh  # the snapshot shown
    en = client.get("/console/tags?lang=en&group=risk").text
    assert "Tag catalogue" in en and "Has overdue amount" in en and "Heavy hotpot" not in en


def test_audience_builder_counts_saves_and_exports(client: TestClient) -> None:
    csrf = sign_in(client, "mk")
    page = client.get("/console/audiences").text
    assert 'id="builder"' in page
    ok = client.post(
        "/console/audiences/preview", data={"expression": "biz_chain", "csrf": csrf}
    ).text
    assert 'id="live-count"' in ok and "<strong>2</strong>" in ok
    bad = client.post(
        "/console/audiences/preview", data={"expression": "biz_chian", "csrf": csrf}
    ).text
    assert "unknown tag or name &#39;biz_chian&#39; at column 1" in bad
    empty = client.post(
        "/console/audiences/preview",
        data={"expression": "never_ordered and cat_hotpot_heavy", "csrf": csrf},
    ).text
    assert 'id="empty-warning"' in empty
    r = client.post(
        "/console/audiences",
        data={"name": "chains", "expression": "biz_chain", "title_zh": "连锁", "csrf": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/console/audiences/chains"
    detail = client.get("/console/audiences/chains").text
    assert "<strong>2</strong>" in detail and 'id="export-xlsx"' in detail
    csv = client.get("/console/audiences/chains/export?format=csv")
    assert csv.content.decode("utf-8-sig").startswith("客户编号,账户编号,")


def test_sales_sees_the_360_tag_panel_but_not_audiences(client: TestClient) -> None:
    sign_in(client, "am")
    panel = client.get("/console/customers/c1/tags").text
    assert "品类偏好" in panel and 'data-code="cat_hotpot_heavy"' in panel
    assert "share_hotpot &gt;= 0.3" in panel  # why: the rule and the input's value
    assert client.get("/console/audiences").status_code == 403
    assert "/console/audiences" not in client.get("/console/tags", follow_redirects=False).text


def test_user_defined_tag_preview_in_the_console(client: TestClient) -> None:
    csrf = sign_in(client, "mk")
    r = client.post(
        "/console/tags/preview",
        data={"code": "hot_chain", "rule": "cat_hotpot_heavy and biz_chain", "csrf": csrf},
    ).text
    assert "<strong>1</strong>" in r


def test_deleting_an_audience_in_use_is_refused_in_the_console(client: TestClient) -> None:
    from tierwise.store.schema import Campaign

    csrf = sign_in(client, "mk")
    client.post("/console/audiences", data={"name": "chains", "expression": "biz_chain",
                                            "csrf": csrf})  # fmt: skip
    with client.app.state.ctx.engine.begin() as conn:
        conn.execute(insert(Campaign).values(
            name="summer", title="summer", audience="chains", status="active", spec={},
            salt="s", budget_fen=100, holdout_share=0.1, created_at=dt.datetime(2025, 7, 1),
            created_by="user:a",
        ))  # fmt: skip
    r = client.post("/console/audiences/chains/delete", data={"csrf": csrf},
                    follow_redirects=False)  # fmt: skip
    # the console's error page (a refusal is 400 there, as for a tag in use)
    assert r.status_code == 400 and "in use by campaign:summer" in r.text
    assert client.get("/console/audiences/chains").status_code == 200

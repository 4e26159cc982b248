"""The console's run page for a run held for its spot check (issue 23 item 4, R-GRD-11): the
sample with its review forms, the release button refused until every verdict is in, then
the run published; zh-CN by default, English on request; roles that may not release see
no button and get 403."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from gatebook import held_run
from tierwise.api.access import Role
from tierwise.api.app import create_app
from tierwise.settings import Settings
from tierwise.store.db import make_engine, sqlite_url
from tierwise.store.migrate import upgrade
from tierwise.store.schema import AuditEntry, SpotCheckItem

from .test_codes import visible_text
from .test_words import english_words

PASSWORD = "a-long-test-password-1"
NOW = dt.datetime(2026, 1, 1)


@pytest.fixture
def held(tmp_path: Path) -> Iterator[tuple[TestClient, str, list[int]]]:
    engine = make_engine(sqlite_url(tmp_path / "state.db"))
    upgrade(engine)
    run_id = held_run(tmp_path, engine, per_stratum=1)
    with engine.connect() as conn:
        items = list(conn.execute(select(SpotCheckItem.id).order_by(SpotCheckItem.id)).scalars())
    app = create_app(Settings(home=tmp_path, env="test"), engine=engine)
    for name, role in (("analyst", Role.ANALYST), ("risk", Role.RISK), ("mkt", Role.MARKETING)):
        app.state.ctx.users.add_user(name, role, PASSWORD, now=NOW)
    with TestClient(app) as c:
        yield c, run_id, items
    engine.dispose()


def _sign_in(c: TestClient, user: str) -> None:
    c.cookies.clear()
    c.get("/console/login")
    r = c.post(
        "/console/login",
        data={"username": user, "password": PASSWORD, "csrf": c.cookies["tw_csrf"]},
    )
    assert r.status_code in (200, 303), r.text


def test_the_run_page_reviews_then_releases_a_held_run(
    held: tuple[TestClient, str, list[int]],
) -> None:
    client, run_id, items = held
    _sign_in(client, "risk")
    listed = client.get("/console/runs")
    assert f'href="/console/runs/{run_id}"' in listed.text and "待抽检放行" in listed.text
    page = client.get(f"/console/runs/{run_id}")
    assert page.status_code == 200
    text = visible_text(page.text)
    assert "发布前人工抽检" in text and f"尚有 {len(items)} / {len(items)} 条变更未审核" in text
    assert not english_words(page.text), english_words(page.text)
    assert all(f'data-item="{i}"' in page.text for i in items)
    assert 'id="release-form"' not in page.text  # risk reviews, may not release
    csrf = client.cookies["tw_csrf"]
    assert client.post(f"/console/runs/{run_id}/publish", data={"csrf": csrf}).status_code == 403
    # a verdict from the run page comes back to it
    r = client.post(
        f"/console/spot-checks/items/{items[0]}",
        data={"verdict": "agree", "csrf": csrf, "back": f"/console/runs/{run_id}"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == f"/console/runs/{run_id}"

    _sign_in(client, "analyst")
    csrf = client.cookies["tw_csrf"]
    page = client.get(f"/console/runs/{run_id}")
    assert 'id="release-form"' in page.text and " disabled>" in page.text
    if len(items) > 1:  # the button is disabled; a forced post is refused with the reason
        refused = client.post(f"/console/runs/{run_id}/publish", data={"csrf": csrf})
        assert refused.status_code == 409 and "is not finished" in visible_text(refused.text)
    for i in items[1:]:
        client.post(f"/console/spot-checks/items/{i}", data={"verdict": "agree", "csrf": csrf})
    en = visible_text(client.get(f"/console/runs/{run_id}?lang=en").text)
    assert "The spot check is finished: the run can be published" in en and "100.0%" in en
    done = client.post(
        f"/console/runs/{run_id}/publish", data={"csrf": csrf}, follow_redirects=False
    )
    assert done.status_code == 303
    after = client.get(f"/console/runs/{run_id}?lang=zh-CN")
    text = visible_text(after.text)
    assert (
        "已发布" in text
        and "放行人: user:analyst" in text
        and 'id="release-form"' not in after.text
    )
    again = client.post(f"/console/runs/{run_id}/publish", data={"csrf": csrf})
    assert again.status_code == 409 and "only a run awaiting review" in again.text
    engine = client.app.state.ctx.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        rows = conn.execute(
            select(AuditEntry.actor, AuditEntry.detail).where(AuditEntry.action == "run.release")
        ).all()
    assert len(rows) == 1 and rows[0].actor == "user:analyst" and rows[0].detail["via"] == "console"


def test_marketing_sees_no_release_button(held: tuple[TestClient, str, list[int]]) -> None:
    client, run_id, _ = held
    _sign_in(client, "mkt")
    page = client.get(f"/console/runs/{run_id}")
    assert page.status_code == 200 and 'id="release-form"' not in page.text
    assert '<form method="post" action="/console/spot-checks/items/' not in page.text
    r = client.post(f"/console/runs/{run_id}/publish", data={"csrf": client.cookies["tw_csrf"]})
    assert r.status_code == 403
    assert client.get("/console/runs/nope").status_code == 404

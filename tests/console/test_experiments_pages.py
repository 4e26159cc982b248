"""The console's experiments pages (R-ANA-5, R-GRD-11): list with power figures, one
experiment's result with its interval chart, the spot-check queue; zh-CN and English."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from expbook import NOW, design, outlets, seed_profiles, write_book
from tierwise.api.access import Role
from tierwise.api.app import create_app
from tierwise.experiments import service, spotcheck
from tierwise.experiments.design import parse_design
from tierwise.settings import Settings
from tierwise.store.db import make_engine, sqlite_url
from tierwise.store.runs import Assignment, Cutoff, RunStore
from tierwise.tierstate.decide import StabilityRule

from .test_codes import visible_text

PASSWORD = "a-long-test-password-1"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    engine = make_engine(sqlite_url(tmp_path / "state.db"))
    seed_profiles(engine, outlets(300))
    write_book(tmp_path / "lake", outlets(300))
    service.create(engine, parse_design(design()), actor="user:analyst", now=NOW)
    members = service.start(engine, "rebate", tmp_path / "lake", actor="user:analyst", now=NOW)
    assert members["status"] == "running"
    assign = service.members_of(engine, "rebate")
    treated = set(assign.loc[assign["arm"] == "rebate", "customer_id"])
    write_book(tmp_path / "lake", outlets(300), window_extra=dict.fromkeys(treated, 400.0))
    store = RunStore(engine)
    cut = [Cutoff("gold", 0, 2.0), Cutoff("silver", 1, None)]
    for i, tier in enumerate(("silver", "gold")):
        store.begin(
            f"r{i}",
            policy_name="p",
            policy_hash="h",
            as_of=dt.date(2026, 1, 1 + i),
            data_fingerprint="f",
            started_at=NOW,
        )
        store.publish(f"r{i}", [Assignment("C0000", tier, 1.0)], cut, rule=StabilityRule(), now=NOW)
    spotcheck.open_check(engine, "r1", per_stratum=5, actor="user:analyst", now=NOW)
    app = create_app(Settings(home=tmp_path, env="test"), engine=engine)
    for name, role in (("analyst", Role.ANALYST), ("sales", Role.SALES)):
        app.state.ctx.users.add_user(name, role, PASSWORD, now=NOW, manager_id="AM1")
    with TestClient(app) as c:
        yield c
    engine.dispose()


def _sign_in(c: TestClient, user: str) -> None:
    c.get("/console/login")
    r = c.post(
        "/console/login",
        data={"username": user, "password": PASSWORD, "csrf": c.cookies["tw_csrf"]},
    )
    assert r.status_code in (200, 303), r.text


def test_the_list_the_result_and_the_queue_in_both_languages(client: TestClient) -> None:
    _sign_in(client, "analyst")
    listed = visible_text(client.get("/console/experiments").text)
    assert "实验与试点" in listed and "rebate" in listed and "元/账户" in listed
    page = client.get("/console/experiments/rebate?as_of=2026-03-31")
    assert page.status_code == 200
    text = visible_text(page.text)
    assert "rebate 对比对照" in text and "随时有效区间" in text and "最小可检测效应" in text
    assert 'class="ic-bar ic-fixed"' in page.text  # the interval chart
    en = visible_text(client.get("/console/experiments/rebate?as_of=2026-03-31&lang=en").text)
    assert "rebate vs control" in en and "Always-valid interval" in en
    queue = client.get("/console/spot-checks/1")
    assert "C0000" in queue.text and 'value="agree"' in queue.text
    r = client.post(
        "/console/spot-checks/items/1", data={"verdict": "agree", "csrf": client.cookies["tw_csrf"]}
    )
    assert r.status_code in (200, 303)
    assert "100.0%" in visible_text(client.get("/console/spot-checks/1?lang=en").text)


def test_sales_does_not_reach_experiments(client: TestClient) -> None:
    _sign_in(client, "sales")
    assert client.get("/console/experiments").status_code == 403
    assert "实验与试点" not in client.get("/console/tasks").text


def _form(**over: object) -> dict[str, object]:
    return {
        "code": "coupon-test", "name": "优惠券测试", "hypothesis": "", "provinces": "四川省",
        "cities": "", "audience": "", "arm": "coupon", "kind": "coupon", "amount": "30",
        "weight_control": "1", "weight_treatment": "1", "start": "2026-03-01",
        "end": "2026-03-31", "tail_days": "0", "metric": "spend", "target_effect": "100",
        "layer": "", **over,
    }  # fmt: skip


def test_a_design_is_made_checked_and_started_from_the_console(client: TestClient) -> None:
    """Issue 23 item 5: the design form, its errors in the page's language, the power check
    before the start button, and the start (audited), without the CLI or the API."""
    from sqlalchemy import select

    from tierwise.store.schema import AuditEntry

    from .test_words import english_words

    _sign_in(client, "analyst")
    assert 'href="/console/experiments/new"' in client.get("/console/experiments").text
    blank = client.get("/console/experiments/new")
    assert blank.status_code == 200 and "新建实验" in blank.text
    assert not english_words(blank.text), english_words(blank.text)
    csrf = client.cookies["tw_csrf"]
    # every problem at once, the form kept as typed
    bad = client.post(
        "/console/experiments/new",
        data={**_form(end="2026-02-01", amount=""), "csrf": csrf},
        follow_redirects=False,
    )
    assert bad.status_code == 422
    assert "设计有以下问题" in bad.text and "needs coupon_amount" in bad.text
    assert 'value="优惠券测试"' in bad.text
    # saved as a draft: the power check, then the start
    made = client.post(
        "/console/experiments/new",
        data={**_form(), "strata": ["tier"], "csrf": csrf},
        follow_redirects=False,
    )
    assert (
        made.status_code == 303 and made.headers["location"] == "/console/experiments/coupon-test"
    )
    draft = client.get("/console/experiments/coupon-test")
    assert "草稿" in draft.text and 'id="preview-form"' in draft.text
    preview = client.post("/console/experiments/coupon-test/preview", data={"csrf": csrf})
    assert preview.status_code == 200 and 'id="start-form"' in preview.text
    assert "若现在启动" in visible_text(preview.text) and "最小可检测效应" in preview.text
    data = {"csrf": csrf}
    if "功效不足" in preview.text:  # the form then asks why
        assert 'name="force_reason"' in preview.text
        data["force_reason"] = "console test"
    started = client.post(
        "/console/experiments/coupon-test/start", data=data, follow_redirects=False
    )
    assert started.status_code == 303, started.text[started.text.find("preview-error") :][:300]
    page = client.get("/console/experiments/coupon-test")
    assert "进行中" in page.text and 'id="preview-form"' not in page.text
    engine = client.app.state.ctx.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        acts = set(
            conn.execute(
                select(AuditEntry.action).where(AuditEntry.target == "coupon-test")
            ).scalars()
        )
    assert {"experiment.create", "experiment.start"} <= acts
    # a second start is refused on the page, not with a traceback
    again = client.post("/console/experiments/coupon-test/start", data={"csrf": csrf})
    assert again.status_code == 422 and "not a draft" in again.text
    assert "Population" in client.get("/console/experiments/new?lang=en").text


def test_sales_cannot_design_an_experiment(client: TestClient) -> None:
    _sign_in(client, "sales")
    assert client.get("/console/experiments/new").status_code == 403
    r = client.post("/console/experiments/new", data={**_form(), "csrf": client.cookies["tw_csrf"]})
    assert r.status_code == 403

"""The tag and audience routes (issue 20): roles, bad input, members, exports, 360° tags."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert

from tierwise.api.access import Principal, Role
from tierwise.api.app import create_app
from tierwise.api.auth import DEV_SECRET, issue_token, utcnow
from tierwise.settings import Settings
from tierwise.store.schema import CustomerProfile


def _name(role: Role, manager: str | None) -> str:
    return f"{role.value}-{manager or 't'}".lower()


def auth(role: Role, manager: str | None = None) -> dict[str, str]:
    """A token of a user in the store (tokens of unknown users are refused)."""
    p = Principal(f"user:{_name(role, manager)}", role, manager_id=manager)
    return {"Authorization": f"Bearer {issue_token(p, DEV_SECRET, now=utcnow(), minutes=5)}"}


@pytest.fixture
def client(tags_home: Path, engine: Engine) -> Iterator[TestClient]:
    with engine.begin() as conn:
        conn.execute(
            insert(CustomerProfile),
            [
                {"customer_id": "c1", "name": "门店1", "account_manager": "AM1",
                 "refreshed_at": dt.datetime(2025, 7, 1)},
            ],
        )  # fmt: skip
    app = create_app(Settings(home=tags_home, env="test"), engine=engine)
    users = [(r, None) for r in (Role.ANALYST, Role.MARKETING, Role.RISK)]
    for role, manager in [*users, (Role.SALES, "AM1"), (Role.SALES, "AM9")]:
        app.state.ctx.users.add_user(
            _name(role, manager), role, "a test password", now=utcnow(), manager_id=manager
        )
    with TestClient(app) as c:
        yield c


def test_catalogue_and_health(client: TestClient) -> None:
    h = auth(Role.ANALYST)
    cat = client.get("/tags", headers=h).json()
    assert cat["total"] >= 300
    risk = client.get("/tags?group=risk&q=逾期", headers=h).json()
    assert {t["code"] for t in risk["items"]} >= {"overdue", "overdue_band"}
    health = client.get("/tags/health", headers=h).json()
    assert health["as_of"] == "2025-06-30" and health["previous_as_of"] == "2025-06-29"
    row = next(r for r in health["items"] if r["code"] == "cat_hotpot_heavy")
    assert row["coverage"] == pytest.approx(1 / 3) and row["stability"] == 1.0
    assert health["warnings"] == sum(1 for r in health["items"] if r["warning"])
    assert [s["as_of"] for s in client.get("/tags/snapshots", headers=h).json()] == [
        "2025-06-29",
        "2025-06-30",
    ]


def test_audience_preview_save_members_export_push(client: TestClient) -> None:
    h = auth(Role.MARKETING)
    p = client.post("/audiences/preview", headers=h, json={"expression": "cat_hotpot_heavy"})
    assert p.status_code == 200 and p.json()["count"] == 1
    bad = client.post("/audiences/preview", headers=h, json={"expression": "cat_hotpt_heavy"})
    assert bad.status_code == 400
    assert bad.json()["name"] == "cat_hotpt_heavy" and bad.json()["column"] == 1
    body = {"name": "chains", "expression": "biz_chain", "title_zh": "连锁客户"}
    assert client.post("/audiences", headers=h, json=body).status_code == 201
    body["expression"] = "biz_chain and not never_ordered"
    assert client.post("/audiences", headers=h, json=body).json()["version"] == 2
    detail = client.get("/audiences/chains", headers=h).json()
    assert [v["version"] for v in detail["versions"]] == [2, 1]
    m = client.get("/audiences/chains/members?version=1", headers=h).json()
    assert [r["customer_id"] for r in m["items"]] == ["c1", "c2"]
    assert m["source"]["snapshot_as_of"] == "2025-06-30" and m["warning"] is None
    old = client.get("/audiences/chains/members?as_of=2025-06-29", headers=h).json()
    assert old["source"]["snapshot_as_of"] == "2025-06-29"
    csv = client.get("/audiences/chains/export?format=csv", headers=h)
    assert csv.content.decode("utf-8-sig").splitlines()[0].startswith("客户编号,账户编号,")
    xlsx = client.get("/audiences/chains/export?format=xlsx", headers=h)
    assert xlsx.content[:2] == b"PK"
    push = client.post("/audiences/chains/push", headers=h, json={})
    assert push.status_code == 200 and push.json()["source"]["members"] == 1


def test_an_empty_audience_is_saved_but_flagged(client: TestClient) -> None:
    h = auth(Role.MARKETING)
    body = {"name": "nobody", "expression": "never_ordered and cat_hotpot_heavy"}
    assert client.post("/audiences", headers=h, json=body).status_code == 201
    m = client.get("/audiences/nobody/members", headers=h).json()
    assert m["source"]["empty"] is True and "nobody" in m["warning"]
    assert client.get("/audiences/nobody/export", headers=h).headers["x-audience-empty"] == "true"


def test_user_defined_tag_preview_save_and_refused_delete(client: TestClient) -> None:
    h = auth(Role.ANALYST)
    tag = {"code": "hotpot_chain", "rule": "cat_hotpot_heavy and biz_chain and orders_90d >= 2"}
    p = client.post("/tags/custom/preview", headers=h, json=tag).json()
    assert p["count"] == 1 and p["sample"][0]["customer_id"] == "c1"
    saved = client.post(
        "/tags/custom", headers=h, json={**tag, "name_zh": "火锅连锁", "name_en": "x"}
    )
    assert saved.status_code == 201 and saved.json()["version"] == 1
    bad = client.post(
        "/tags/custom/preview", headers=h, json={"code": "x_y", "rule": "tier == 'a'"}
    )
    assert bad.status_code == 400 and "'tier'" in bad.json()["message"]
    # an audience that reads it: the tag must be in a snapshot first, so build one by hand
    client.app.state.ctx.engine  # noqa: B018 - the same store as the service below
    from tierwise.tags.audience import Frame
    from tierwise.tags.service import AudienceSpec, save_audience
    from tierwise.tags.snapshot import snapshot_for

    f = Frame(snapshot_for(client.app.state.ctx.settings.home), None)
    types = f.types()
    f.types = lambda: {**types, "hotpot_chain": "bool"}  # type: ignore[method-assign]
    save_audience(
        client.app.state.ctx.engine, AudienceSpec("hc", "hotpot_chain"), f, author="t",
        now=dt.datetime(2025, 7, 1),
    )  # fmt: skip
    r = client.delete("/tags/custom/hotpot_chain", headers=h)
    assert r.status_code == 409 and r.json()["users"] == ["audience:hc"]
    assert client.delete("/audiences/hc", headers=h).status_code == 204
    assert client.delete("/tags/custom/hotpot_chain", headers=h).status_code == 204


def test_roles(client: TestClient) -> None:
    assert client.get("/audiences", headers=auth(Role.SALES, "AM1")).status_code == 403
    # an account manager exports their own customers, never a whole audience
    assert client.get("/audiences/x_y/export", headers=auth(Role.SALES, "AM1")).status_code == 403
    assert (
        client.post("/audiences/x_y/push", headers=auth(Role.ANALYST), json={}).status_code == 403
    )
    assert client.post("/tags/custom/preview", headers=auth(Role.RISK), json={}).status_code == 403
    assert client.get("/tags").status_code == 401


def test_customer_tags_for_the_360_view(client: TestClient) -> None:
    r = client.get("/customers/c1/tags", headers=auth(Role.SALES, "AM1"))
    assert r.status_code == 200
    groups = {g["group"]: g for g in r.json()}
    assert list(groups)[:2] == ["basic", "behaviour"]
    heavy = next(t for t in groups["preference"]["tags"] if t["code"] == "cat_hotpot_heavy")
    assert heavy["value"] is True and heavy["as_of"] == "2025-06-30"
    assert heavy["why"].startswith("share_hotpot >= 0.3 (share_hotpot = 0.8947")
    assert client.get("/customers/c1/tags", headers=auth(Role.SALES, "AM9")).status_code == 403


def test_deleting_an_audience_in_use_is_a_409_listing_its_users(client: TestClient) -> None:
    from tierwise.store.schema import Campaign

    h = auth(Role.MARKETING)
    body = {"name": "chains", "expression": "biz_chain", "kind": "audience"}
    assert client.post("/audiences", headers=h, json=body).status_code == 201
    with client.app.state.ctx.engine.begin() as conn:
        conn.execute(insert(Campaign).values(
            name="summer", title="summer", audience="chains", status="active", spec={},
            salt="s", budget_fen=100, holdout_share=0.1, created_at=dt.datetime(2025, 7, 1),
            created_by="user:a",
        ))  # fmt: skip
    r = client.delete("/audiences/chains", headers=h)
    assert r.status_code == 409
    assert r.json()["error"] == "ConflictError" and r.json()["users"] == ["campaign:summer"]
    assert r.json()["message"] == "audience 'chains' is in use by campaign:summer"
    assert client.get("/audiences/chains", headers=h).status_code == 200

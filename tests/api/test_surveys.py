"""``/surveys`` through HTTP (R-OPS-8, issue 26): marketing samples a wave and posts
answers, bad ones returned with their row; a detractor opens one follow-up task; NPS per
tier; comments masked for roles without personal data, shown (and audited) for admins."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import select

from tierwise.api.access import Role
from tierwise.store.schema import RetentionTask, SurveyRecipient

from .conftest import Book, auth


def test_sample_answer_report_and_mask(client: TestClient, book: Book) -> None:
    h = auth(Role.MARKETING)
    r = client.post("/surveys/waves", json={"sent_on": "2030-01-07", "seed": 3}, headers=h)
    assert r.status_code == 200, r.json()
    wave = r.json()
    assert wave["sampled"] == sum(s["sampled"] for s in wave["strata"]) > 3
    assert all(s["sampled"] == min(s["quota"], s["eligible"]) for s in wave["strata"])
    wid = wave["wave_id"]
    with book.engine.connect() as conn:
        sent = sorted(
            conn.execute(
                select(SurveyRecipient.customer_id).where(SurveyRecipient.wave_id == wid)
            ).scalars()
        )
    # within the cooldown, a second wave finds nobody eligible
    again = client.post("/surveys/waves", json={"sent_on": "2030-01-08"}, headers=h).json()
    assert again["sampled"] == 0
    body = {
        "answers": [
            {"customer_id": sent[0], "score": 10, "comment": "送货快"},
            {"customer_id": sent[1], "score": 2, "comment": "电话 13800138000 没人接"},
            {"customer_id": sent[2], "score": 11},
            {"customer_id": sent[0], "score": 9},
            {"customer_id": "nobody", "score": 5},
        ]
    }
    r = client.post(f"/surveys/waves/{wid}/answers", json=body, headers=h)
    assert r.status_code == 200, r.json()
    out = r.json()
    assert out["loaded"] == 2 and len(out["followup_tasks"]) == 1
    assert [(x["row"], x["column"], x["value"]) for x in out["rejected"]] == [
        (4, "score", "11"),
        (5, "customer_id", sent[0]),
        (6, "customer_id", "nobody"),
    ]
    with book.engine.connect() as conn:
        task = conn.execute(
            select(RetentionTask.customer_id, RetentionTask.tag).where(
                RetentionTask.id == out["followup_tasks"][0]
            )
        ).one()
    assert tuple(task) == (sent[1], "nps_detractor")
    # posting the same answers again: all refused, no second task
    again_out = client.post(f"/surveys/waves/{wid}/answers", json=body, headers=h).json()
    assert again_out["loaded"] == 0 and again_out["followup_tasks"] == []
    rej = client.get(f"/surveys/waves/{wid}/rejects", headers=auth(Role.ANALYST)).json()
    assert len(rej) == 3 + 5
    nps = client.get(f"/surveys/nps?wave={wid}", headers=auth(Role.ANALYST)).json()
    assert sum(n["answers"] for n in nps) == 2 and all(n["wave_id"] == wid for n in nps)
    assert {n["nps"] for n in nps if n["answers"]} <= {100.0, -100.0, 0.0}
    masked = client.get(f"/surveys/waves/{wid}/answers", headers=auth(Role.ANALYST)).json()
    assert [a["comment"] for a in masked] == ["***", "***"] and masked[0]["masked"] is True
    shown = client.get(f"/surveys/waves/{wid}/answers", headers=auth(Role.ADMIN)).json()
    assert shown[1]["comment"] == "电话 13800138000 没人接" and shown[1]["masked"] is False
    assert shown[1]["followup_task_id"] == out["followup_tasks"][0]
    listed = client.get("/surveys/waves", headers=auth(Role.ANALYST)).json()
    assert (listed[-1]["wave_id"], listed[-1]["answers"]) == (wid, 2)


def test_bad_requests(client: TestClient) -> None:
    h = auth(Role.MARKETING)
    assert client.get("/surveys/waves/999/answers", headers=auth(Role.ANALYST)).status_code == 404
    r = client.post(
        "/surveys/waves/999/answers",
        headers=h,
        json={"answers": [{"customer_id": "x", "score": 1}]},
    )
    assert r.status_code == 404
    assert (
        client.post("/surveys/waves/1/answers", headers=h, json={"answers": []}).status_code == 422
    )
    assert (
        client.post(
            "/surveys/waves", headers=auth(Role.ANALYST), json={"sent_on": "2030-01-07"}
        ).status_code
        == 403
    )


def test_followup_through_http_gives_the_two_phase_nps(client: TestClient, book: Book) -> None:
    """R-OPS-8 (issue 26): a follow-up of a wave's non-respondents, its call list, its
    answers and the two-phase NPS; a second follow-up 409, an unknown wave 404."""
    h = auth(Role.MARKETING)
    wid = client.post("/surveys/waves", json={"sent_on": "2031-01-07"}, headers=h).json()["wave_id"]
    sent = [
        r["customer_id"] for r in client.get(f"/surveys/waves/{wid}/recipients", headers=h).json()
    ]
    client.post(
        f"/surveys/waves/{wid}/answers",
        json={"answers": [{"customer_id": sent[0], "score": 10}]},
        headers=h,
    )
    r = client.post(
        f"/surveys/waves/{wid}/followup", json={"fraction": 1, "sent_on": "2031-01-14"}, headers=h
    )
    assert r.status_code == 200, r.json()
    fu = r.json()
    assert fu["sampled"] == len(sent) - 1 and fu["channel"] == "call"
    calls = client.get(f"/surveys/waves/{fu['wave_id']}/recipients", headers=h).json()
    assert {c["customer_id"] for c in calls} == set(sent[1:])
    assert not any(c["answered"] for c in calls)
    posted = client.post(
        f"/surveys/waves/{fu['wave_id']}/answers",
        json={"answers": [{"customer_id": c["customer_id"], "score": 0} for c in calls]},
        headers=h,
    ).json()
    assert posted["loaded"] == len(calls)
    nps = client.get(f"/surveys/nps?wave={wid}", headers=auth(Role.ANALYST)).json()
    assert sum(n["answers_followup"] for n in nps) == len(calls)
    # everybody answered one phase or the other: the two-phase NPS is the exact one
    for n in nps:
        want = 100 * (n["answers"] - n["answers_followup"]) / n["population"]
        assert n["nps_two_phase"] == want and n["followup_wave_id"] == fu["wave_id"]
    twice = client.post(
        f"/surveys/waves/{wid}/followup", json={"fraction": 0.5, "sent_on": "2031-01-15"},
        headers=h,
    )  # fmt: skip
    assert twice.status_code == 409
    missing = client.post(
        "/surveys/waves/999/followup", json={"fraction": 0.5, "sent_on": "2031-01-15"}, headers=h
    )
    assert missing.status_code == 404
    bad = client.post(
        f"/surveys/waves/{wid}/followup", json={"fraction": 0, "sent_on": "2031-01-15"}, headers=h
    )
    assert bad.status_code == 422
    listed = {w["wave_id"]: w for w in client.get("/surveys/waves", headers=h).json()}
    assert listed[fu["wave_id"]]["followup_of"] == wid


def test_send_a_wave_with_answer_links_through_http(book: Book) -> None:
    """R-OPS-8 (issue 26 item 3): POST /surveys/waves/{id}/send queues each recipient's
    message with its personal link through the campaign outbox; 409 without a link secret or
    a provider webhook, 409 the second time, 404 for an unknown wave."""
    from fastapi.testclient import TestClient as Client

    from tierwise.api.app import create_app
    from tierwise.ops.campaigns.service import MESSAGE_EVENT
    from tierwise.store.schema import OutboxMessage
    from tierwise.store.webhooks import register_webhook

    h = auth(Role.MARKETING)
    plain = create_app(book.settings, engine=book.engine)
    settings = book.settings.model_copy(
        update={"survey_link_secret": "api-test-" + "x" * 32, "public_url": "https://tw.test"}
    )
    with Client(plain) as c:
        wid = c.post("/surveys/waves", json={"sent_on": "2032-01-07"}, headers=h).json()["wave_id"]
        r = c.post(f"/surveys/waves/{wid}/send", headers=h)
        assert r.status_code == 409 and "TIERWISE_SURVEY_LINK_SECRET" in str(r.json())
    with Client(create_app(settings, engine=book.engine)) as c:
        nohook = c.post(f"/surveys/waves/{wid}/send", headers=h)
        assert nohook.status_code == 409 and "no active webhook" in str(nohook.json())
        register_webhook(book.engine, name="gw-api", url="http://gw/in", secret="s" * 32,
                         now=dt.datetime(2032, 1, 1), events=(MESSAGE_EVENT,))  # fmt: skip
        r = c.post(f"/surveys/waves/{wid}/send", headers=h)
        assert r.status_code == 200, r.json()
        out = r.json()
        assert out["campaign"] == f"survey-wave-{wid}" and out["messages"] >= 1
        with book.engine.connect() as conn:
            links = [
                p.get("link")
                for p in conn.execute(select(OutboxMessage.payload)).scalars()
                if p.get("campaign") == out["campaign"]
            ]
        assert len(links) == out["messages"]
        assert all(x.startswith("https://tw.test/console/answer/v1.") for x in links)
        assert c.post(f"/surveys/waves/{wid}/send", headers=h).status_code == 409
        assert c.post("/surveys/waves/999/send", headers=h).status_code == 404
        assert c.post(f"/surveys/waves/{wid}/send", headers=auth(Role.ANALYST)).status_code == 403

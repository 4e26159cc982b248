"""``/surveys`` through HTTP (R-OPS-8, issue 26): marketing samples a wave and posts
answers, bad ones returned with their row; a detractor opens one follow-up task; NPS per
tier; comments masked for roles without personal data, shown (and audited) for admins."""

from __future__ import annotations

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

"""The customer's survey answer page opened from a personal link (R-OPS-8, issue 26 item 3):
no login, zh-CN by default and English, one answer per customer per wave through the same
checks as a file or the API; expired, tampered and reused links refused."""

from __future__ import annotations

import datetime as dt

import httpx
from sqlalchemy import select

from tierwise.ops.surveys import service
from tierwise.ops.surveys.links import make_token
from tierwise.ops.surveys.policy import load_survey_policy
from tierwise.store.db import make_engine, sqlite_url
from tierwise.store.schema import SurveyAnswer

from .conftest import Site
from .test_words import english_words


def _links(site: Site) -> tuple[int, list[str]]:
    engine = make_engine(sqlite_url(site.home / "state.db"))
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    # a small wave without cooldown: the session's book is shared with the other pages' tests
    small = load_survey_policy().model_copy(
        update={"cooldown_days": 0, "quotas": {"gold": 2, "silver": 2, "bronze": 2}}
    )
    w = service.create_wave(engine, small, sent_on=now.date(), actor="test", now=now, seed=7)
    ids = [r["customer_id"] for r in service.recipients(engine, w.wave_id)][:3]
    secret = site.settings.survey_link_secret
    toks = [make_token(secret, w.wave_id, c, now + dt.timedelta(days=14)) for c in ids[:2]]
    toks.append(make_token(secret, w.wave_id, ids[2], now - dt.timedelta(minutes=1)))
    engine.dispose()
    return w.wave_id, toks


def answer_link(site: Site) -> str:
    """The answer page of a fresh link (for the walk of every page, test_words.py)."""
    return f"/console/answer/{_links(site)[1][0]}"


def _post(c: httpx.Client, token: str, **data: object) -> httpx.Response:
    return c.post(f"/console/answer/{token}", data={"csrf": c.cookies["tw_csrf"], **data})


def test_a_customer_answers_once_by_link_without_a_login(site: Site) -> None:
    wave, (tok, tok2, old) = _links(site)
    c = httpx.Client(base_url=site.url, timeout=30)
    page = c.get(f"/console/answer/{tok}")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert "您有多大可能向同行推荐我们" in page.text and "配送准时" in page.text
    assert page.text.count('name="score"') == 11 and not english_words(page.text)
    en = c.get(f"/console/answer/{tok}", params={"lang": "en"}).text
    assert "How likely are you to recommend us" in en and "Delivery on time" in en
    c.get(f"/console/answer/{tok}", params={"lang": "zh"})  # back to Chinese (the cookie)
    refused = _post(c, tok, score="12")
    assert refused.status_code == 422 and "请选择 0 到 10 分" in refused.text
    done = _post(c, tok, score="9", reasons=["delivery", "quality"], comment="很满意")
    assert done.status_code == 200 and "感谢您的反馈" in done.text
    # the same link again: already answered, nothing stored twice
    assert "已经回答过" in c.get(f"/console/answer/{tok}?lang=zh").text
    twice = _post(c, tok, score="0")
    assert twice.status_code == 409
    engine = make_engine(sqlite_url(site.home / "state.db"))
    with engine.connect() as conn:
        rows = conn.execute(
            select(SurveyAnswer.score, SurveyAnswer.reasons, SurveyAnswer.source).where(
                SurveyAnswer.wave_id == wave
            )
        ).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [(9, ["delivery", "quality"], "link")]
    # tampered: another customer's id under this signature; expired; nonsense
    sig = tok.split(".")[2]
    other = tok2.split(".")[1]
    forged = f"v1.{other}.{sig}"
    assert c.get(f"/console/answer/{forged}").status_code == 403
    assert _post(c, forged, score="10").status_code == 403
    gone = c.get(f"/console/answer/{old}?lang=zh")
    assert gone.status_code == 410 and "已过期" in gone.text
    assert _post(c, old, score="10").status_code == 410
    assert c.get("/console/answer/not-a-token-at-all").status_code == 403
    # no CSRF cookie/field: refused
    bare = httpx.post(f"{site.url}/console/answer/{tok2}", data={"score": "10"})
    assert bare.status_code == 403

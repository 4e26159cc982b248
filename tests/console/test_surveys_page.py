"""NPS surveys in the console (R-OPS-8, issue 26): NPS per tier with its interval and the
number of answers, the waves and a wave's answers, in Chinese by default; comments masked for
an analyst, shown to an admin; closed to account managers and customers."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import select

from tierwise.ops.surveys import service
from tierwise.ops.surveys.policy import load_survey_policy
from tierwise.store.db import make_engine, sqlite_url
from tierwise.store.schema import SurveyRecipient

from .conftest import Site
from .test_codes import sign_in
from .test_words import english_words


def _wave(site: Site) -> int:
    engine = make_engine(sqlite_url(site.home / "state.db"))
    now = dt.datetime.now()
    policy = load_survey_policy()
    w = service.create_wave(engine, policy, sent_on=now.date(), actor="test", now=now, seed=1)
    with engine.connect() as conn:
        sent = sorted(
            conn.execute(
                select(SurveyRecipient.customer_id).where(SurveyRecipient.wave_id == w.wave_id)
            ).scalars()
        )
    frame = pd.DataFrame(
        {
            "customer_id": sent[:3],
            "score": ["10", "4", "8"],
            "comment": ["很好", "送货太慢", ""],
            "answered_at": "",
        }
    )
    service.load_frame(engine, w.wave_id, frame, policy, source="test", now=now)
    engine.dispose()
    return w.wave_id


def test_nps_by_tier_and_answers_masked_per_role(site: Site) -> None:
    wave = _wave(site)
    analyst = sign_in(site, "analyst")
    page = analyst.get("/console/surveys", params={"wave": wave, "lang": "zh"})
    assert page.status_code == 200
    assert "各等级净推荐值" in page.text and "95% 区间" in page.text
    assert page.text.count('class="nps-row"') >= 1
    assert 'id="answer-' in page.text and "送货太慢" not in page.text and "***" in page.text
    assert not english_words(page.text)
    admin = sign_in(site, "admin").get("/console/surveys", params={"wave": wave, "lang": "zh"})
    assert "送货太慢" in admin.text and "#" in admin.text  # the detractor's follow-up task
    en = analyst.get("/console/surveys", params={"wave": wave, "lang": "en"}).text
    assert "NPS by tier" in en and "Unweighted" in en
    assert sign_in(site, "sales").get("/console/surveys").status_code == 403
    assert sign_in(site, "shop").get("/console/surveys").status_code == 403


def test_a_wave_with_a_follow_up_shows_the_two_phase_nps(site: Site) -> None:
    """R-OPS-8 (issue 26): once a wave's follow-up has answers, the page shows the
    two-phase NPS with its interval and the follow-up's answers / drawn, in both languages."""
    engine = make_engine(sqlite_url(site.home / "state.db"))
    now = dt.datetime.now()
    small = load_survey_policy().model_copy(
        update={"cooldown_days": 0, "quotas": {"gold": 4, "silver": 4}}
    )
    w = service.create_wave(engine, small, sent_on=now.date(), actor="t", now=now, seed=3)
    sent = [r["customer_id"] for r in service.recipients(engine, w.wave_id)]
    first = pd.DataFrame({"customer_id": sent[:1], "score": ["10"]})
    service.load_frame(engine, w.wave_id, first, small, source="t", now=now)
    f = service.create_followup(engine, w.wave_id, fraction=1.0, sent_on=now.date(),
                                actor="t", now=now)  # fmt: skip
    calls = pd.DataFrame({"customer_id": sent[1:], "score": ["9"] * (len(sent) - 1)})
    service.load_frame(engine, f.wave_id, calls, small, source="call", now=now)
    engine.dispose()
    analyst = sign_in(site, "analyst")
    page = analyst.get("/console/surveys", params={"wave": w.wave_id, "lang": "zh"}).text
    assert "净推荐值（两阶段）" in page and 'class="two-phase"><strong>+100' in page
    assert f"第 {w.wave_id} 批的回访" in page
    assert not english_words(page)
    en = analyst.get("/console/surveys", params={"lang": "en"}).text
    assert "NPS (two-phase)" in en and "Follow-up answers / drawn" in en

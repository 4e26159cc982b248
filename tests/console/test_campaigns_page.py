"""Campaigns in the console (R-OPS-6, R-ANA-6, issue 24): the campaigns and, for one, the
funnel and what it earned per tier against its holdout, in Chinese by default; closed to
account managers and customers."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import insert, select

from tierwise.ops.campaigns import service
from tierwise.ops.campaigns.spec import load_campaign_policy
from tierwise.store.db import make_engine, sqlite_url
from tierwise.store.schema import Audience, CustomerProfile
from tierwise.store.webhooks import register_webhook

from .conftest import Site
from .test_codes import sign_in
from .test_words import english_words


def _campaign(site: Site) -> None:
    engine = make_engine(sqlite_url(site.home / "state.db"))
    now = dt.datetime.now()
    with engine.begin() as conn:
        conn.execute(insert(Audience).values(
            name="page_all", version=1, kind="audience", title_zh="全部", title_en="All",
            expression="true", author="t", created_at=now))  # fmt: skip
        ids = list(conn.execute(select(CustomerProfile.customer_id)).scalars())
    register_webhook(engine, name="gw", url="http://gw", secret="s" * 32, now=now,
                     events=(service.MESSAGE_EVENT,))  # fmt: skip
    definition = {
        "name": "page-winter", "title": "冬季备货", "audience": "page_all",
        "schedule": {"kind": "once", "start": now.date().isoformat()}, "channels": ["push"],
        "content": {"variants": {"default": "{name},{tier}专享"}}, "budget": 1000,
        "holdout_share": 0.3,
    }  # fmt: skip
    service.create_campaign(engine, definition, today=now.date(), actor="t", now=now)
    service.send_wave(engine, "page-winter", pd.DataFrame({"customer_id": ids}),
                      load_campaign_policy(), now=now)  # fmt: skip
    engine.dispose()


def test_campaign_report_per_tier(site: Site) -> None:
    _campaign(site)
    analyst = sign_in(site, "analyst")
    page = analyst.get("/console/campaigns", params={"lang": "zh"})
    assert page.status_code == 200
    assert "营销活动" in page.text and "冬季备货" in page.text and "进行中" in page.text
    assert "分等级效果" in page.text and page.text.count('class="tier-row"') >= 2
    assert not english_words(page.text)
    en = analyst.get("/console/campaigns", params={"lang": "en"}).text
    assert "Incremental margin" in en and "Holdout" in en
    assert sign_in(site, "sales").get("/console/campaigns").status_code == 403
    assert sign_in(site, "shop").get("/console/campaigns").status_code == 403

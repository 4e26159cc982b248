"""The periodic report's campaign section (R-ANA-6, R-OPS-6, issue 24): every campaign created
on or before the report's day, measured against its holdout per tier and in all, zh-CN and
English; a campaign with no wave says so in its place."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, insert, select

from tierwise.experiments.report import campaign_section, experiment_sections
from tierwise.ops.campaigns import service
from tierwise.ops.campaigns.spec import parse_campaign_policy
from tierwise.store.migrate import upgrade
from tierwise.store.schema import Audience, CampaignSend, CustomerProfile, CustomerTier
from tierwise.store.webhooks import register_webhook
from tinylake import write_lake

NOW = dt.datetime(2026, 3, 2, 3)
POLICY = parse_campaign_policy({"name": "t", "frequency_cap": {"messages": 2, "days": 7}})
IDS = [f"C{i:03d}" for i in range(80)]


def _campaign(name: str, title: str) -> dict[str, object]:
    return {
        "name": name, "title": title, "audience": "everyone",
        "schedule": {"kind": "once", "start": "2026-03-02"}, "channels": ["sms"],
        "content": {"variants": {"default": "{name}您好"}}, "budget": 1000,
        "holdout_share": 0.25,
    }  # fmt: skip


@pytest.fixture
def book(engine: Engine, tmp_path: Path) -> tuple[Engine, Path]:
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(CustomerTier),
            [{"customer_id": c, "tier": "gold" if i % 2 else "bronze", "score": 1.0,
              "run_id": "r", "since": dt.date(2026, 1, 1), "updated_at": NOW}
             for i, c in enumerate(IDS)],
        )  # fmt: skip
        conn.execute(
            insert(CustomerProfile),
            [{"customer_id": c, "account_id": f"A{i}", "name": f"店{i}", "layers": {},
              "refreshed_at": NOW} for i, c in enumerate(IDS)],
        )  # fmt: skip
        conn.execute(
            insert(Audience).values(
                name="everyone", version=1, kind="audience", title_zh="全部", title_en="All",
                expression="true", author="t", created_at=NOW,
            )
        )  # fmt: skip
    register_webhook(engine, name="sms-gw", url="http://gw/in", secret="s" * 32, now=NOW,
                     events=(service.MESSAGE_EVENT,))  # fmt: skip
    service.create_campaign(engine, _campaign("spring", "春季回访"), today=NOW.date(),
                            actor="ops", now=NOW)  # fmt: skip
    service.send_wave(engine, "spring", pd.DataFrame({"customer_id": IDS}), POLICY, now=NOW)
    with engine.connect() as conn:
        treated = {r[0] for r in conn.execute(
            select(CampaignSend.customer_id).where(CampaignSend.arm == "treated"))}  # fmt: skip
    # after the wave every treated outlet orders twice, the holdout once (margin 100 an order)
    orders, lines = [], []
    for i, c in enumerate(IDS):
        for k in range(2 if c in treated else 1):
            oid = f"o{i}-{k}"
            when = dt.datetime(2026, 3, 5 + k, 10)
            orders.append({"order_id": oid, "customer_id": c, "order_time": when, "amount": 300})
            lines.append({"order_id": oid, "line_no": 1, "sku": "S1", "quantity": 1,
                          "amount": 300, "cost": 200})  # fmt: skip
    lake = write_lake(tmp_path / "lake", {"customers": [{"customer_id": c} for c in IDS],
                                          "orders": orders, "order_lines": lines})  # fmt: skip
    return engine, lake


def test_the_report_measures_each_campaign_against_its_holdout(
    book: tuple[Engine, Path],
) -> None:
    engine, lake = book
    zh = campaign_section(engine, lake, as_of=dt.date(2026, 3, 31), lang="zh")
    assert "营销活动（对照组衡量）" in zh and "春季回访（spring，active）" in zh
    assert "gold：处理组" in zh and "bronze：处理组" in zh and "合计：处理组" in zh
    # one extra order of 100 yuan margin for each treated outlet: the interval is around it
    # (net of the messages' cost, a few fen each)
    total = zh.split("合计：处理组 ")[1]
    treated = int(total.split("，")[0])
    margin = float(total.split("增量毛利 ")[1].split(" ")[0].replace(",", ""))
    assert 100 * treated - 10 <= margin < 100 * treated and "ROI +" in total
    en = campaign_section(engine, lake, as_of=dt.date(2026, 3, 31), lang="en")
    assert "Campaigns (measured against their holdout)" in en and "all: treated" in en


def test_campaigns_after_the_day_or_without_a_wave(book: tuple[Engine, Path]) -> None:
    engine, lake = book
    before = campaign_section(engine, lake, as_of=dt.date(2026, 3, 1), lang="zh")
    assert "报告日之前没有营销活动" in before
    service.create_campaign(engine, _campaign("idle", "未发送"), today=NOW.date(),
                            actor="ops", now=NOW)  # fmt: skip
    both = experiment_sections(engine, lake, "zh")(dt.date(2026, 3, 31))
    assert "实验（A/B 测试）" in both and "未发送（idle，active）" in both
    assert "尚未发送" in both

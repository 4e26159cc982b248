"""`tierwise campaigns create | list | preview | optout | report` (R-OPS-6, issue 24)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import insert

from tierwise.settings import Settings
from tierwise.store.db import make_engine
from tierwise.store.migrate import upgrade
from tierwise.store.schema import Audience

from .test_runs import tierwise

GOOD = """\
name: cli-winter
audience: everyone
schedule: {kind: once, start: "2099-01-01"}
channels: [wechat, sms]
content:
  variants:
    default: "{name},{tier}会员冬季专享:{progress}"
coupon:
  gold: {kind: amount, value: 20, threshold: 300}
budget: 5000
"""


def test_create_list_preview_report(tmp_path: Path) -> None:
    engine = make_engine(Settings(home=tmp_path).state_url)
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(insert(Audience).values(
            name="everyone", version=1, kind="audience", title_zh="全部", title_en="All",
            expression="true", author="t", created_at=dt.datetime(2026, 1, 1)))  # fmt: skip
    engine.dispose()
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("{progress}", "{cost_price}").replace("everyone", "nobody"),
                   encoding="utf-8")  # fmt: skip
    r = tierwise("campaigns", "create", str(bad), home=tmp_path)
    assert r.returncode != 0
    assert "cost_price" in r.stderr and "no saved audience 'nobody'" in r.stderr
    good = tmp_path / "good.yaml"
    good.write_text(GOOD, encoding="utf-8")
    r = tierwise("campaigns", "create", str(good), home=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "budget 5,000.00 yuan, holdout 10%" in r.stdout
    assert "cli-winter" in tierwise("campaigns", "list", home=tmp_path).stdout
    shown = tierwise("campaigns", "preview", "cli-winter", home=tmp_path).stdout
    assert "[default] 川味小馆(示例),黄金会员冬季专享:距铂金还差 1,200 元消费" in shown
    assert tierwise("campaigns", "optout", "C1", home=tmp_path).returncode == 0
    rep = tierwise("campaigns", "report", "cli-winter", home=tmp_path)
    assert rep.returncode == 0 and "no wave sent yet" in rep.stdout

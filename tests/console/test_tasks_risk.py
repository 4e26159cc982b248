"""Retention tasks for real users (issue 18 finding 10, R-OPS-5): ordered by value at risk,
exported for Excel (OWASP-safe), moved on several at once (audited); the churn warning's
precision and recall on the models page."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from sqlalchemy import text

from tierwise.generate.config import DEFAULT_END_DATE
from tierwise.models.warning_backtest import warning_backtest, write_results
from tierwise.policy import DEFAULT_POLICY, load_policy
from tierwise.store.db import make_engine, sqlite_url

from .conftest import Site
from .test_codes import sign_in, visible_text
from .test_tasks import _tasks


def test_tasks_still_to_do_come_by_value_at_risk(site: Site) -> None:
    admin = sign_in(site, "admin")
    page = admin.get("/console/tasks", params={"status": "open"}).text
    risks = [float(r) for r in re.findall(r'data-risk="([0-9.e+-]+)"', page)]
    assert len(risks) >= 2, "the demo book's open tasks need predictions (the models step)"
    assert risks == sorted(risks, reverse=True)
    assert "风险价值（元）" in page


def test_export_is_excel_safe_in_chinese_and_audited(site: Site) -> None:
    admin = sign_in(site, "admin")
    (task, *_) = _tasks(site, "t.status = 'open'")
    form = {"ids": [str(task.id)], "status": "in_progress", "note": "=1+1 已回访",
            "csrf": admin.cookies["tw_csrf"]}  # fmt: skip
    assert admin.post("/console/tasks/bulk", data=form, follow_redirects=True).status_code == 200
    r = admin.get("/console/tasks/export.csv")
    assert r.status_code == 200 and r.text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff"))))
    head = rows[0]
    assert head[:4] == ["编号", "客户编号", "名称", "等级"] and "风险价值（元）" in head
    assert len(rows) - 1 == len(_tasks(site))
    risk = head.index("风险价值（元）")
    values = [row[risk] for row in rows[1:] if row[risk]]
    assert values and all(re.fullmatch(r"\d+\.\d{2}", v) for v in values)
    mine = next(row for row in rows[1:] if row[0] == str(task.id))
    assert mine[head.index("状态")] == "跟进中"  # status in words
    assert mine[head.index("跟进记录")].startswith("'=")  # a formula is defused (OWASP)
    codes = list(csv.reader(io.StringIO(admin.get("/console/tasks/export.csv?codes=1").text)))
    assert codes[0][0].lstrip("\ufeff") == "task_id" and "value_at_risk" in codes[0]
    engine = make_engine(sqlite_url(site.home / "state.db"))
    with engine.connect() as conn:
        n = conn.execute(
            text("SELECT count(*) FROM audit_log WHERE action = 'export' AND target = 'tasks'")
        ).scalar_one()
    engine.dispose()
    assert n >= 2


def test_bulk_update_moves_the_ticked_tasks_each_audited_and_names_refusals(site: Site) -> None:
    admin = sign_in(site, "admin")
    picked = [t.id for t in _tasks(site, "t.status = 'open'")][:3]
    assert len(picked) >= 2
    form = {"ids": [str(i) for i in picked], "status": "in_progress", "note": "",
            "csrf": admin.cookies["tw_csrf"]}  # fmt: skip
    r = admin.post("/console/tasks/bulk", data=form, follow_redirects=False)
    assert r.status_code == 303 and f"moved={len(picked)}" in r.headers["location"]
    assert {t.status for t in _tasks(site, f"t.id IN ({','.join(map(str, picked))})")} == {
        "in_progress"
    }
    engine = make_engine(sqlite_url(site.home / "state.db"))
    with engine.connect() as conn:
        audited = conn.execute(
            text("SELECT count(*) FROM audit_log WHERE action = 'task.update'")
        ).scalar_one()
    engine.dispose()
    assert audited >= len(picked)
    # done needs a note: nothing moves, and the page says why for each task
    form = {**form, "status": "done", "csrf": admin.cookies["tw_csrf"]}
    page = admin.post("/console/tasks/bulk", data=form, follow_redirects=True).text
    assert "已更新 0 个任务" in page and "未能更新" in page and f"#{picked[0]}" in page
    sales = sign_in(site, "sales")  # another manager's tasks are refused, one by one
    others = [
        t.id for t in _tasks(site, f"p.account_manager <> '{site.manager}' AND t.status = 'open'")
    ]
    if others:
        form = {"ids": [str(others[0])], "status": "in_progress", "csrf": sales.cookies["tw_csrf"]}
        page = sales.post("/console/tasks/bulk", data=form, follow_redirects=True).text
        assert "已更新 0 个任务" in page


def test_the_models_page_shows_the_warnings_precision_and_recall(site: Site) -> None:
    policy = load_policy(DEFAULT_POLICY)
    as_of = DEFAULT_END_DATE - dt.timedelta(days=45)
    rows = warning_backtest(site.home / "lake", policy, [as_of], horizon_days=30)
    write_results(site.settings.models_dir, policy.name, rows)
    analyst = sign_in(site, "analyst")
    page = analyst.get("/console/models").text
    assert "流失预警回测" in page and "精确率" in page and "召回率" in page
    shown = re.search(r'data-field="precision">([0-9.]+|nan)<', page)
    assert shown and shown.group(1) == f"{rows[0]['precision']:.3f}"
    assert "churn_warning" not in visible_text(page)
    en = analyst.get("/console/models", params={"lang": "en"}).text
    assert "Churn warning backtest" in en and "Recall" in en

"""The service page 服务 (R-OPS-1, issue 21 item 3): the queue in the decision's order, the
breaches per tier, the delivery list (masked for an analyst) and its files, zh-CN by default
and English with ?lang=en; account managers and customers do not reach it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from tierwise.ops.service import service
from tierwise.store.db import make_engine, sqlite_url

from .conftest import Site
from .test_codes import sign_in

AT = "2026-10-31T23:59"
_QUEUE = re.compile(r"<tr(?: class=\"overdue\")?><td>\d+</td><td>([^<]+)</td><td>(C\d+)</td>")
_DELIVERY = re.compile(
    r"<tr><td>\d+</td><td>(C\d+)</td><td>[^<]*</td><td>[^<]*</td><td>([^<]*)</td>"
)


def _expected(site: Site, day: dt.date) -> tuple[list[str], list[str], dict[str | None, int]]:
    engine = make_engine(sqlite_url(site.home / "state.db"))
    now = dt.datetime.fromisoformat(AT)
    lake = site.home / "lake"
    with engine.connect() as conn:
        q = service.queue(conn, lake, now)
        rows = service.deliveries(conn, lake, day)
        b = service.breach_report(conn, lake, now, (now - dt.timedelta(days=90)).date(),
                                  now.date() + dt.timedelta(days=1))  # fmt: skip
    engine.dispose()
    return ([e.ticket.ticket_id for e in q[:100]], [r.customer_id for r in rows],
            {r.tier: r.breached for r in b.totals})  # fmt: skip


def test_the_service_page_shows_the_queue_breaches_and_delivery_list(site: Site) -> None:
    day = dt.date(2026, 10, 30)
    queue, deliveries, breached = _expected(site, day)
    assert queue and deliveries, "the demo book has open tickets and orders on its last days"
    assert any(breached.values()), "and some tickets past their target"
    admin = sign_in(site, "admin")
    r = admin.get("/console/service", params={"at": AT, "day": day.isoformat()})
    assert r.status_code == 200, r.text
    assert "服务" in r.text and "待处理工单" in r.text and "配送优先级清单" in r.text
    assert [t for t, _ in _QUEUE.findall(r.text)] == queue
    assert [c for c, _ in _DELIVERY.findall(r.text)] == deliveries
    # the per-tier breaches: the first table of the breaches section
    section = r.text.split('id="service-breaches"')[1].split("<h3>")[1]
    cells = re.findall(
        r"<tr><td>合计</td><td>[^<]+</td>(?:<td>[^<]*</td>){5}<td>(\d+)</td>", section
    )
    assert sorted(int(c) for c in cells) == sorted(breached.values())
    # an analyst sees the same list with the street addresses masked
    analyst = sign_in(site, "analyst").get(
        "/console/service", params={"at": AT, "day": day.isoformat()}
    )
    masked = _DELIVERY.findall(analyst.text)
    assert [c for c, _ in masked] == deliveries
    assert all(a == "—" or a.endswith("***") for _, a in masked)
    assert any(not (a == "—" or a.endswith("***")) for _, a in _DELIVERY.findall(r.text))
    f = admin.get("/console/service/deliveries.csv", params={"day": day.isoformat()})
    assert f.status_code == 200
    lines = list(csv.reader(io.StringIO(f.content.decode("utf-8-sig"))))
    assert lines[0][:2] == ["序号", "客户编号"] and [ln[1] for ln in lines[1:]] == deliveries
    en = admin.get("/console/service", params={"at": AT, "day": day.isoformat(), "lang": "en"})
    assert "Open tickets" in en.text and "Delivery priority" in en.text
    assert sign_in(site, "sales").get("/console/service").status_code == 403
    assert sign_in(site, "shop").get("/console/service").status_code == 403
    bad = admin.get("/console/service", params={"at": "2026-13-40"})
    assert bad.status_code in (400, 422)

"""The account manager's day in the console (R-OPS-8, issue 26): the visits in route order
with a sketch map, check-in and check-out from the page, in Chinese by default; masked and
read-only for an analyst; closed to a customer."""

from __future__ import annotations

import datetime as dt
import re

from tierwise.ops.retention import manager_capacity
from tierwise.ops.visits import service
from tierwise.ops.visits.policy import load_visit_policy
from tierwise.ops.visits.state import outlet_locations
from tierwise.store.db import make_engine, sqlite_url

from .conftest import Site
from .test_codes import sign_in
from .test_words import english_words


def _plan(site: Site) -> dt.date:
    """Plan a Monday far enough ahead that every cadence is due."""
    day = dt.date.today() + dt.timedelta(days=70)
    day -= dt.timedelta(days=day.weekday())
    lake = site.home / "lake"
    engine = make_engine(sqlite_url(site.home / "state.db"))
    with engine.begin() as conn:
        service.plan(conn, load_visit_policy(), day, dt.datetime.now(), capacity=manager_capacity(lake),
                     locations=outlet_locations(lake))  # fmt: skip
    engine.dispose()
    return day


def test_an_account_manager_checks_in_and_out_from_the_page(site: Site) -> None:
    day = _plan(site)
    sales = sign_in(site, "sales")
    page = sales.get("/console/visits", params={"day": day.isoformat(), "lang": "zh"})
    assert page.status_code == 200
    ids = re.findall(r'<li id="visit-(\d+)"', page.text)
    assert ids, "the sales user's manager has no visit planned"
    assert "<svg" in page.text and "路线示意图" in page.text and "签到" in page.text
    assert not english_words(page.text)
    csrf = sales.cookies["tw_csrf"]
    back = f"/console/visits?day={day.isoformat()}"
    r = sales.post(f"/console/visits/{ids[0]}/checkin",
                   data={"lat": "0", "lon": "0", "csrf": csrf, "back": back})  # fmt: skip
    assert r.status_code == 303
    after = sales.get(f"{back}&lang=zh").text
    item = after.split(f'<li id="visit-{ids[0]}"')[1].split("</li>")[0]
    assert "已签到" in item and "签到位置距门店较远" in item  # far: flagged, not refused
    r = sales.post(f"/console/visits/{ids[0]}/checkout",
                   data={"outcome": "ordered", "note": "补货两箱", "csrf": csrf, "back": back})  # fmt: skip
    assert r.status_code == 303
    done = sales.get(f"{back}&lang=zh").text
    item = done.split(f'<li id="visit-{ids[0]}"')[1].split("</li>")[0]
    assert "已完成" in item and "已下单" in item and "补货两箱" in item
    en = sales.get(f"{back}&lang=en").text
    assert "Route sketch" in en and "Done" in en


def test_analysts_read_a_managers_day_without_forms_and_customers_are_refused(
    site: Site,
) -> None:
    day = _plan(site)
    analyst = sign_in(site, "analyst")
    page = analyst.get("/console/visits", params={"day": day.isoformat(),
                                                  "manager": site.manager, "lang": "zh"})  # fmt: skip
    assert page.status_code == 200
    assert re.search(r'<li id="visit-\d+"', page.text)
    assert "/checkin" not in page.text  # may read, not check in
    assert sign_in(site, "shop").get("/console/visits").status_code == 403

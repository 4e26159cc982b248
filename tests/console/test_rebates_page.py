"""The rebate ledger page (R-OPS-3, issue 21 item 2): zh-CN by default, the ledger's rows and
totals for finance and admins, only their own customers' rows for an account manager, only
its own for a customer."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from tierwise.generate.config import DEFAULT_END_DATE
from tierwise.ops.benefits.rebate_ledger import parse_period
from tierwise.ops.benefits.rebate_store import accrue_period, ledger_rows, net_sales
from tierwise.store.db import make_engine, sqlite_url

from .conftest import Site
from .test_codes import sign_in

_ROW = re.compile(r"<tr><td>(C\d+)</td><td>(\d{4}-\d{2})</td>")


def test_the_ledger_page_shows_each_role_its_rows(site: Site) -> None:
    last = DEFAULT_END_DATE.replace(day=1) - dt.timedelta(days=1)
    period = parse_period(f"{last:%Y-%m}")
    engine = make_engine(sqlite_url(site.home / "state.db"))
    report = accrue_period(
        engine, period, net_sales(site.home / "lake", period), now=dt.datetime(2026, 12, 1)
    )
    rows = ledger_rows(engine, period=period.label)
    managed = ledger_rows(engine, period=period.label, account_manager=site.manager)
    own = ledger_rows(engine, period=period.label, customer_ids=[site.customer])
    engine.dispose()
    assert report.customers > 0 and rows, "the demo policy gives rebates to its top tiers"

    admin = sign_in(site, "admin").get("/console/rebates", params={"period": period.label})
    assert admin.status_code == 200
    assert "返利台账" in admin.text and "按期间 × 等级 × 状态汇总" in admin.text
    shown = {c for c, _ in _ROW.findall(admin.text)}
    assert shown == {r["customer_id"] for r in rows[:200]}
    by_tier: dict[str, Decimal] = {}
    for r in rows:
        by_tier[r["tier"]] = by_tier.get(r["tier"], Decimal(0)) + r["amount"]
    for amount in by_tier.values():  # the totals per tier equal the ledger's rows
        assert f"<td>{amount:,.2f}</td></tr>" in admin.text
    sales = sign_in(site, "sales").get("/console/rebates", params={"period": period.label})
    assert sales.status_code == 200 and "按期间" not in sales.text  # no book-wide totals
    assert {c for c, _ in _ROW.findall(sales.text)} == {r["customer_id"] for r in managed}
    shop = sign_in(site, "shop").get("/console/rebates", params={"period": period.label})
    assert shop.status_code == 200
    assert {c for c, _ in _ROW.findall(shop.text)} == {r["customer_id"] for r in own}
    assert sign_in(site, "shop").get("/console/rebates?lang=en").text.count("Rebate ledger") >= 1

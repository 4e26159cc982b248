"""The price rules page (价格规则, R-OPS-3, issue 21 item 2): zh-CN by default, English on
request; the rules with filters, a quote that shows per line list price, net price, the rule
applied and why; an account manager quotes their own customers only, a customer has no page."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from sqlalchemy import select, text

from tierwise.ops.benefits.price_rules import save_rules
from tierwise.ops.benefits.pricing import PriceRule
from tierwise.store.db import make_engine, sqlite_url
from tierwise.store.schema import CustomerTier

from .conftest import Site
from .test_codes import sign_in

_RULES = re.compile(r'<section class="card" id="price-rules">.*?</section>', re.S)
_QUOTE = re.compile(r'<table class="grid" id="price-quote-lines">.*?</table>', re.S)
LINES = "V1,蔬菜,2,5.00\nC9,蔬菜,1,10.00\nM1，鲜肉，1，20.00"


def _rules(site: Site) -> tuple[str, str]:
    engine = make_engine(sqlite_url(site.home / "state.db"))
    with engine.connect() as conn:
        tier = conn.execute(
            select(CustomerTier.tier).where(CustomerTier.customer_id == site.customer)
        ).scalar_one()
        other = conn.execute(
            text("SELECT min(customer_id) FROM customer_profiles WHERE account_manager != :m"),
            {"m": site.manager},
        ).scalar_one()
    start = dt.date(2026, 1, 1)
    save_rules(
        engine,
        [
            PriceRule(None, "veg8", "discount_pct", Decimal(8), start, None, 5, tier, None, "蔬菜"),
            PriceRule(None, "v1net2", "net_price", Decimal("3.50"), start, None, 9, None, "V1"),
        ],
        author="test",
        now=dt.datetime(2026, 12, 1),
    )
    engine.dispose()
    return tier, other


def test_the_prices_page_lists_filters_and_quotes(site: Site) -> None:
    _, other = _rules(site)
    admin = sign_in(site, "admin")
    r = admin.get("/console/prices")
    assert r.status_code == 200 and "价格规则" in r.text
    block = _RULES.search(r.text)
    assert block and "veg8" in block[0] and "v1net2" in block[0] and "净价（元）" in block[0]
    only = _RULES.search(admin.get("/console/prices", params={"category": "蔬菜"}).text)
    assert only and "veg8" in only[0] and "v1net2" not in only[0]
    anyt = _RULES.search(admin.get("/console/prices", params={"tier": "不限"}).text)
    assert anyt and "v1net2" in anyt[0] and "veg8" not in anyt[0]

    params = {"customer": site.customer, "lines": LINES, "day": "2026-12-01"}
    r = admin.get("/console/prices", params=params)
    quote = _QUOTE.search(r.text)
    assert r.status_code == 200 and quote, r.text[-2000:]
    rows = re.findall(r"<tr><td>(\w+)</td><td>[\d.]+</td><td>([\d.,]+)</td><td>([\d.,]+)</td>"
                      r"<td>([\d.,]+)</td><td>([^<]+)</td><td>([^<]+)</td></tr>", quote[0])  # fmt: skip
    got = {sku: (lst, net, amount, rule, why) for sku, lst, net, amount, rule, why in rows}
    assert got["V1"][:4] == ("5.00", "3.50", "7.00", "v1net2")  # the higher priority wins
    assert "规则 v1net2" in got["V1"][4] and "另有 1 条" in got["V1"][4]
    assert got["C9"][:4] == ("10.00", "9.20", "9.20", "veg8") and "减 8%" in got["C9"][4]
    assert got["M1"][:4] == ("20.00", "20.00", "20.00", "—") and "按标价" in got["M1"][4]
    assert "<td>36.20</td>" in quote[0]  # 7.00 + 9.20 + 20.00
    en = admin.get("/console/prices", params={**params, "lang": "en"}).text
    assert "Price rules" in en and "rule veg8" in en and "8.00 % off" in en

    bad = admin.get("/console/prices", params={**params, "lines": "V1,蔬菜,-2,5"})
    assert bad.status_code == 200 and 'id="price-bad-lines"' in bad.text
    assert _QUOTE.search(bad.text) is None

    sales = sign_in(site, "sales")
    assert sales.get("/console/prices", params=params).status_code == 200
    assert sales.get("/console/prices", params={**params, "customer": other}).status_code == 403
    assert sign_in(site, "shop").get("/console/prices").status_code == 403
    assert admin.get("/console/prices", params={**params, "customer": "C404"}).status_code == 404

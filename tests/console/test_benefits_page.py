"""The benefits page (R-OPS-2, issue 21 item 1): zh-CN by default, English on request; a
customer's grants and uses as the ledger holds them, the tiers' benefits and use per month ×
benefit × tier for the roles that read analytics; an account manager opens their own
customers only, a customer only itself."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from sqlalchemy import text

from tierwise.console.benefits import benefit_name
from tierwise.ops.benefits.ledger import customer_grants, customer_redemptions, usage
from tierwise.ops.benefits.redeem import Redemption, redeem
from tierwise.store.db import make_engine, sqlite_url

from .conftest import Site
from .test_codes import sign_in

_GRANT = re.compile(r'<section class="card" id="benefit-grants">.*?</section>', re.S)


def test_the_benefits_page_shows_grants_uses_and_usage(site: Site) -> None:
    engine = make_engine(sqlite_url(site.home / "state.db"))
    with engine.connect() as conn:
        cid, code, day = conn.execute(
            text(
                "SELECT customer_id, code, valid_from FROM benefit_grants "
                "WHERE status = 'active' AND kind = 'coupon_allowance' ORDER BY customer_id LIMIT 1"
            )
        ).one()
        other = conn.execute(
            text("SELECT min(customer_id) FROM customer_profiles WHERE account_manager != :m"),
            {"m": site.manager},
        ).scalar_one()
    used_on = dt.date.fromisoformat(str(day))
    redeem(
        engine,
        Redemption(cid, code, used_on, 1, Decimal("50.00"), None, "console-page-1"),
        actor="test",
        now=dt.datetime(2026, 12, 1),
    )
    grants = customer_grants(engine, cid)
    rows = usage(engine, used_on, used_on + dt.timedelta(days=1))
    own = customer_grants(engine, site.customer)
    engine.dispose()
    assert grants and rows

    admin = sign_in(site, "admin")
    r = admin.get("/console/benefits", params={"customer": cid, "from": str(used_on),
                                                "to": str(used_on + dt.timedelta(days=1))})  # fmt: skip
    assert r.status_code == 200
    assert "权益授予" in r.text and "各等级权益" in r.text and "优惠券额度" in r.text
    block = _GRANT.search(r.text)
    assert block and block[0].count("<tr><td>") == len(grants)  # every grant of the ledger
    assert "生效中" in block[0]
    assert "console-page-1" not in r.text  # the ref is the caller's, not shown
    shown = benefit_name(code, "coupon_allowance", "zh")
    assert (
        f"<td>{used_on}</td><td>{shown}</td><td>1</td><td>50.00</td><td>已受理</td><td>—</td><td>接口</td>"
        in r.text
    )
    for u in rows:  # the usage table equals the ledger's sums
        assert (
            f"<td>{u['redemptions']}</td><td>{u['quantity']}</td><td>{u['cost']:,.2f}</td>"
            in r.text
        )
    page = admin.get(f"/console/customers/{cid}").text  # the 360° page links to it
    assert f'href="/console/benefits?customer={cid}"' in page
    en = admin.get("/console/benefits", params={"customer": cid, "lang": "en"})
    assert en.status_code == 200 and "Grants" in en.text and "Coupon allowance" in en.text
    assert admin.get("/console/benefits", params={"customer": "C9999999"}).status_code == 404

    sales = sign_in(site, "sales")
    assert sales.get("/console/benefits", params={"customer": other}).status_code == 403
    mine = sales.get("/console/benefits", params={"customer": site.customer})
    assert mine.status_code == 200 and "各等级权益" not in mine.text  # no book-wide tables

    shop = sign_in(site, "shop")
    assert 'id="benefit-ledger" href="/console/benefits"' in shop.get("/console/me").text
    me = shop.get("/console/benefits")  # opens on itself, no lookup form
    assert me.status_code == 200 and 'id="benefit-lookup"' not in me.text
    block = _GRANT.search(me.text)
    assert block and block[0].count("<tr><td>") == len(own)
    assert shop.get("/console/benefits", params={"customer": other}).status_code == 403


def test_parameters_and_benefits_read_as_words() -> None:
    from tierwise.console.benefits import params_text, source_text

    assert benefit_name("rebate", "rebate", "zh") == "返利"
    assert benefit_name("rebate_extra", "rebate", "en") == "Rebate (rebate_extra)"
    assert benefit_name("coupon_allowance", None, "en") == "Coupon allowance"
    assert params_text({"pct": "2", "period": "month"}, "zh") == "比例（%） 2 · 周期 月"
    assert params_text({"pct": "2", "period": "month"}, "en") == "percent 2 · period month"
    assert params_text({"categories": []}, "zh") == "品类 全部"
    assert params_text({}, "en") == "—"
    assert source_text("file:uses.csv:7", "zh") == "文件 uses.csv 第 7 行"
    assert source_text("api", "en") == "API"


_MY_GRANTS = re.compile(r'<table class="grid" id="my-grants">.*?</table>', re.S)
_MY_USES = re.compile(r'<table class="grid" id="my-uses">.*?</table>', re.S)


def test_the_own_view_shows_the_customers_grants_and_uses(site: Site) -> None:
    """R-OPS-2: /console/me itself lists the customer's grants and latest uses (the ledger's)."""
    engine = make_engine(sqlite_url(site.home / "state.db"))
    grants = customer_grants(engine, site.customer)
    active = [g for g in grants if g["status"] == "active" and g["kind"] in ("coupon_allowance",
              "delivery_priority", "custom_selection", "expedited_logistics")]  # fmt: skip
    if active and not customer_redemptions(engine, site.customer, 1):  # one use at least
        g = active[0]
        redeem(engine, Redemption(site.customer, g["code"], g["valid_from"], 1, Decimal("5.00"),
                                  None, "me-page-1"), actor="test", now=dt.datetime(2026, 12, 1))  # fmt: skip
    uses = customer_redemptions(engine, site.customer, 20)
    engine.dispose()
    assert grants, "the demo policy gives every tier structured benefits"
    page = sign_in(site, "shop").get("/console/me").text
    block = _MY_GRANTS.search(page)
    assert block and block[0].count("<tr><td>") == len(grants)
    assert benefit_name(grants[0]["code"], grants[0]["kind"], "zh") in block[0]
    used = _MY_USES.search(page)
    assert used and used[0].count("<tr><td>") == max(len(uses), 1)
    if uses:
        assert str(uses[0]["used_on"]) in used[0]
    en = sign_in(site, "shop").get("/console/me?lang=en").text
    assert "Grants" in en and benefit_name(grants[0]["code"], grants[0]["kind"], "en") in en

"""The console in Debian's Chromium: roles and masking, filters, the 360° page, policies,
runs, the customer view, and numbers that match the API's JSON for the same data."""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tierwise.api.access import SELF_VIEW_FIELDS

from .conftest import PASSWORD, Site, login, shot

pytestmark = pytest.mark.browser


def api(site: Site, user: str, path: str) -> Any:
    """The API's JSON for ``path`` as ``user`` (signed in through POST /auth/token)."""
    body = json.dumps({"username": user, "password": PASSWORD}).encode()
    req = urllib.request.Request(
        f"{site.url}/auth/token", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req) as r:
        token = json.load(r)["access_token"]
    req = urllib.request.Request(f"{site.url}{path}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)


def phones(page: Any) -> list[str]:
    return [p.split()[0] for p in page.locator("#customer-table td.phone").all_inner_texts() if p]


def test_analyst_sees_masked_phones_admin_and_sales_see_them_as_the_api_decides(
    new_page: Any, site: Site
) -> None:
    analyst = new_page()
    login(analyst, site, "analyst")
    analyst.goto(f"{site.url}/console/customers")
    shot(analyst, "01-customers-analyst-masked")
    masked = phones(analyst)
    assert masked and all(re.fullmatch(r"\d{3}\*+\d{4}", p) for p in masked), masked
    first = api(site, "analyst", "/customers?limit=25")["items"]
    assert masked == [c["phone"] for c in first if c["phone"]]

    admin = new_page()
    login(admin, site, "admin")
    admin.goto(f"{site.url}/console/customers")
    clear = phones(admin)
    assert clear and not any("*" in p for p in clear)
    assert clear == [c["phone"] for c in api(site, "admin", "/customers?limit=25")["items"]
                     if c["phone"]]  # fmt: skip
    shot(admin, "02-customers-admin-unmasked")

    sales = new_page()
    login(sales, site, "sales")
    assert sales.url.endswith("/console/customers")  # no dashboard for account managers
    managers = set(
        sales.locator("#customer-table tbody td[data-field=account_manager]").all_inner_texts()
    )
    assert managers == {site.manager}
    assert int(sales.inner_text("#count")) == api(site, "sales", "/customers?limit=1")["total"]
    assert "/console/policies" not in sales.content()  # not in the menu: decide says no
    shot(sales, "03-customers-sales-own-only")


def test_filter_and_search_the_list(new_page: Any, site: Site) -> None:
    page = new_page()
    login(page, site, "analyst")
    page.goto(f"{site.url}/console/customers")
    total = int(page.inner_text("#count"))
    tier = page.locator("select[name=tier] option").nth(1).get_attribute("value")
    with page.expect_response(lambda r: "tier=" in r.url):
        page.select_option("select[name=tier]", tier)
    page.wait_for_load_state("networkidle")
    n = int(page.inner_text("#count"))
    assert 0 < n < total
    assert n == api(site, "analyst", f"/customers?tier={tier}&limit=1")["total"]
    assert f"tier={tier}" in page.url  # pushed: the filtered list can be bookmarked
    shot(page, "04-customers-filtered-by-tier")
    name = page.locator("#customer-table tbody td:nth-child(2)").first.inner_text()
    page.fill("input[name=q]", name)
    # wait for the search's own response: the count shown before it is already non-empty
    with page.expect_response(lambda r: "q=" in r.url):
        page.click("#filters button[type=submit]")
    page.wait_for_load_state("networkidle")
    q = urllib.parse.quote(name)
    assert (
        int(page.inner_text("#count"))
        == api(site, "analyst", f"/customers?tier={tier}&q={q}&limit=1")["total"]
    )
    with page.expect_download() as dl:
        page.click("#export")
    text = Path(dl.value.path()).read_text(encoding="utf-8-sig")
    assert name in text and "****" in text  # the export is masked for an analyst too


def test_open_a_customer_360_in_chinese_and_english(new_page: Any, site: Site) -> None:
    page = new_page()
    login(page, site, "admin")
    page.goto(f"{site.url}/console/customers")
    link = page.locator("#customer-table tbody a").first
    cid = link.inner_text()
    link.click()
    page.wait_for_load_state("networkidle")
    data = api(site, "admin", f"/customers/{cid}/360")
    assert page.inner_text("#phone").split()[0] == data["profile"]["phone"]
    numeric = {k for k, v in data["features"].items() if isinstance(v, int | float)}
    if "recency_days" in numeric:  # its alias days_since_last_order is shown once
        numeric.discard("days_since_last_order")
    assert page.locator("#features tr").count() == len(numeric)
    assert page.locator("#history li").count() == max(1, len(data["history"]))
    explanation = page.inner_text("#explanation")
    assert data["explanation"] and data["explanation"][0]["zh"] in explanation
    assert "基本信息" in page.content()
    shot(page, "05-customer-360-zh")
    page.click("header a.lang")
    page.wait_for_load_state("networkidle")
    assert "Profile" in page.content() and data["explanation"][0]["en"] in page.content()
    page.goto(f"{site.url}/console/customers")  # the cookie keeps English
    assert "Customers" in page.inner_text("h1")
    page.goto(f"{site.url}/console/customers/{cid}")
    shot(page, "06-customer-360-en")


def test_dashboard_numbers_match_the_api(new_page: Any, site: Site) -> None:
    page = new_page()
    login(page, site, "analyst")
    page.wait_for_selector("#c-migration svg")
    value = api(site, "analyst", "/analytics/value-by-tier")
    rows = page.locator("#value-table tbody tr")
    assert rows.count() == len(value)
    order = [rows.nth(i).get_attribute("data-tier") for i in range(rows.count())]
    assert order[:4] == ["platinum", "gold", "silver", "bronze"]  # the policy's order
    for v in value:
        row = page.locator(f'#value-table tr[data-tier="{v["tier"] or ""}"]')
        assert int(row.locator("[data-field=customers]").inner_text()) == v["customers"]
        for field in ("spend_365d_avg", "ltv_avg"):
            want = "—" if v[field] is None else f"{v[field]:.2f}"
            assert row.locator(f"[data-field={field}]").inner_text() == want, field
    assert int(page.inner_text("#total")) == sum(v["customers"] for v in value)
    for chart in ("c-tier", "c-value", "c-province", "c-cuisine", "c-trend", "c-tags"):
        assert page.locator(f"#{chart} svg").count() == 1, chart
    shot(page, "07-dashboard-zh")


def test_edit_a_policy_see_the_error_fix_it_and_dry_run(new_page: Any, site: Site) -> None:
    page = new_page()
    login(page, site, "analyst")
    page.goto(f"{site.url}/console/policies")
    page.click("text=编辑")
    page.wait_for_load_state("networkidle")
    original = page.input_value("#yaml")
    broken = original.replace("lookback_days:", "lookback_dayz:", 1)
    assert broken != original
    page.fill("#yaml", broken)
    page.click("#validate")
    page.wait_for_selector("#check-result.bad")
    problems = page.inner_text("#check-result")
    assert "lookback_dayz" in problems and ".yaml" in problems
    shot(page, "08-policy-inline-error")
    page.fill("#yaml", original)
    page.click("#validate")
    page.wait_for_selector("#check-result.ok")
    page.click("#dry-run")
    page.wait_for_selector("#diff", timeout=60_000)
    assert int(page.inner_text("#changed")) >= 0
    assert page.locator("#publish").count() == 0  # analysts validate; only admins publish
    shot(page, "09-policy-dry-run-diff")


def test_start_a_run_and_watch_it_finish(new_page: Any, site: Site) -> None:
    """Issue 18 finding 2: the live policy is named and preselected; starting a run first
    shows the dry run's counts per tier and the moves, and starts nothing until confirmed."""
    page = new_page()
    login(page, site, "admin")
    page.goto(f"{site.url}/console/runs")
    live = api(site, "admin", "/runs?status=published&limit=1")["items"][0]["policy_name"]
    title = next(p["title"]["zh"] for p in api(site, "admin", "/policies") if p["name"] == live)
    assert title in page.inner_text("#live-policy")
    picked = page.locator("#start-run select[name=policy] option:checked").inner_text()
    assert title in picked  # the picker defaults to the live policy
    before = page.locator("#runs-table tbody tr").count()
    total = api(site, "admin", "/runs?limit=1")["total"]
    page.click("#start-run button[type=submit]")
    page.wait_for_selector("#confirm", timeout=90_000)
    assert api(site, "admin", "/runs?limit=1")["total"] == total  # nothing started yet
    held = {r["tier"]: r["customers"] for r in api(site, "admin", "/analytics/value-by-tier")}
    rows = page.locator("#confirm-counts tbody tr").all()
    now = {r.get_attribute("data-tier"): int(r.locator("[data-field=before]").inner_text())
           for r in rows}  # fmt: skip
    assert {t: n for t, n in now.items() if n} == {t: n for t, n in held.items() if t}
    up, down = int(page.inner_text("#moves-up")), int(page.inner_text("#moves-down"))
    assert up >= 0 and down >= 0
    shot(page, "10-run-confirm")
    page.click("#confirm-yes")
    page.wait_for_load_state("networkidle")
    assert page.locator("#runs-table tbody tr").count() == before + 1
    page.wait_for_selector("#runs-table tbody tr:first-child.run-published", timeout=90_000)
    runs = api(site, "admin", "/runs?limit=1")["items"]
    assert runs[0]["status"] == "published" and runs[0]["trigger"] == "console"
    audit = api(site, "admin", "/audit?action=run.start&limit=5")["items"]
    assert any(e["target"] == runs[0]["id"] for e in audit)
    shot(page, "10-runs")


def test_customer_sees_only_its_own_tier_benefits_and_progress(new_page: Any, site: Site) -> None:
    """Issue 18 finding 1 (R-INT-3): a customer's page and ``/me`` show the tier badge, the
    benefits, progress in yuan/orders and the tier history, field by field as the access
    decision allows, and nothing internal: no score, segment, tags, layers, rules, reasons."""
    page = new_page()
    login(page, site, "shop")
    assert page.url.endswith("/console/me")
    me = api(site, "shop", "/me")
    assert set(me) == SELF_VIEW_FIELDS
    staff = api(site, "admin", f"/customers/{site.customer}/360")
    labels = {t["code"]: t["label"]["zh"] for t in me["tiers"]}
    assert me["customer_id"] == site.customer and me["tier"] == staff["profile"]["tier"]
    # field by field: each visible field is on the page with the API's value
    assert page.inner_text("#name") == me["name"]
    assert page.inner_text("#tier") == labels[me["tier"]]
    prog = page.inner_text("#progress")
    for item in (me["progress"] or {}).get("items", []):
        assert item["text"]["zh"] in prog and re.search(r"\d", item["text"]["zh"])
    history = page.locator("#history li").all_inner_texts()
    assert len(history) == max(1, len(me["history"]))
    if me["history"]:
        assert labels[me["history"][0]["to_tier"]] in history[0]
    assert page.locator("#benefits li").count() == len(me["benefits"])
    # ... and what staff see of this customer is not on the page: the explanations (rules,
    # tags, segment, score), tag and layer labels, the account manager, the phone
    text = page.inner_text("main")
    internal = [e["zh"] for e in staff["explanation"]]
    internal += [f"{staff['profile']['score']:g}", staff["profile"]["account_manager"]]
    internal += [staff["profile"]["phone"], "流失预警", "高风险", "高潜力", "客户类型", "品类偏好"]
    assert not [x for x in internal if x and x in text]
    shot(page, "11-customer-view")
    page.goto(f"{site.url}/console/me?lang=en")
    assert "My tier history" in page.content()
    shot(page, "11-customer-view-en")
    r = page.goto(f"{site.url}/console/customers")
    assert r is not None and r.status == 403
    other = page.goto(f"{site.url}/console/customers/{site.customer}")
    assert other is not None and other.status == 403  # no staff pages, not even for itself


def test_publish_asks_with_the_dry_run_counts_and_can_be_undone(new_page: Any, site: Site) -> None:
    """Issue 18 finding 2: publishing a policy shows the dry run's counts and moves first,
    publishes only when confirmed (audited), and offers an undo that restores the text."""
    page = new_page()
    login(page, site, "admin")
    page.goto(f"{site.url}/console/policies")
    assert page.locator("tr.live .badge.live").count() == 1  # the live policy is marked
    page.locator("tr.live a").click()
    page.wait_for_load_state("networkidle")
    original = page.input_value("#yaml")
    name = page.url.rsplit("/", 1)[1]
    versions = {p["name"]: p["versions"] for p in api(site, "admin", "/policies")}
    page.fill("#yaml", original + "\n# edited in the console test\n")
    page.click("#publish")
    page.wait_for_selector("#confirm", timeout=90_000)
    assert page.locator("#confirm-counts tbody tr").count() >= 2
    assert {p["name"]: p["versions"] for p in api(site, "admin", "/policies")} == versions
    shot(page, "09-policy-publish-confirm")
    page.click("#confirm-yes")
    page.wait_for_selector("#published")
    after = {p["name"]: p["versions"] for p in api(site, "admin", "/policies")}
    changed = [n for n in after if after[n] != versions.get(n)]
    assert len(changed) == 1
    audit = api(site, "admin", "/audit?action=policy.publish&limit=5")["items"]
    assert audit and audit[0]["target"] == changed[0]
    page.click("#undo")
    page.wait_for_selector("#published:has-text('已撤销')")
    for file in {f"{name}.yaml", f"{changed[0]}.yaml"}:
        assert (site.home / "policies" / file).read_text(encoding="utf-8") == original
    undo = api(site, "admin", "/audit?action=policy.publish.undo&limit=5")["items"]
    assert undo and undo[0]["target"] == changed[0]


def test_override_on_the_360_page_set_and_cleared_by_a_role_decide_allows(
    new_page: Any, site: Site
) -> None:
    """Issue 7: the 360° page shows the customer's override and lets the admin set and clear
    one with a required reason (the API's own code); an analyst sees it but no form."""
    cid = site.customer
    admin = new_page()
    login(admin, site, "admin")
    admin.goto(f"{site.url}/console/customers/{cid}")
    assert admin.locator("#override-none").is_visible()
    form = admin.locator("#override-set")
    assert form.locator("input[name=reason]").get_attribute("required") is not None
    tiers = form.locator("select[name=tier] option").evaluate_all("os => os.map(o => o.value)")
    assert len(tiers) >= 2
    form.locator("select[name=tier]").select_option(tiers[-1])
    form.locator("input[name=days]").fill("14")
    form.locator("input[name=reason]").fill("法律纠纷，暂停月结")
    form.locator("button[type=submit]").click()
    admin.wait_for_load_state("networkidle")
    # issue 18 finding 2: a confirmation with the move and the expiry; nothing set yet
    move = admin.inner_text("#override-move")
    assert "→" in move and ("降级" in move or "升级" in move or "不变" in move)
    assert api(site, "admin", f"/overrides?customer_id={cid}&active=true")["items"] == []
    shot(admin, "12-override-confirm")
    admin.click("#confirm-yes")
    admin.wait_for_load_state("networkidle")
    assert admin.inner_text("#override-reason") == "法律纠纷，暂停月结"
    assert "user:admin" in admin.inner_text("#override-current")
    shot(admin, "12-customer-360-override-admin")
    # the same repository as the API's override route: the API lists it
    listed = api(site, "admin", f"/overrides?customer_id={cid}&active=true")["items"]
    assert [(o["tier"], o["reason"], o["author"]) for o in listed] == [
        (tiers[-1], "法律纠纷，暂停月结", "user:admin")
    ]

    analyst = new_page()  # may list overrides, may not write one
    login(analyst, site, "analyst")
    analyst.goto(f"{site.url}/console/customers/{cid}")
    assert analyst.inner_text("#override-reason") == "法律纠纷，暂停月结"
    assert analyst.locator("#override-set").count() == 0
    assert analyst.locator("#override-clear").count() == 0

    clear = admin.locator("#override-clear")
    assert clear.locator("input[name=reason]").get_attribute("required") is not None
    clear.locator("input[name=reason]").fill("纠纷已解决")
    clear.locator("button[type=submit]").click()
    admin.wait_for_load_state("networkidle")
    assert admin.locator("#override-none").is_visible()
    assert api(site, "admin", f"/overrides?customer_id={cid}&active=true")["items"] == []
    audit = api(site, "admin", "/audit?action=override.revoke")["items"]
    assert any(a["detail"].get("reason") == "纠纷已解决" for a in audit), audit

"""The customer list for real users (issue 18 finding 4): sortable by every column (LTV and
churn probability included), layers filtered from a list of names, managers from a list by name,
paging that keeps the order."""

from __future__ import annotations

import urllib.parse
from typing import Any

import pytest

from .conftest import Site, login, shot
from .test_browser import api

pytestmark = pytest.mark.browser


def _column(page: Any, field: str) -> list[float | None]:
    texts = page.locator(f"#customer-table tbody td[data-field={field}]").all_inner_texts()
    return [None if t == "—" else float(t.replace(",", "").rstrip("%")) for t in texts]


def _click_sort(page: Any, key: str) -> None:
    """Click a column's header and wait until the table shows that column sorted."""
    before = (
        page.locator("#customer-table th[aria-sort] a").get_attribute("data-sort")
        if page.locator("#customer-table th[aria-sort]").count()
        else None
    )
    state = (
        page.locator("#customer-table th[aria-sort]").get_attribute("aria-sort") if before else None
    )
    page.click(f"#customer-table th a[data-sort={key}]")
    want = "descending" if before == key and state == "ascending" else "ascending"
    page.wait_for_selector(f"#customer-table th[aria-sort={want}] a[data-sort={key}]")
    page.wait_for_function(
        f"location.search.includes('sort={'-' if want == 'descending' else ''}{key}')"
    )


def test_sort_by_every_column_filter_by_layer_names_and_page_in_order(
    new_page: Any, site: Site
) -> None:
    page = new_page()
    login(page, site, "admin")
    page.goto(f"{site.url}/console/customers")
    headers = page.locator("#customer-table th a[data-sort]").evaluate_all(
        "as => as.map(a => a.dataset.sort)"
    )
    assert {"customer_id", "name", "tier", "score", "ltv", "churn_probability"} <= set(headers)
    for key in ("score", "ltv"):
        _click_sort(page, key)
        up = [v for v in _column(page, key) if v is not None]
        assert up == sorted(up), key
        _click_sort(page, key)  # a second click turns the order round
        down = [v for v in _column(page, key) if v is not None]
        assert down == sorted(down, reverse=True) and down, key
    _click_sort(page, "churn_probability")
    assert "sort=churn_probability" in page.url
    churn = [v for v in _column(page, "churn_probability") if v is not None]
    assert churn == sorted(churn)
    _click_sort(page, "tier")  # in the policy's order, top tier first, not A-Z
    order = ["铂金", "黄金", "白银", "青铜", "未定级"]
    shown = page.locator("#customer-table tbody td .badge").all_inner_texts()
    assert [order.index(t) for t in shown] == sorted(order.index(t) for t in shown)
    # paging keeps the order
    _click_sort(page, "ltv")
    _click_sort(page, "ltv")
    first_page = [v for v in _column(page, "ltv") if v is not None]
    page.click("#next")
    page.wait_for_function("location.search.includes('p=2')")
    assert "sort=-ltv" in page.url
    second = [v for v in _column(page, "ltv") if v is not None]
    assert not second or max(second) <= min(first_page)
    shot(page, "13-customers-sorted-by-ltv")

    # layers from a list of names, not codes
    options = page.locator("select[name=layer] option").all_inner_texts()[1:]
    assert options and all("：" in o and "_" not in o for o in options), options
    value = page.locator("select[name=layer] option").nth(1).get_attribute("value")
    with page.expect_response(lambda r: "layer=" in r.url):
        page.select_option("select[name=layer]", value)
    page.wait_for_load_state("networkidle")
    want = api(site, "admin", f"/customers?layer={urllib.parse.quote(value)}&limit=1")["total"]
    assert int(page.inner_text("#count")) == want
    # account managers by name (issue 18 item 4): "name (code)", the code as the value
    option = page.locator(f"select[name=manager] option[value='{site.manager}']")
    label = option.inner_text()
    assert label.endswith(f"({site.manager})") and len(label) > len(site.manager) + 3, label
    with page.expect_response(lambda r: "manager=" in r.url):
        page.select_option("select[name=manager]", site.manager)
    page.wait_for_load_state("networkidle")
    both = f"layer={urllib.parse.quote(value)}&account_manager={site.manager}"  # still on
    want = api(site, "admin", f"/customers?{both}&limit=1")["total"]
    assert int(page.inner_text("#count")) == want


def test_an_unknown_sort_is_a_clear_error(new_page: Any, site: Site) -> None:
    page = new_page()
    login(page, site, "admin")
    r = page.goto(f"{site.url}/console/customers?sort=phone&lang=en")
    assert r is not None and r.status == 400
    assert "cannot sort by 'phone'" in page.content()

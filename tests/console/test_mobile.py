"""Every page in both languages at 1 280 px and 390 px, screenshotted for a person to look at,
and the staff pages an account manager uses in the field usable at 390 px (issue 18 finding 8):
no sideways scrolling of the page, each customer and task a card with its values named."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import PASSWORD, Site, login, shot

pytestmark = pytest.mark.browser

WIDTHS = (1280, 390)


def _context(browser: Any, width: int) -> Any:
    c = browser.new_context(viewport={"width": width, "height": 860}, locale="zh-CN")
    c.set_default_timeout(30_000)
    return c


def test_screenshots_of_every_page_in_both_languages_and_widths(browser: Any, site: Site) -> None:
    staff = [
        ("dashboard", "/console/"),
        ("customers", "/console/customers"),
        ("customer-360", f"/console/customers/{site.customer}"),
        ("policies", "/console/policies"),
        ("policy", "/console/policies/kuailv-tuned"),
        ("runs", "/console/runs"),
        ("models", "/console/models"),
        ("analysis", "/console/analysis"),
        ("tasks", "/console/tasks"),
        ("users", "/console/users"),
        ("not-found", "/console/customers/C9999999"),
    ]
    shop = [("my-tier", "/console/me"), ("forbidden", "/console/customers")]
    for width in WIDTHS:
        for user, pages in (("admin", staff), ("shop", shop)):
            ctx = _context(browser, width)
            page = ctx.new_page()
            login(page, site, user)
            for lang in ("zh", "en"):
                for slug, path in pages:
                    page.goto(f"{site.url}{path}?lang={lang}")
                    page.wait_for_load_state("networkidle")
                    shot(page, f"30-{slug}-{lang}-{width}")
            ctx.close()


def test_staff_pages_usable_at_390_px(browser: Any, site: Site) -> None:
    ctx = _context(browser, 390)
    page = ctx.new_page()
    page.goto(f"{site.url}/console/login")
    page.fill("input[name=username]", "sales")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    width = "() => document.documentElement.scrollWidth"
    for path, table in (
        ("/console/customers", "#customer-table"),
        ("/console/tasks", "#task-table"),
        (f"/console/customers/{site.customer}", None),
    ):
        page.goto(f"{site.url}{path}")
        page.wait_for_load_state("networkidle")
        assert page.evaluate(width) <= 392, f"{path} scrolls sideways at 390 px"
        if table:
            row = page.locator(f"{table} tbody tr").first
            box = row.bounding_box()
            assert box is not None and box["width"] <= 390, path
            label = row.locator("td[data-label]").first.evaluate(
                "td => getComputedStyle(td, '::before').content"
            )
            assert label not in ("none", "normal", ""), f"{path}: values are not named"
    shot(page, "31-customer-360-sales-390")
    ctx.close()


def test_every_menu_page_fits_a_phone_and_is_screenshotted(browser: Any, site: Site) -> None:
    """Every page of the menu (the operations pages too: visits, surveys, campaigns, supply …)
    as the admin sees it at 390 px: the page never scrolls sideways (a wide table scrolls in
    its own box); a screenshot of each in Chinese at both widths for a person to look at."""
    from tierwise.console.web import NAV

    wide: list[str] = []
    for width in WIDTHS:
        ctx = _context(browser, width)
        page = ctx.new_page()
        login(page, site, "admin")
        for key, path, _action in NAV:
            if path == "/console/me":
                continue  # a customer's own page (the shop's screenshots above)
            page.goto(f"{site.url}{path}?lang=zh")
            page.wait_for_load_state("networkidle")
            if width == 390 and page.evaluate("() => document.documentElement.scrollWidth") > 392:
                wide.append(path)
            shot(page, f"32-menu-{key}-zh-{width}")
        ctx.close()
    assert not wide, f"these pages scroll sideways at 390 px: {wide}"

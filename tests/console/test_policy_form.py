"""Policy editing for an operations manager (issue 18 finding 6, R-GRD-12): weights and
thresholds as fields beside the YAML, both ways; problems in the page's language with their
line and a did-you-mean; the dry run lists the changed customers, paged, tiers in order."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tierwise.api.access import Role
from tierwise.api.app import create_app
from tierwise.api.auth import utcnow
from tierwise.api.sample import POLICY_YAML, seed
from tierwise.console.policy_form import apply, fields, problem_text
from tierwise.errors import UsageError
from tierwise.settings import Settings
from tierwise.store.db import make_engine, sqlite_url

from .conftest import Site, login, shot

PW = "policy-form-password"
KUAILV = Path(__file__).resolve().parents[2] / "policies" / "kuailv.yaml"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    home = tmp_path_factory.mktemp("policy-form")
    engine = make_engine(sqlite_url(home / "state.db"))
    seed(engine, home, 20)
    app = create_app(Settings(home=home, env="test"), engine=engine)
    app.state.ctx.users.add_user("ana", Role.ANALYST, PW, now=utcnow())
    with TestClient(app) as c:
        c.get("/console/login")
        r = c.post(
            "/console/login",
            data={"username": "ana", "password": PW, "csrf": c.cookies["tw_csrf"]},
            follow_redirects=False,
        )
        assert r.status_code == 303
        yield c
    engine.dispose()


def test_fields_are_the_numbers_of_the_yaml_and_a_change_rewrites_only_that_number() -> None:
    text = KUAILV.read_text(encoding="utf-8")
    by_id = {f.id: f for f in fields(text, "zh")}
    assert by_id["lookback_days"].value == "365"
    assert by_id["tiers.levels[1].top"].label == "黄金 · 累计占比"
    # churn warning: (days_since_last_order > 3 * median_order_gap_days and
    # days_since_last_order >= 21) or days_since_last_order > 90: the 3 of 3 * … is no field
    warn = by_id["tags[0].when#0"]
    assert warn.value == "21" and warn.label.startswith("流失预警 · ")
    assert by_id["tags[0].when#1"].value == "90" and "tags[0].when#2" not in by_id
    edited = apply(text, {"tiers.levels[1].top": "0.25", "tags[0].when#0": "28"})
    want = text.replace("top: 0.20", "top: 0.25").replace(
        "days_since_last_order >= 21)", "days_since_last_order >= 28)"
    )
    assert edited == want  # comments, flow style and key order stay as written
    assert {f.id: f.value for f in fields(edited, "en")}["tags[0].when#0"] == "28"
    with pytest.raises(UsageError):
        apply(text, {"lookback_days": "abc"})
    assert fields("not: [valid", "zh") == []


def test_problems_read_in_the_page_language_with_a_suggestion() -> None:
    p = {"path": "lookback_dayz", "message": "unknown key; did you mean lookback_days?",
         "kind": "extra_forbidden", "suggestion": "lookback_days", "line": 14}  # fmt: skip
    assert problem_text(p, "zh") == "lookback_dayz：未知字段，是否为 lookback_days？"
    assert problem_text(p, "en") == "lookback_dayz: unknown key; did you mean lookback_days?"
    le = {"path": "tiers.levels[0].top", "message": "Input should be less than or equal to 1",
          "kind": "less_than_equal", "ctx": {"le": 1}}  # fmt: skip
    assert problem_text(le, "zh") == "top：应不大于 1"


def test_the_routes_rewrite_the_yaml_and_reread_the_fields(client: TestClient) -> None:
    page = client.get("/console/policies/sample").text
    assert 'name="f:tiers.levels[0].top" value="0.05"' in page
    csrf = client.cookies["tw_csrf"]
    r = client.post(
        "/console/policies/sample/form",
        data={"csrf": csrf, "yaml": POLICY_YAML, "f:tiers.levels[0].top": "0.08"},
    )
    assert r.status_code == 200
    assert "top: 0.08}" in r.text and "top: 0.05" not in r.text
    r = client.post(
        "/console/policies/sample/form",
        data={"csrf": csrf, "yaml": POLICY_YAML, "f:tiers.levels[0].top": "eight"},
    )
    assert "“eight”不是数字" in r.text and "top: 0.05" in r.text
    r = client.post(
        "/console/policies/sample/fields",
        data={"csrf": csrf, "yaml": POLICY_YAML.replace("top: 0.20", "top: 0.3")},
    )
    assert 'name="f:tiers.levels[1].top" value="0.3"' in r.text
    broken = POLICY_YAML.replace("title:", "titel:")
    r = client.post("/console/policies/sample/validate", data={"csrf": csrf, "yaml": broken})
    assert "titel：未知字段，是否为 title？" in r.text
    line = re.search(r'data-field="line">(\d+)<', r.text)
    assert line and POLICY_YAML.splitlines()[int(line.group(1)) - 1].startswith("title:")
    r = client.post(
        "/console/policies/sample/validate?lang=en", data={"csrf": csrf, "yaml": broken}
    )
    assert "titel: unknown key; did you mean title?" in r.text


@pytest.mark.browser
def test_edit_by_fields_see_the_yaml_follow_and_page_the_dry_run(new_page: Any, site: Site) -> None:
    page = new_page()
    login(page, site, "admin")
    page.goto(f"{site.url}/console/policies")
    page.locator("tr.live a").click()
    page.wait_for_load_state("networkidle")
    original = page.input_value("#yaml")
    top = page.locator('[data-field="tiers.levels[1].top"]')
    old = top.input_value()
    top.fill("0.3")
    top.press("Tab")  # the field's change event, as a person leaving the field
    page.wait_for_function(
        "() => document.querySelector('#yaml').value.includes('top: 0.3')", timeout=15_000
    )
    assert page.input_value("#yaml") == original.replace(f"top: {old}", "top: 0.3", 1)
    # the reverse: the YAML edited by hand moves the field
    page.fill("#yaml", original.replace(f"top: {old}", "top: 0.4", 1))
    page.wait_for_function(
        "() => document.querySelector('[data-field=\"tiers.levels[1].top\"]').value === '0.4'"
    )
    # a mistyped key: in Chinese, with its line and the suggestion
    page.fill("#yaml", original.replace("lookback_days:", "lookback_dayz:", 1))
    page.click("#validate")
    page.wait_for_selector("#check-result.bad")
    assert "lookback_dayz：未知字段，是否为 lookback_days？" in page.inner_text("#check-result")
    line = int(page.locator("#check-result [data-field=line]").first.inner_text())
    assert original.splitlines()[line - 1].startswith("lookback_days:")
    shot(page, "40-policy-form-error-zh")
    # a dry run of a real change lists the changed customers, 25 a page, tiers in order
    page.fill("#yaml", original.replace(f"top: {old}", "top: 0.4", 1))
    page.click("#dry-run")
    page.wait_for_selector("#changed-list", timeout=90_000)
    heads = page.locator("#diff table.matrix thead th[data-tier]").evaluate_all(
        "els => els.map(e => e.dataset.tier)"
    )
    assert [h for h in heads if h][:4] == ["platinum", "gold", "silver", "bronze"]
    changed = int(page.inner_text("#changed"))
    rows = page.locator("#changed-list tbody tr")
    assert changed > 0 and rows.count() == min(25, changed)
    assert rows.first.locator("td").nth(4).inner_text() in {"升级", "降级", "新定级", "不再定级"}
    shot(page, "41-policy-dry-run-list-zh")
    if changed > 25:
        first = rows.first.inner_text()
        page.click("#changed-next")
        page.wait_for_selector("#changed-page:has-text('2 /')")
        assert page.locator("#changed-list tbody tr").first.inner_text() != first
    page.goto(page.url + "?lang=en")
    page.wait_for_load_state("networkidle")
    assert page.locator("#fields legend").inner_text() == "Weights and thresholds"
    shot(page, "42-policy-form-en")

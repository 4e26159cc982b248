"""No raw code on any page (issue 7): every enum a page shows is in words, zh-CN and English.

Walks the rendered HTML of every page the demo book's admin and customer reach, in both
languages, and looks for the codes the data and the policy use (business type, channel,
scale, payment terms, layer names, benefit keys, reason codes, run counts) in the text a
person reads (not in attributes, scripts or the policy's YAML source).
"""

from __future__ import annotations

import html
import re

import httpx
from sqlalchemy import text

from tierwise.features.catalog import CATALOG
from tierwise.grading.handoff import read_run
from tierwise.model.tables import CHANNELS
from tierwise.policy.names import SCORE_NAMES, TIER_NAMES
from tierwise.store.db import make_engine, sqlite_url
from tierwise.tierstate.decide_many import CODE_NAMES

from .conftest import PASSWORD, Site

FIELD_CODES = {
    *CHANNELS,
    "chain", "single", "small", "medium", "large", "prepaid", "cod", "weekly", "monthly",
    *CODE_NAMES.values(), "upgrade_reverted", "entities", "graded", "insufficient_data",
    "in_progress", "cancelled", "recovered", "realtime",  # retention tasks (R-OPS-5)
}  # fmt: skip


def visible_text(page: str) -> str:
    """The words a person reads: no scripts, styles, YAML editor, tags or attributes."""
    page = re.sub(r"<(script|style|textarea)\b.*?</\1>", " ", page, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def sign_in(site: Site, user: str) -> httpx.Client:
    c = httpx.Client(base_url=site.url, timeout=30)
    c.get("/console/login")
    r = c.post(
        "/console/login",
        data={"username": user, "password": PASSWORD, "csrf": c.cookies["tw_csrf"]},
    )
    assert r.status_code in (200, 303), r.text
    return c


def raw_codes_in(page: str, codes: set[str], lang: str = "zh") -> set[str]:
    """Each raw code found, with the words around it (to say where it is).

    In Chinese any code in the text is raw. In English a code can be a plain word of a
    sentence ("not graded yet", "Category preference"), so there a code counts when it
    stands alone as a value: a whole piece of a text node between ``·`` / ``:`` separators
    (``Payment terms: weekly``, ``火锅 · chain · online``, ``upgrade · <run id>``).
    """
    out = set()
    if lang == "zh":
        words = " ".join(visible_text(page).split())
        for c in codes:
            m = re.search(rf"(?<![\w-]){re.escape(c)}(?![\w-])", words)
            if m:
                out.add(f"{c} in '{words[max(0, m.start() - 30) : m.end() + 30]}'")
        return out
    page = re.sub(r"<(script|style|textarea)\b.*?</\1>", " ", page, flags=re.S | re.I)
    for node in re.split(r"<[^>]+>", page):
        for piece in re.split(r"[·:：]", html.unescape(node)):
            if piece.strip() in codes:
                out.add(f"{piece.strip()} in '{' '.join(html.unescape(node).split())}'")
    return out


#: feature codes (``orders_365d``) and what a code turned into words by replacing ``_`` looks
#: like (``orders 365d``): a page names a feature by its short name (explain/terms.py)
FEATURE_CODES = {
    form
    for name in (*CATALOG, *SCORE_NAMES, *TIER_NAMES, "model_score")
    if "_" in name
    for form in (name, name.replace("_", " "))
}


def feature_codes_in(page: str) -> set[str]:
    """Each feature code in the words a person reads, in either language."""
    words = " ".join(visible_text(page).split())
    out = set()
    for c in FEATURE_CODES:
        m = re.search(rf"(?<![\w-]){re.escape(c)}(?![\w-])", words)
        if m:
            out.add(f"{c} in '{words[max(0, m.start() - 30) : m.end() + 30]}'")
    return out


def test_no_page_shows_a_raw_code(site: Site) -> None:
    engine = make_engine(sqlite_url(site.home / "state.db"))
    with engine.connect() as conn:
        run_id = conn.execute(
            text("SELECT id FROM runs WHERE status = 'published' ORDER BY published_at DESC")
        ).first()[0]  # type: ignore[index]
        ids = (
            conn.execute(
                text(
                    "SELECT min(customer_id) FROM customer_profiles "
                    "GROUP BY tier, channel, business_type, layers"
                )
            )
            .scalars()
            .all()
        )
    engine.dispose()
    policy = read_run(site.settings.runs_dir / run_id).policy
    codes = FIELD_CODES | set(policy.layers) | {k for b in policy.benefits.values() for k in b}
    assert "preference" in codes and "payment_terms" in codes
    pages = ["/console/", "/console/customers", "/console/policies", "/console/runs"]
    pages += ["/console/models", "/console/tasks", "/console/users"]
    pages += [f"/console/customers/{i}" for i in ids]
    found: dict[str, set[str]] = {}
    for lang in ("zh", "en"):  # the console speaks English on ?lang=en (then a cookie)
        admin = sign_in(site, "admin")
        listing = admin.get("/console/policies", params={"lang": lang}).text
        policy_pages = sorted(set(re.findall(r'href="(/console/policies/[^"/?#]+)"', listing)))
        assert policy_pages, "the policies page links no policy"
        for path in pages + policy_pages:
            r = admin.get(path, params={"lang": lang})
            assert r.status_code == 200, (path, r.status_code)
            if hit := raw_codes_in(r.text, codes, lang) | feature_codes_in(r.text):
                found[f"{lang} {path}"] = hit
        shop = sign_in(site, "shop")
        r = shop.get("/console/me", params={"lang": lang})
        assert r.status_code == 200
        if hit := raw_codes_in(r.text, codes, lang) | feature_codes_in(r.text):
            found[f"{lang} /console/me"] = hit
    assert not found, found


def test_the_walk_finds_a_feature_code_in_either_form() -> None:
    page = "<td>orders 365d</td><td>12</td><p title='spend_365d'>Share of fresh meat</p>"
    assert [h.split(" in ")[0] for h in feature_codes_in(page)] == ["orders 365d"]
    assert feature_codes_in("<li>Days since the last order: 5 days, +2.00 points</li>") == set()
    assert feature_codes_in("<li>近一年采购额 ≥ 5 000 元（spend_365d）</li>")


def test_the_walk_finds_a_raw_code() -> None:
    """The check itself can fail: a code in the text is found, one in an attribute is not."""
    page = '<p class="weekly">账期: weekly</p><script>var x = "chain"</script>'
    assert [h.split()[0] for h in raw_codes_in(page, {"weekly", "chain"})] == ["weekly"]
    page = "<li><strong>Payment terms</strong>: weekly</li><p>Bought weekly, not graded</p>"
    assert [h.split()[0] for h in raw_codes_in(page, {"weekly", "graded"}, "en")] == ["weekly"]

"""Every feature has a short name in Chinese and in English (not its code), and rules read
with those names."""

from __future__ import annotations

from pathlib import Path

import pytest

from tierwise.explain import render
from tierwise.explain.reasons import Reason
from tierwise.explain.terms import feature_name, rule_text
from tierwise.features.catalog import CATALOG, CATEGORY_KEYS
from tierwise.policy import load_policy
from tierwise.policy.names import SCORE_NAMES, TIER_NAMES

ROOT = Path(__file__).resolve().parents[2]
NAMES = [*CATALOG, *SCORE_NAMES, *TIER_NAMES, "model_score"]


def _is_code(name: str, code: str) -> bool:
    """``orders_365d`` shown as ``orders_365d`` or ``orders 365d`` is still the code
    (``Outlets`` for ``outlets`` is a word, capitalised as a label)."""
    return name.strip() in {code, code.replace("_", " ")}


@pytest.mark.parametrize("code", NAMES)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_feature_has_a_name_that_is_not_its_code(code: str, lang: str) -> None:
    name = feature_name(code, lang)
    assert name and not _is_code(name, code), (code, lang, name)


def test_the_names_cover_every_category_share_and_differ_by_language() -> None:
    for zh, key in CATEGORY_KEYS.items():
        assert feature_name(f"share_{key}", "zh") == f"{zh}占比"
        assert feature_name(f"share_{key}", "en").startswith("Share of ")
    assert feature_name("orders_365d", "en") == "Orders, last 365 days"
    assert feature_name("avg_order_value", "en") == "Average order value"
    assert feature_name("share_meat", "en") == "Share of fresh meat"


def test_an_alias_reads_as_the_feature_it_repeats() -> None:
    aliases = [f for f in CATALOG.values() if f.alias_of]
    assert aliases
    for f in aliases:
        assert f.alias_of is not None
        for lang in ("zh", "en"):
            assert feature_name(f.name, lang) == feature_name(f.alias_of, lang)


def test_a_name_that_is_no_feature_shows_as_itself() -> None:
    assert feature_name("p_whatever", "en") == "p_whatever"
    assert feature_name("p_whatever", "zh") == "p_whatever"


def test_a_rule_names_its_features_and_keeps_operators_numbers_and_quoted_values() -> None:
    rule = "channel == 'orders_30d' and orders_365d >= 6 or p_custom > 0.5"
    assert rule_text(rule, "en") == (
        "Sales channel == 'orders_30d' and Orders, last 365 days >= 6 or p_custom > 0.5"
    )
    # issue 18: the connectives read in Chinese too; a quoted 'and' is a value and stays
    assert rule_text(rule, "zh") == "渠道 == 'orders_30d' 且 近一年订单数 >= 6 或 p_custom > 0.5"
    assert rule_text("not x or channel == 'and'", "zh") == "非 x 或 渠道 == 'and'"


def test_a_threshold_tier_and_a_tag_are_explained_without_codes() -> None:
    policy = load_policy(ROOT / "policies" / "meicai.yaml")
    tier = policy.tiers.levels[0]
    by_rules = Reason("TIER_BY_RULES", {"tier": tier.code, "rules": tier.rules})
    tag = policy.tags[0]
    tagged = Reason("TAG", {"tag": tag.code, "rule": tag.when})
    for reason in (by_rules, tagged):
        for lang in ("zh", "en"):
            text = render(reason, policy, lang)
            used = [n for n in CATALOG if n in text]
            assert not used, (lang, text)


def test_one_day_or_order_reads_singular_in_english() -> None:
    policy = load_policy(ROOT / "policies" / "kuailv.yaml")
    one = Reason("CONTRIBUTION", {"feature": "recency_days", "value": 1.0, "points": 2.0})
    assert render(one, policy, "en") == "Days since the last order: 1 day, +2.00 points"
    two = Reason("CONTRIBUTION", {"feature": "orders_365d", "value": 2.0, "points": 0.3})
    assert render(two, policy, "en") == "Orders, last 365 days: 2 orders, +0.30 points"
    assert render(one, policy, "zh") == "距上次下单天数 1 天：贡献 +2.00 分"

"""A policy's rule texts are parsed once, into typed rules, in tierwise.policy (issue 16 item 4)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tierwise.policy import POLICIES_DIR, load_policy
from tierwise.policy.engine import required_features
from tierwise.policy.parsed import rule, rules_of
from tierwise.policy.rules import RuleError

SRC = Path(__file__).resolve().parents[2] / "src" / "tierwise"


@pytest.mark.parametrize("path", sorted(POLICIES_DIR.glob("*.yaml")), ids=lambda p: p.name)
def test_every_rule_of_a_shipped_policy_is_parsed_for_its_place(path: Path) -> None:
    policy = load_policy(path)
    rules = rules_of(policy)
    texts = [policy.eligibility.when]
    texts += [t for lv in policy.tiers.levels for t in lv.rules]
    texts += [t for layer in policy.layers.values() for lv in layer.levels for t in lv.rules]
    texts += [t for lv in (policy.segments.levels if policy.segments else []) for t in lv.rules]
    texts += [t.when for t in policy.tags]
    got = [r.text for r in rules]
    assert sorted(got) == sorted(texts + [r.text for lv in rules.rfm_segments for r in lv])
    assert [len(lv) for lv in rules.tiers] == [len(lv.rules) for lv in policy.tiers.levels]
    assert list(rules.tags) == [t.code for t in policy.tags]
    # the features the grading reads are the names the typed rules read (plus the score's)
    assert rules.names - {"score", "r_score", "f_score", "m_score", "tier", "tier_rank"} <= {
        *required_features(policy),
        *policy.prediction_columns,
    }
    # parsed once: the same text at the same stage is the same rule object
    assert rules_of(policy).eligibility is rules.eligibility


def test_a_rule_is_checked_for_its_stage() -> None:
    assert rule("orders_365d >= 6", "eligibility").names == {"orders_365d"}
    with pytest.raises(RuleError, match="unknown name 'tier'"):
        rule("tier == 'gold'", "score")
    assert rule("tier == 'gold'", "labels").names == {"tier"}
    with pytest.raises(RuleError, match="unknown name 'clv'"):
        rule("clv > 1", "labels")
    assert rule("clv > 1", "labels", ["clv"]).names == {"clv"}
    assert rule("clv > 1", "labels", ["clv"]) is not rule("orders_365d > 1", "labels", ["clv"])


def test_no_module_outside_the_policy_parses_a_policy_rule_itself() -> None:
    """``Rule(...)`` is built in tierwise.policy.parsed only; tags/ builds the tag catalogue's
    and audiences' own expressions (not policy rules) with its own names."""
    allowed = {"policy/parsed.py", "tags/compute.py", "tags/audience.py"}
    found = {
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.py")
        if re.search(r"(?<![A-Za-z_])Rule\(", p.read_text(encoding="utf-8"))
    }
    assert found <= allowed, sorted(found - allowed)

"""Policies load strictly: every problem at once, with file and key path (CONVENTIONS 4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tierwise.errors import PolicyError
from tierwise.policy import load_policy, parse_policy, policy_hash
from tierwise.policy.schema import Label

DATA = Path(__file__).resolve().parent.parent / "data"

# bad file → the (key path, message fragment) pairs it must report, all of them
BAD: dict[str, list[tuple[str, str]]] = {
    "bad_unknown_key": [
        ("score.weigths", "unknown key"),
        ("tiers.levels[0].colour", "unknown key"),
    ],
    "bad_unknown_feature": [("tiers.levels[0].when", "unknown name 'orders_per_fortnight'")],
    "bad_rule_syntax": [("eligibility.when", "cannot parse")],
    "bad_rule_forbidden": [("tiers.levels[0].when", "is not allowed in a rule")],
    "bad_rule_types": [
        ("tiers.levels[0].when", "cannot compare text with number"),
        ("tiers.levels[1].when", "is not a condition"),
    ],
    "bad_value_types": [
        ("name", "pattern"),
        ("entity", "'outlet' or 'account'"),
        ("lookback_days", "valid integer"),
        ("score.weights.spend_365d", "valid number"),
        ("score.normalize", "'percentile'"),
        ("tiers.levels[0].top", "less than or equal to 1"),
        ("tiers.levels[1].label.en", "Field required"),
    ],
    "bad_percentile_order": [
        ("tiers.levels[1].top", "must be above"),
        ("tiers.levels[2].top", "needs top"),
        ("tiers.levels[3].top", "remove top"),
    ],
    "bad_threshold_levels": [
        ("tiers.levels", "appears more than once"),
        ("tiers.levels[1].when", "needs a rule"),
        ("tiers.levels[2].top", "use when"),
        ("tiers.levels[2].when", "needs a rule"),
        ("tiers.levels[3].when", "remove when"),
    ],
    "bad_benefits": [("benefits.diamond", "not a tier code")],
    "bad_benefit_values": [
        ("benefits.gold.service.fr", "unknown key"),
        ("benefits.silver.service.en", "Field required"),
        ("benefits.silver.gifts", "a list of texts"),
        ("benefits.bronze.service", "or {zh: ..., en: ...}"),
    ],
    # structured benefits (issue 21, R-OPS-2): an unknown kind, a discount above 100 %, a
    # parameter the kind does not have, a negative amount, a code twice in a tier
    "bad_structured_benefits": [
        ("tiers.levels[0].benefits[0]", "does not match any of the expected tags"),
        ("tiers.levels[0].benefits[1].pct", "less than or equal to 100"),
        ("tiers.levels[0].benefits[2].colour", "unknown key"),
        ("tiers.levels[1].benefits[0].min_order_yuan", "greater than or equal to 0"),
        ("tiers.levels[1].benefits", "code 'coupon_allowance' appears twice"),
        ("stability.benefit_grace_days", "greater than or equal to 0"),
    ],
    "bad_missing": [("score", "Field required"), ("tiers", "Field required")],
    "bad_stage": [
        ("eligibility.when", "unknown name 'score'"),
        ("tiers.levels[0].when", "unknown name 'tier_rank'"),
    ],
    "bad_score_features": [
        ("score.weights.channel", "is text"),
        ("score.weights.spend_per_hour", "unknown feature"),
    ],
    "bad_many": [
        ("tags[0].colour", "unknown key"),
        ("tiers.levels[0].when", "did you mean 'spend_365d'"),
        ("benefits.platinum", "not a tier code"),
    ],
}


def test_every_bad_file_has_a_case() -> None:
    files = {p.stem for p in DATA.glob("bad_*.yaml")} - {"bad_yaml"}
    assert files == set(BAD)


@pytest.mark.parametrize("stem", sorted(BAD))
def test_bad_policy_reports_every_problem_with_its_path(stem: str) -> None:
    path = DATA / f"{stem}.yaml"
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    err = info.value
    assert err.fields["file"] == str(path)
    assert str(path) in str(err)
    problems = [(p["path"], p["message"]) for p in err.fields["problems"]]
    assert len(problems) == len(BAD[stem]), problems
    for want_path, fragment in BAD[stem]:
        assert any(p == want_path and fragment in m for p, m in problems), (want_path, problems)


def test_broken_yaml_names_the_line() -> None:
    with pytest.raises(PolicyError, match=r"not valid YAML at line \d+"):
        load_policy(DATA / "bad_yaml.yaml")


def test_missing_file_is_a_policy_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read policy"):
        load_policy(tmp_path / "nope.yaml")


@pytest.mark.parametrize("path", sorted(Path("policies").glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_policies_load(path: Path, repo_root: Path) -> None:
    policy = load_policy(repo_root / path)
    assert len(policy_hash(policy)) == 64
    assert set(policy.benefits) <= {lv.code for lv in policy.tiers.levels}


def test_hash_changes_with_a_threshold(repo_root: Path) -> None:
    p = load_policy(repo_root / "policies" / "kuailv.yaml")
    levels = list(p.tiers.levels)
    levels[0] = levels[0].model_copy(update={"top": 0.06})
    changed = p.model_copy(update={"tiers": p.tiers.model_copy(update={"levels": levels})})
    assert policy_hash(changed) != policy_hash(p)
    assert policy_hash(p) == policy_hash(load_policy(repo_root / "policies" / "kuailv.yaml"))


def test_a_benefit_value_is_a_text_in_both_languages_or_a_plain_value(repo_root: Path) -> None:
    """A ``{zh, en}`` value is a Label; a plain text, number, flag or code stays as written."""
    p = load_policy(repo_root / "policies" / "kuailv.yaml")
    gold = p.benefits["gold"]
    service = gold["service"]
    assert isinstance(service, Label)
    assert (service.text("zh"), service.text("en")) == ("常规服务", "Standard service")
    assert gold["rebate_pct"] == 1 and gold["payment_terms"] == "weekly"
    assert gold["promotions"] is True
    dumped = p.model_dump(mode="json")["benefits"]["gold"]  # as run.json keeps it
    assert dumped["service"] == {"zh": "常规服务", "en": "Standard service"}
    assert parse_policy(p.model_dump(mode="json")) == p  # and reads back the same

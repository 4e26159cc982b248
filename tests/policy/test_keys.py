"""A mistyped policy key gets the closest allowed key and its line (issue 18 finding 6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tierwise.api import grading
from tierwise.policy.keys import known_keys, suggest_key
from tierwise.policy.source import locate, scalars, splice

POLICY = Path(__file__).resolve().parents[2] / "policies" / "kuailv.yaml"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("lookback_dayz", "lookback_days"),
        ("score.weigths", "weights"),  # every scoring method's keys count
        ("retention.callback_days", "callback_within_days"),
        ("stability.downgrade_after_run", "downgrade_after_runs"),
        ("tiers.levels[0].tops", "top"),
        ("benefits.gold.service.zhh", "zh"),  # a benefit's {zh, en} text
        ("tags[0].colour", None),  # nothing close: no guess
    ],
)
def test_the_closest_allowed_key_is_suggested(path: str, expected: str | None) -> None:
    assert suggest_key(path) == expected


def test_known_keys_follow_the_schema() -> None:
    assert "lookback_days" in known_keys("")
    assert {"code", "label", "top", "when"} <= set(known_keys("tiers.levels[3]"))
    assert "weights" in known_keys("score") and "zh" in known_keys("title")


def test_check_gives_each_problem_its_line_and_suggestion() -> None:
    text = POLICY.read_text(encoding="utf-8")
    lines = text.splitlines()
    broken = text.replace("lookback_days:", "lookback_dayz:", 1).replace("top: 0.05", "top: 5")
    problems = {p["path"]: p for p in grading.check(broken)["problems"]}
    typo = problems["lookback_dayz"]
    assert typo["suggestion"] == "lookback_days"
    assert typo["message"] == "unknown key; did you mean lookback_days?"
    assert lines[typo["line"] - 1].startswith("lookback_days:")
    top = problems["tiers.levels[0].top"]
    assert "top: 0.05" in lines[top["line"] - 1]
    bad_yaml = grading.check(text + "\nextra: [\n")["problems"][0]
    assert bad_yaml["kind"] == "yaml" and bad_yaml["line"] > len(lines)


def test_splicing_a_scalar_keeps_every_other_character() -> None:
    text = POLICY.read_text(encoding="utf-8")
    top = next(s for s in scalars(text) if s.path == "tiers.levels[1].top")
    assert top.value == "0.20"
    edited = splice(text, [(top.start, top.end, "0.25")])
    assert edited == text.replace("top: 0.20", "top: 0.25")
    assert locate(edited, "tiers.levels[1].top") == top.line

"""The operations modules' policies are validated by one helper (issue 16,
:func:`tierwise.policy.load.parse_module_policy`): every problem at once, each with its key
path, the file named, and the module's docs page as the hint."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tierwise.errors import PolicyError
from tierwise.ops.credit.policy import parse_credit_policy
from tierwise.ops.surveys.policy import parse_survey_policy
from tierwise.ops.visits.policy import parse_visit_policy
from tierwise.recommend.policy import parse_recommend_policy

PARSERS: list[tuple[Callable[..., Any], str, str]] = [
    (parse_visit_policy, "visit policy", "docs/visits.md"),
    (parse_survey_policy, "survey policy", "docs/surveys.md"),
    (parse_credit_policy, "credit policy", "docs/credit.md"),
    (parse_recommend_policy, "recommend policy", "docs/recommendations.md"),
]


@pytest.mark.parametrize(("parse", "what", "doc"), PARSERS)
def test_every_module_policy_lists_every_unknown_key_with_its_path(
    parse: Callable[..., Any], what: str, doc: str
) -> None:
    with pytest.raises(PolicyError) as err:
        parse({"colour": 1, "flavour": 2}, source="ops.yaml")
    problems = {(p["path"], p["message"]) for p in err.value.fields["problems"]}
    assert {("colour", "unknown key"), ("flavour", "unknown key")} <= problems
    assert err.value.message.startswith(f"ops.yaml: {len(problems)} problem(s): ")
    assert err.value.hint == f"see {doc}" and err.value.fields["file"] == "ops.yaml"
    with pytest.raises(PolicyError, match=f"ops.yaml: a {what} is a mapping of keys"):
        parse([1, 2], source="ops.yaml")

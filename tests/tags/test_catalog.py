"""The tag catalogue (issue 20): 300+ tags in the six groups, each complete and checkable."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tierwise.policy.rules import Rule
from tierwise.tags.catalog import GROUPS, TAGS, input_names
from tierwise.tags.compute import name_types

ROOT = Path(__file__).resolve().parents[2]


def test_at_least_300_tags_in_the_groups_of_the_issue() -> None:
    assert len(TAGS) >= 300
    by = Counter(t.group for t in TAGS)
    for g in ("basic", "behaviour", "preference", "value", "risk", "response"):
        assert by[g] >= 10, g
    assert set(by) <= set(GROUPS)


def test_every_tag_has_names_definition_inputs_and_refresh() -> None:
    codes = [t.code for t in TAGS]
    assert len(codes) == len(set(codes))
    inputs = set(input_names())
    known = name_types()
    for t in TAGS:
        assert t.name_zh and t.name_en and t.definition, t.code
        assert t.inputs and set(t.inputs) <= inputs, t.code
        assert t.refresh in ("daily", "event")
        if t.kind == "flag":  # a flag's definition is a rule of the policy language
            assert Rule(t.definition, known).names <= inputs, t.code
        if t.code in inputs:  # only a tag that reads that input as is may share its name
            assert t.source == t.code and t.kind in ("number", "text"), t.code


def test_refresh_follows_the_tables_read() -> None:
    by = {t.code: t for t in TAGS}
    assert by["recency_d7"].refresh == "event"  # orders
    assert by["overdue"].refresh == "event"  # payments
    assert by["cuisine"].refresh == "daily"  # master data
    assert by["complaint_delivery"].refresh == "daily"  # tickets


def test_docs_list_every_tag() -> None:
    from tierwise.tags.docs import render

    assert (ROOT / "docs" / "tag-catalogue.md").read_text(encoding="utf-8") == render()

"""Audiences over tags, tiers, layers and segments (issue 20): count, members, bad input."""

from __future__ import annotations

import pytest

from tierwise.errors import UsageError
from tierwise.tags.audience import Frame, RunRef, check_expression, evaluate
from tierwise.tags.export import to_csv, to_xlsx
from tierwise.tags.snapshot import Snapshot


def test_count_and_sample_over_tags_and_tiers(snapshot: Snapshot, run_ref: RunRef) -> None:
    f = Frame(snapshot, run_ref)
    r = evaluate(f, "tier in ('gold', 'platinum') and cat_hotpot_heavy and not overdue")
    assert r["count"] == 1 and r["total"] == 3 and not r["empty"]
    assert r["sample"][0]["customer_id"] == "c1"
    assert r["run_id"] == "run1"
    assert evaluate(f, "layer_value == 'low' or segment == '战略客户'")["count"] == 2
    assert evaluate(f, "score >= 0.4 and biz_chain")["count"] == 2
    assert evaluate(f, "not biz_chain")["count"] == 1  # c3: not graded, still a customer


def test_numeric_comparisons_on_number_tags(snapshot: Snapshot) -> None:
    f = Frame(snapshot, None)
    assert evaluate(f, "cat_hotpot_share > 0.8")["count"] == 1
    assert evaluate(f, "cat_hotpot_share > 0.95")["count"] == 0


def test_an_audience_that_matches_nobody_is_allowed_but_flagged(snapshot: Snapshot) -> None:
    r = evaluate(Frame(snapshot, None), "never_ordered and cat_hotpot_heavy")
    assert r["count"] == 0 and r["empty"] and "matches nobody" in r["warning"]


def test_members_are_reproducible(snapshot: Snapshot, run_ref: RunRef) -> None:
    rule = check_expression("biz_chain", Frame(snapshot, run_ref).types())
    a = Frame(snapshot, run_ref).members(rule)
    b = Frame(snapshot, run_ref).members(rule)
    assert a.equals(b) and a["customer_id"].to_pylist() == ["c1", "c2"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cat_hotpt_heavy and biz_chain", "unknown tag or name 'cat_hotpt_heavy' at column 1"),
        ("biz_chain and tier == 'gold'", "unknown tag or name 'tier' at column 15"),
        ("cat_hotpot_share > 'high'", "cannot compare number with text.*at column 1[)]"),
        ("cuisine == '火锅' and (biz_chain or spend_365d > 'x')", "at column 35"),
        ("biz_chain and cuisine", "'cuisine' is text, expected bool .*at column 15"),
        ("biz_chain +", "does not parse"),
        ("cuisine", "is not a condition"),
        ("__import__('os')", "unknown tag or name '__import__'"),
        ("biz_chain.real", "not allowed"),
        ("", "empty"),
    ],
)
def test_bad_expressions_get_one_line_naming_what_and_where(
    snapshot: Snapshot, text: str, message: str
) -> None:
    with pytest.raises(UsageError, match=message) as err:
        check_expression(text, Frame(snapshot, None).types())
    assert "\n" not in str(err.value)


def test_export_has_chinese_headers(snapshot: Snapshot, run_ref: RunRef) -> None:
    f = Frame(snapshot, run_ref)
    m = f.members(check_expression("tier == 'gold' and cat_hotpot_heavy", f.types()))
    csv = to_csv(m).decode("utf-8-sig").splitlines()
    assert csv[0] == "客户编号,账户编号,火锅食材重度 (cat_hotpot_heavy),等级"
    assert csv[1] == "c1,A,是,gold"
    assert to_xlsx(m)[:2] == b"PK"

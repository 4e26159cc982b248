"""Pure parts of NPS surveys (R-OPS-8, issue 26): the policy is refused with every problem,
the sample is stratified by tier with quotas and leaves out the cooldown, and answer rows are
sorted into good ones and rejected ones with row, column, value and reason."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from tierwise.errors import DataError, PolicyError
from tierwise.ops.surveys.policy import load_survey_policy, parse_survey_policy
from tierwise.ops.surveys.sample import cell_of, check_rows, draw_sample, read_answers

NOW = dt.datetime(2026, 3, 2, 8)


def test_the_default_policy_loads_and_a_bad_one_lists_every_problem() -> None:
    p = load_survey_policy()
    assert p.quota("platinum") == 200 and p.quota(None) == 0 and p.followup.tag == "nps_detractor"
    with pytest.raises(PolicyError) as err:
        parse_survey_policy(
            {"name": "x", "quotas": {"gold": -1}, "cell_bands": [0.5, 0.2], "colour": 1}
        )
    text = str(err.value)
    assert "3 problem(s)" in text and "colour: unknown key" in text
    assert "quotas" in text and "cell_bands" in text


def test_cells_are_bands_of_the_churn_probability() -> None:
    assert [cell_of(p, [0.2, 0.5]) for p in (0.1, 0.2, 0.49, 0.5, None)] == [
        "p<0.2",
        "0.2-0.5",
        "0.2-0.5",
        "p>=0.5",
        "unknown",
    ]


def test_the_sample_meets_quotas_by_tier_and_skips_the_cooldown() -> None:
    policy = parse_survey_policy({"name": "t", "quotas": {"gold": 5, "bronze": 50}, "untiered": 1})
    pop = pd.DataFrame(
        {
            "customer_id": [f"c{i:03d}" for i in range(60)],
            "tier": ["gold"] * 20 + ["bronze"] * 30 + [None] * 10,
            "cell": "x",
        }
    )
    recent = {f"c{i:03d}" for i in range(0, 18)}  # 18 of the 20 gold surveyed lately
    sample, strata = draw_sample(pop, policy, exclude=recent, seed=7)
    by = {s.tier: s for s in strata}
    assert (by["gold"].eligible, by["gold"].sampled) == (2, 2)  # short of the quota of 5
    assert (by["bronze"].quota, by["bronze"].sampled) == (50, 30)
    assert by[None].sampled == 1
    assert len(sample) == 33 and not set(sample["customer_id"]) & recent
    again, _ = draw_sample(pop, policy, exclude=recent, seed=7)
    assert again["customer_id"].tolist() == sample["customer_id"].tolist()
    other, _ = draw_sample(pop.sample(frac=1, random_state=1), policy, exclude=recent, seed=7)
    assert sorted(other["customer_id"]) == sorted(sample["customer_id"])  # order-free


def test_bad_answer_rows_are_rejected_with_row_column_value_and_kept_apart() -> None:
    frame = pd.DataFrame(
        {
            "customer_id": ["a", "b", "zz", "c", "a", "d", "", "e"],
            "score": ["9", "11", "5", "7.5", "3", "6", "8", "10.0"],
            "comment": ["好", "", "", "", "", "慢", "", ""],
            "answered_at": ["2026-03-01 10:00", "", "", "", "", "yesterday", "", ""],
        }
    )
    good, bad = check_rows(frame, {"a", "b", "c", "d", "e"}, {"e"}, now=NOW)
    assert [(g["customer_id"], g["score"]) for g in good] == [("a", 9)]
    assert good[0]["answered_at"] == dt.datetime(2026, 3, 1, 10) and good[0]["comment"] == "好"
    assert [(b["row"], b["column"], b["value"]) for b in bad] == [
        (3, "score", "11"),
        (4, "customer_id", "zz"),
        (5, "score", "7.5"),
        (6, "customer_id", "a"),
        (7, "answered_at", "yesterday"),
        (8, "customer_id", ""),
        (9, "customer_id", "e"),
    ]
    assert bad[3]["reason"] == "a second answer from this customer"
    assert bad[1]["reason"] == "not sent this survey wave"


def test_answers_are_read_from_csv_and_excel_with_zh_headers(tmp_path: Path) -> None:
    frame = pd.DataFrame({"客户编号": ["a", "b"], "评分": [9, 4], "意见": ["好", None]})
    frame.to_csv(tmp_path / "a.csv", index=False)
    frame.to_excel(tmp_path / "a.xlsx", index=False)
    for name in ("a.csv", "a.xlsx"):
        got = read_answers(tmp_path / name)
        good, bad = check_rows(got, {"a", "b"}, set(), now=NOW)
        assert [(g["customer_id"], g["score"], g["comment"]) for g in good] == [
            ("a", 9, "好"),
            ("b", 4, None),
        ], name
        assert bad == []
    pd.DataFrame({"id": ["a"]}).to_csv(tmp_path / "b.csv", index=False)
    with pytest.raises(DataError, match="no column customer_id, score"):
        read_answers(tmp_path / "b.csv")

"""Learned weights as a proposed policy (R-GRD-8)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tierwise.errors import DataError, UsageError
from tierwise.models.backtest import SEED_POLICY
from tierwise.models.proposal import policy_yaml, proposed_policy, write_policy
from tierwise.models.publish import cuts_within
from tierwise.policy import load_policy

WEIGHTS = {"spend_365d": 0.6, "days_since_last_order": -0.3, "orders_90d": 0.1}


def test_the_proposal_keeps_everything_but_the_score(tmp_path: Path) -> None:
    seed = load_policy(SEED_POLICY)
    prop = proposed_policy(seed, WEIGHTS)
    assert prop.name == "kuailv-rfm-learned"
    assert prop.score.method == "weighted" and prop.score.normalize == "percentile"
    assert prop.score.weights == WEIGHTS
    assert (prop.tiers, prop.tags, prop.layers, prop.benefits) == (
        seed.tiers, seed.tags, seed.layers, seed.benefits,
    )  # fmt: skip
    path = write_policy(prop, tmp_path / "p.yaml", note="learned as of 2026-10-31")
    assert path.read_text("utf-8").startswith("# learned as of 2026-10-31\n")
    assert load_policy(path) == prop  # the YAML reads back to the same policy
    assert proposed_policy(prop, WEIGHTS).name == "kuailv-rfm-learned"  # no double suffix
    assert "r_score" not in policy_yaml(prop)


def test_rules_that_need_rfm_components_are_refused_clearly() -> None:
    seed = load_policy(SEED_POLICY)
    data = seed.model_dump(mode="json")
    data["tags"][0]["when"] = "r_score >= 4"
    from tierwise.policy.load import parse_policy

    with pytest.raises(UsageError, match="rules use r_score"):
        proposed_policy(parse_policy(data), WEIGHTS)
    with pytest.raises(DataError, match="no learned weights"):
        proposed_policy(seed, {})


def test_cut_dates_fit_in_the_history() -> None:
    as_of = date(2026, 10, 31)
    assert cuts_within(date(2024, 5, 1), as_of, 60, 26, 14) == 26
    assert cuts_within(date(2026, 5, 1), as_of, 60, 26, 14) == (183 - 120) // 14 + 1
    assert cuts_within(date(2026, 8, 1), as_of, 60, 26, 14) == 0
    assert cuts_within(None, as_of, 60, 26, 14) == 0

"""The pure terms decision (R-OPS-4, issue 22 item 2): tier × band, limits, notice, default."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from tierwise.ops.credit.decide import decide_terms
from tierwise.ops.credit.policy import RANK, load_credit_policy

POLICY = load_credit_policy()
DAY = dt.date(2026, 3, 1)


def _row(**kw: Any) -> dict[str, Any]:
    base = {
        "customer_id": "c", "tier": "platinum", "pd": 0.01, "spend_90d": 30_000.0,
        "defaulted": False, "cur_terms": None, "cur_deposit_pct": None, "cur_limit": None,
        "pending_terms": None, "pending_from": None,
    }  # fmt: skip
    return {**base, **kw}


def _one(**kw: Any) -> dict[str, Any]:
    out: dict[str, Any] = decide_terms(pd.DataFrame([_row(**kw)]), POLICY, DAY).iloc[0].to_dict()
    return out


def test_a_new_customer_gets_its_cell_at_once_with_the_limit_formula() -> None:
    r = _one()
    assert (r["band"], r["terms"], r["change"]) == ("low", "monthly", "new")
    assert r["credit_limit"] == 15_000.0  # 1.5 × (30 000 / 3)
    assert r["deposit_pct"] == 0
    assert json.loads(r["reasons"])["limit"].startswith("1.5 × monthly spend 10,000.00")


def test_limit_is_capped_and_prepaid_has_none() -> None:
    assert _one(spend_90d=10_000_000.0)["credit_limit"] == POLICY.limit.cap
    r = _one(tier="bronze", pd=0.5)
    assert (r["terms"], r["credit_limit"], r["deposit_pct"]) == ("prepaid", 0.0, 20)


def test_a_high_risk_platinum_is_not_given_monthly_terms() -> None:
    r = _one(pd=0.6)
    assert r["band"] == "high" and r["terms"] == "weekly" and r["deposit_pct"] == 10


def test_stricter_terms_wait_for_the_notice_period() -> None:
    cur = {"cur_terms": "monthly", "cur_deposit_pct": 0.0, "cur_limit": 15_000.0}
    r = _one(pd=0.6, **cur)
    assert (r["terms"], r["change"]) == ("monthly", "notice")
    assert r["pending_terms"] == "weekly"
    assert r["pending_from"] == DAY + dt.timedelta(days=POLICY.notice_days)
    assert r["credit_limit"] == 15_000.0 and r["deposit_pct"] == 0.0  # unchanged until then
    # the next run before the date keeps the announced date
    again = _one(pd=0.6, pending_terms="weekly", pending_from=r["pending_from"], **cur)
    assert (again["change"], again["pending_from"]) == ("pending", r["pending_from"])
    # on the date, they take effect
    due = decide_terms(
        pd.DataFrame([_row(pd=0.6, pending_terms="weekly", pending_from=DAY, **cur)]), POLICY, DAY
    ).iloc[0]
    assert (due["terms"], due["change"], due["pending_terms"]) == ("weekly", "stricter", None)


def test_a_default_makes_stricter_terms_immediate() -> None:
    r = _one(pd=0.6, defaulted=True, cur_terms="monthly", cur_deposit_pct=0.0, cur_limit=1.0)
    assert (r["terms"], r["change"], r["deposit_pct"]) == ("weekly", "stricter", 10)
    assert json.loads(r["reasons"])["default"] is True


def test_looser_terms_take_effect_at_once_and_clear_a_pending_change() -> None:
    r = _one(cur_terms="weekly", cur_deposit_pct=10.0, cur_limit=1.0, pending_terms="cod",
             pending_from=DAY + dt.timedelta(days=3))  # fmt: skip
    assert (r["terms"], r["change"], r["pending_terms"]) == ("monthly", "looser", None)


def test_a_customer_without_a_tier_is_treated_as_the_last_tier() -> None:
    r = _one(tier=None, pd=float("nan"))
    assert (r["tier"], r["band"], r["terms"]) == ("bronze", "medium", "prepaid")


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["platinum", "gold", "silver", "bronze", None]),
            st.floats(0, 1),
            st.sampled_from([None, *RANK]),
            st.booleans(),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_terms_never_loosen_for_a_riskier_customer_and_are_never_stricter_before_notice(
    rows: list[tuple[str | None, float, str | None, bool]],
) -> None:
    frame = pd.DataFrame(
        [
            _row(customer_id=str(i), tier=t, pd=p, cur_terms=c, defaulted=d,
                 cur_deposit_pct=0.0 if c else None, cur_limit=0.0 if c else None)
            for i, (t, p, c, d) in enumerate(rows)
        ]
    )  # fmt: skip
    out = decide_terms(frame, POLICY, DAY)
    riskier = decide_terms(
        frame.assign(pd=(frame["pd"] + 0.3).clip(upper=1.0), cur_terms=None), POLICY, DAY
    )
    for i, (_, _, c, d) in enumerate(rows):
        r = out.iloc[i]
        assert RANK[riskier["terms"].iat[i]] <= RANK[r["target_terms"]]
        if c is not None and RANK[r["target_terms"]] < RANK[c] and not d:
            assert r["terms"] == c and r["change"] == "notice"

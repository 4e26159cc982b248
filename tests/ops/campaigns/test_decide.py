"""Who gets which message (R-OPS-6, issue 24): invariants over random audiences and
histories: the holdout is never messaged, the frequency cap never exceeded, opt-outs always
respected, the budget never passed, quiet hours kept."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from tierwise.ops.campaigns.decide import decide, draw, in_holdout, quiet_until
from tierwise.ops.campaigns.spec import CampaignSpec, parse_campaign_policy

POLICY = parse_campaign_policy({"name": "t", "frequency_cap": {"messages": 2, "days": 7}})
NIGHT = dt.datetime(2026, 12, 7, 14, 30)  # 22:30 in Shanghai
DAY = dt.datetime(2026, 12, 7, 3, 0)  # 11:00 in Shanghai


def spec(budget: float = 1e6, share: float = 0.1) -> CampaignSpec:
    return CampaignSpec.model_validate(
        {
            "name": "c", "audience": "a", "schedule": {"kind": "once", "start": "2026-12-07"},
            "channels": ["sms", "push"], "content": {"variants": {"default": "{name}"}},
            "coupon": {"gold": {"kind": "amount", "value": 10}}, "budget": budget,
            "holdout_share": share,
        }
    )  # fmt: skip


def members(n: int, per_account: int = 1) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [f"C{i:05d}" for i in range(n)],
            "account_id": [f"A{i // per_account:05d}" for i in range(n)],
            "tier": ["gold" if i % 3 else "bronze" for i in range(n)],
        }
    )


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 120),
    per_account=st.integers(1, 4),
    recent=st.lists(st.integers(0, 4), min_size=120, max_size=120),
    out=st.lists(st.sampled_from([None, "sms", "push", "*"]), min_size=120, max_size=120),
    budget=st.floats(0.05, 20),
    share=st.floats(0.01, 0.5),
)
def test_invariants(
    n: int, per_account: int, recent: list[int], out: list[str | None], budget: float,
    share: float,
) -> None:  # fmt: skip
    m = members(n, per_account)
    hist = {c: recent[i] for i, c in enumerate(m["customer_id"])}
    opt = {c: frozenset({out[i]}) for i, c in enumerate(m["customer_id"]) if out[i]}
    s = spec(budget, share)
    rows = decide(m, s, POLICY, salt="s", now=DAY, recent=hist, optouts=opt, spent_fen=0)
    assert len(rows) == n and rows["customer_id"].is_unique
    sent = rows[rows["status"] == "send"]
    for r in sent.itertuples():
        assert hist[r.customer_id] + 1 <= POLICY.frequency_cap.messages  # cap never exceeded
        assert r.channel not in opt.get(r.customer_id, frozenset())
        assert "*" not in opt.get(r.customer_id, frozenset())
    assert (rows.loc[rows["arm"] == "holdout", "status"] == "holdout").all()
    assert int(sent["cost_fen"].sum() + sent["coupon_fen"].sum()) <= s.budget_fen
    # the holdout is drawn per account: all outlets of a chain on the same side
    assert rows.groupby("account_id")["arm"].nunique().max() == 1
    # opted out of sms only: reached by push
    for r in rows[rows["status"] == "send"].itertuples():
        if opt.get(r.customer_id) == frozenset({"sms"}):
            assert r.channel == "push"


def test_holdout_share_is_close_to_the_spec_and_stable() -> None:
    m = members(20_000)
    rows = decide(m, spec(), POLICY, salt="x", now=DAY, recent={}, optouts={})
    share = (rows["arm"] == "holdout").mean()
    assert 0.09 < share < 0.11
    again = decide(m, spec(), POLICY, salt="x", now=DAY, recent={}, optouts={})
    assert (again["arm"] == rows["arm"]).all()
    other = decide(m, spec(), POLICY, salt="y", now=DAY, recent={}, optouts={})
    assert (other["arm"] != rows["arm"]).any()  # another campaign draws another holdout
    assert in_holdout("x", "A1", 1.0) and 0 <= draw("x", "A1") < 1


def test_quiet_hours_move_messages_to_the_morning_but_not_tasks() -> None:
    wake = quiet_until(NIGHT, POLICY.quiet_hours)
    assert wake == dt.datetime(2026, 12, 8, 0, 0)  # 08:00 in Shanghai
    assert quiet_until(DAY, POLICY.quiet_hours) == DAY
    rows = decide(members(5), spec(), POLICY, salt="s", now=NIGHT, recent={}, optouts={})
    assert (rows.loc[rows["status"] == "send", "not_before"] == wake).all()


def test_the_rate_spreads_a_large_wave_over_minutes() -> None:
    policy = parse_campaign_policy({"name": "t", "rate_per_minute": {"sms": 100}})
    rows = decide(members(1000), spec(share=0.01), policy, salt="s", now=DAY, recent={},
                  optouts={})  # fmt: skip
    per_minute = rows[rows["status"] == "send"].groupby("not_before").size()
    assert per_minute.max() <= 100 and len(per_minute) >= 9

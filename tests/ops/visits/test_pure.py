"""The visit policy, cadence decision, planner and router, without a store (R-OPS-8)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from tierwise.errors import PolicyError
from tierwise.ops.visits.cadence import capacity_shortfall, decide_cadence
from tierwise.ops.visits.planner import plan_day
from tierwise.ops.visits.policy import load_visit_policy, parse_visit_policy
from tierwise.ops.visits.route import Stop, haversine_m, route_day

POLICY = load_visit_policy()
D = dt.date


def test_a_bad_policy_lists_every_problem_with_its_path() -> None:
    raw = {
        "name": "x",
        "cadence": {"gold": {"channel": "visit", "every_days": 0, "colour": "red"}},
        "day": {"start": "18:00", "end": "09:00"},
        "capacity": {"working_days": [0, 8]},
    }
    with pytest.raises(PolicyError) as err:
        parse_visit_policy(raw)
    paths = {p["path"] for p in err.value.fields["problems"]}
    assert {"cadence.gold.every_days", "cadence.gold.colour", "day", "capacity"} <= paths
    assert "not after start" in str(err.value) and "ISO weekdays" in str(err.value)


def _state(**cols: list[object]) -> pd.DataFrame:
    n = len(cols["customer_id"])
    base: dict[str, list[object]] = {"tier": ["gold"] * n, "signup_date": [None] * n,
                                     "warned": [False] * n, "last_visit": [None] * n}  # fmt: skip
    return pd.DataFrame({**base, **cols})


def test_cadence_follows_the_tier_the_last_visit_and_the_warnings() -> None:
    as_of = D(2026, 3, 10)
    state = _state(
        customer_id=["plat", "brz", "warn", "warn_seen", "new", "old_new", "warn_late", "new2"],
        tier=["platinum", "bronze", None, "gold", "silver", "silver", "bronze", "bronze"],
        last_visit=[
            D(2026, 3, 5),
            D(2026, 3, 1),
            D(2026, 2, 1),
            D(2026, 3, 9),
            None,
            None,
            D(2025, 12, 1),
            None,
        ],
        warned=[False, False, True, True, False, False, True, False],
        signup_date=[None, None, None, None, D(2026, 3, 8), D(2025, 1, 1), None, D(2026, 2, 20)],
    )
    out = decide_cadence(state, POLICY, as_of).set_index("customer_id")
    assert out.loc["plat", ["channel", "next_due", "reason"]].tolist() == [
        "visit", D(2026, 3, 12), "cadence"]  # fmt: skip
    assert out.loc["brz", "channel"] == "phone"  # 青铜: by phone
    # a warning (untiered: by phone every 60 days): in person within 3 days
    assert out.loc["warn", ["channel", "next_due", "reason"]].tolist() == [
        "visit", D(2026, 3, 13), "churn_warning"]  # fmt: skip
    # a phone cadence already overdue: the warning visit is due at once
    assert out.loc["warn_late", ["channel", "next_due"]].tolist() == ["visit", D(2025, 12, 31)]
    # visited yesterday: the warning does not ask for another visit
    assert out.loc["warn_seen", ["next_due", "reason"]].tolist() == [D(2026, 3, 23), "cadence"]
    # onboarding: within 7 days of the signup (sooner if the spread first visit is sooner)
    assert out.loc["new", "reason"] == "onboarding"
    assert D(2026, 3, 10) <= out.loc["new", "next_due"] <= D(2026, 3, 15)
    # a 青铜 outlet signed up 18 days ago, never visited: in person, overdue since day 7
    assert out.loc["new2", ["channel", "next_due", "reason"]].tolist() == [
        "visit", D(2026, 2, 27), "onboarding"]  # fmt: skip
    # never visited, not new: first visit spread over one interval from today
    assert D(2026, 3, 10) <= out.loc["old_new", "next_due"] < D(2026, 4, 9)


def test_an_unvisited_customers_first_visit_does_not_move_when_decided_again() -> None:
    state = _state(customer_id=["a", "b", "c"], tier=["silver"] * 3)
    first = decide_cadence(state, POLICY, D(2026, 3, 10))
    state["cur_next_due"] = first["next_due"]
    state["cur_every_days"] = [30, 30, 14]  # c's tier changed since: spread again
    again = decide_cadence(state, POLICY, D(2026, 3, 20))
    assert again["next_due"].tolist()[:2] == first["next_due"].tolist()[:2]
    assert again["next_due"].tolist()[2] >= D(2026, 3, 20)


def test_shortfall_is_per_manager_beyond_capacity() -> None:
    cad = pd.DataFrame({
        "customer_id": [f"c{i}" for i in range(60)], "channel": ["visit"] * 60,
        "every_days": [7] * 60, "manager_id": ["m1"] * 50 + ["m2"] * 10,
    })  # fmt: skip
    out = capacity_shortfall(cad, {"m1": 8, "m2": 8}, POLICY).set_index("manager_id")
    # 50 weekly visits over 5 working days = 10 a day against 8
    assert out.loc["m1", "needed_per_day"] == 10.0
    assert out.loc["m1", "shortfall_per_day"] == 2.0
    assert out.loc["m2", "shortfall_per_day"] == 0.0


def _due(n: int, manager: str | None = "m1") -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": [f"c{i}" for i in range(n)], "manager_id": [manager] * n,
        "tier": ["gold"] * n, "next_due": [D(2026, 3, 9)] * n, "reason": ["cadence"] * n,
        "value_at_risk": [float(i) for i in range(n)],
    })  # fmt: skip


def test_capacity_keeps_the_most_value_at_risk_and_ranks_the_overflow() -> None:
    due = pd.concat([_due(5), _due(1, None).assign(customer_id="orphan")])
    due.loc[len(due)] = ["later", "m1", "gold", D(2026, 3, 20), "cadence", 99.0]
    out = plan_day(due, {"m1": 3}, D(2026, 3, 10), POLICY).set_index("customer_id")
    assert "later" not in out.index  # not due yet
    assert sorted(out.index[out["planned"]]) == ["c2", "c3", "c4"]
    assert out.loc[["c1", "c0"], "rank"].tolist() == [4, 5]
    assert set(out.loc[["c1", "c0"], "overflow"]) == {"capacity"}
    assert out.loc["orphan", "overflow"] == "no_manager"
    sunday = plan_day(_due(2), {"m1": 3}, D(2026, 3, 15), POLICY)
    assert not sunday["planned"].any() and set(sunday["overflow"]) == {"not_a_working_day"}


def test_territory_overflow_goes_to_a_manager_of_the_city_with_room() -> None:
    """R-OPS-8 (issue 26): a manager's territory is used: what does not fit with its own
    manager (or has none) is planned, highest value at risk first, with another manager of
    the customer's city who has room; another city's manager never takes it."""
    due = pd.concat(
        [_due(5), _due(2, "m2").assign(customer_id=["d0", "d1"]),
         _due(1, None).assign(customer_id="orphan", value_at_risk=50.0),
         _due(1, "m1").assign(customer_id="far", value_at_risk=100.0)],
        ignore_index=True,
    )  # fmt: skip
    territory = {"m1": "成都市", "m2": "成都市", "m3": "重庆市", "m4": "成都市"}
    city = dict.fromkeys(due["customer_id"], "成都市") | {"far": "西安市"}
    cap = {"m1": 3, "m2": 3, "m3": 5, "m4": 1}
    out = plan_day(due, cap, D(2026, 3, 10), POLICY, territory=territory, city=city)
    out = out.set_index("customer_id")
    # m1 keeps its 3 highest (far 100, c4, c3); m2 has 1 room left, m4 has 1: the orphan
    # (50) and c2 (2) are covered, c1 and c0 stay overflow; far has no manager in 西安市
    assert sorted(out.index[out["planned"] & out["covered_for"].isna()]) == [
        "c3", "c4", "d0", "d1", "far"]  # fmt: skip
    covered = out[out["covered_for"].notna()]
    assert dict(zip(covered.index, covered["manager_id"], strict=True)) == {
        "orphan": "m2", "c2": "m4"}  # fmt: skip
    assert covered.loc["orphan", "covered_for"] == "" and covered.loc["c2", "covered_for"] == "m1"
    assert set(out.loc[["c1", "c0"], "overflow"]) == {"capacity"}
    assert not out.loc[["c1", "c0"], "planned"].any()
    sizes = out[out["planned"]].groupby("manager_id").size()
    assert all(n <= cap[m] for m, n in sizes.items())
    assert "m3" not in set(out["manager_id"])  # 重庆市: never covers 成都市
    plain = plan_day(due, cap, D(2026, 3, 10), POLICY).set_index("customer_id")
    assert plain.loc["orphan", "overflow"] == "no_manager" and plain["covered_for"].isna().all()


def test_a_route_visits_points_on_a_line_in_order_and_flags_late_stops() -> None:
    # five outlets 1 km apart due east; the start point is the first one
    stops = [Stop(f"c{i}", 31.0, 121.0 + i * 0.0105) for i in (3, 0, 4, 1, 2)]
    route = route_day(stops, POLICY, start=(31.0, 121.0))
    order = [s.customer_id for s in route.stops]
    assert order in (["c0", "c1", "c2", "c3", "c4"], ["c4", "c3", "c2", "c1", "c0"])
    assert route.feasible
    assert 7_000 < route.distance_m < 10_000
    # a window far away cannot be met: the stop is still routed, with its lateness
    far = [Stop("near", 31.0, 121.0), Stop("far", 31.9, 121.9, window=(0, 10))]
    late = {
        s.customer_id: s.late_minutes for s in route_day(far, POLICY, start=(31.0, 121.0)).stops
    }
    assert late["far"] > 0


def test_haversine_matches_a_known_distance() -> None:
    import numpy as np

    # Shanghai People's Square to Beijing Tiananmen: about 1 067 km
    d = float(haversine_m(np.array(31.2304), np.array(121.4737), np.array(39.9042),
                          np.array(116.4074)))  # fmt: skip
    assert 1_060_000 < d < 1_075_000

"""The benefits ledger's pure decision (R-OPS-2, issue 21 item 1): grants follow the tier,
with the downgrade grace of the stability rules."""

from __future__ import annotations

from datetime import date, timedelta

from tierwise.ops.benefits.decide import (
    BenefitPlan,
    Grant,
    PlanBenefit,
    decide_grants,
    disagreements,
)
from tierwise.tierstate.decide import TierState

D0 = date(2026, 3, 1)
PLAN = BenefitPlan(
    ("gold", "silver", "bronze"),
    {
        "gold": (
            PlanBenefit("rebate", "rebate", {"pct": "2", "period": "month"}),
            PlanBenefit("custom_selection", "custom_selection", {}),
            PlanBenefit("service_level", "service_level", {"level": "priority"}),
        ),
        "silver": (
            PlanBenefit("rebate", "rebate", {"pct": "1", "period": "month"}),
            PlanBenefit("service_level", "service_level", {"level": "priority"}),
        ),
        "bronze": (),
    },
    grace_days=14,
)


def _apply(
    grants: list[Grant], state: TierState, day: date, plan: BenefitPlan = PLAN
) -> list[Grant]:
    """Apply the decided changes the way the ledger writes them (ids grow)."""
    out = {g.id: g for g in grants}
    next_id = max(out, default=0) + 1
    for ch in decide_grants([g for g in out.values() if g.status == "active"], state, plan, day):
        if ch.action == "grant":
            assert ch.benefit is not None and ch.tier is not None and ch.valid_from is not None
            out[next_id] = Grant(
                next_id, ch.code, ch.benefit.kind, ch.benefit.params, ch.tier, ch.valid_from
            )
            next_id += 1
            continue
        assert ch.grant_id is not None
        g = out[ch.grant_id]
        if ch.action == "grace":
            out[g.id] = Grant(g.id, g.code, g.kind, g.params, g.tier, g.valid_from, ch.valid_until)
        elif ch.action == "restore":
            out[g.id] = Grant(g.id, g.code, g.kind, g.params, g.tier, g.valid_from, None)
        else:
            status = "revoked" if ch.action == "revoke" else "expired"
            out[g.id] = Grant(
                g.id, g.code, g.kind, g.params, g.tier, g.valid_from, ch.valid_until, status
            )
    return list(out.values())


def _usable(grants: list[Grant], day: date) -> dict[str, dict[str, object]]:
    return {g.code: {"tier": g.tier, **g.params} for g in grants if g.usable(day)}


def test_a_first_tier_grants_its_benefits_from_the_day() -> None:
    grants = _apply([], TierState("gold", D0), D0)
    assert set(_usable(grants, D0)) == {"rebate", "custom_selection", "service_level"}
    assert all(g.valid_from == D0 and g.valid_until is None for g in grants)


def test_a_downgrade_keeps_shared_benefits_and_ends_the_rest_after_grace() -> None:
    """黄金 → 白银: service_level (both give it) is kept as it is; custom_selection (gold only)
    and the 2 % rebate stay usable for the 14 days of grace, then end; the 1 % rebate follows."""
    gold = _apply([], TierState("gold", D0), D0)
    service_id = next(g.id for g in gold if g.code == "service_level")
    down = D0 + timedelta(days=30)
    grants = _apply(gold, TierState("silver", down), down)
    usable = _usable(grants, down)
    assert usable["rebate"]["pct"] == "2" and "custom_selection" in usable
    assert next(g for g in grants if g.code == "service_level").id == service_id
    in_grace = {g.code: g.valid_until for g in grants if g.valid_until and g.status == "active"}
    assert in_grace == {
        "rebate": down + timedelta(days=14),
        "custom_selection": down + timedelta(days=14),
    }
    assert disagreements({"c": grants}, {"c": TierState("silver", down)}, PLAN, down) == []

    later = down + timedelta(days=14)  # the first day after grace
    grants = _apply(grants, TierState("silver", down), later)
    usable = _usable(grants, later)
    assert "custom_selection" not in usable and usable["rebate"]["pct"] == "1"
    ended = {g.code: g.status for g in grants if g.status != "active"}
    assert ended == {"rebate": "expired", "custom_selection": "expired"}
    assert disagreements({"c": grants}, {"c": TierState("silver", down)}, PLAN, later) == []


def test_an_upgrade_replaces_a_benefit_at_once_and_restores_one_in_grace() -> None:
    silver = _apply([], TierState("silver", D0), D0)
    up = D0 + timedelta(days=5)
    grants = _apply(silver, TierState("gold", up), up)
    assert _usable(grants, up)["rebate"]["pct"] == "2"
    revoked = [g for g in grants if g.status == "revoked"]
    assert [(g.code, g.params["pct"], g.valid_until) for g in revoked] == [("rebate", "1", up)]
    # down again, then back up within grace: the gold grant in grace is restored, not re-granted
    down = up + timedelta(days=30)
    grants = _apply(grants, TierState("silver", down), down)
    back = down + timedelta(days=3)
    before = {g.id for g in grants}
    grants = _apply(grants, TierState("gold", back), back)
    assert {g.id for g in grants} == before
    assert all(g.valid_until is None for g in grants if g.usable(back))


def test_without_grace_a_downgrade_revokes_at_once() -> None:
    plan = BenefitPlan(PLAN.order, PLAN.tiers, grace_days=0)
    gold = _apply([], TierState("gold", D0), D0, plan)
    down = D0 + timedelta(days=30)
    grants = _apply(gold, TierState("bronze", down), down, plan)
    assert _usable(grants, down) == {}
    assert {g.status for g in grants} == {"revoked"}


def test_disagreements_name_missing_and_extra_grants() -> None:
    gold = _apply([], TierState("gold", D0), D0)
    found = disagreements({"c": gold}, {"c": TierState("bronze", D0)}, PLAN, D0)
    assert {(d.code, d.problem) for d in found} == {
        ("rebate", "not_given"),
        ("custom_selection", "not_given"),
        ("service_level", "not_given"),
    }
    found = disagreements({}, {"c": TierState("silver", D0)}, PLAN, D0)
    assert {(d.code, d.problem) for d in found} == {
        ("rebate", "missing"),
        ("service_level", "missing"),
    }

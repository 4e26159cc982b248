"""Which benefits a customer holds after a tier write: the pure decision (R-OPS-2).

:func:`decide_grants` takes a customer's active grants, their tier state, the benefit plan
(the policy's structured benefits per tier, :class:`BenefitPlan`) and the day, and returns
the changes to make. Semantics (docs/benefits.md):

- the tier's benefits are granted from the day of the write; a grant the tier still gives with
  the same parameters is kept as it is (a customer who moves from 黄金 to 白银 keeps what both
  give);
- a grant the tier no longer gives ends. After a **downgrade** (the grant's tier ranks above
  the customer's tier) it stays usable ``grace_days`` after the tier state's ``since`` (the
  downgrade's effective date, policy ``stability.benefit_grace_days``) and then expires; the
  same code from the new tier is granted when the old grant ends. Otherwise (an upgrade that
  replaces a parameter, a plan without it, no grace) it is revoked at once;
- a grant in grace whose benefit the tier gives again is restored (its end cleared).

:func:`disagreements` is the invariant the property test and the bench check: no customer
holds a benefit their tier does not give outside grace, none misses one it gives.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from tierwise.policy.schema import Policy
from tierwise.tierstate.decide import TierState

ACTIVE, EXPIRED, REVOKED = "active", "expired", "revoked"
Action = Literal["grant", "grace", "restore", "revoke", "expire"]


@dataclass(frozen=True)
class PlanBenefit:
    """One benefit a tier gives: its code, kind and parameters (JSON values)."""

    code: str
    kind: str
    params: Mapping[str, Any]


@dataclass(frozen=True)
class BenefitPlan:
    """The structured benefits of a policy's tiers, from the top tier down."""

    order: tuple[str, ...]
    tiers: Mapping[str, tuple[PlanBenefit, ...]]
    grace_days: int = 0

    @classmethod
    def from_policy(cls, policy: Policy) -> BenefitPlan:
        """The plan the policy's ``tiers.levels[*].benefits`` describe."""
        return cls(
            tuple(lv.code for lv in policy.tiers.levels),
            {
                lv.code: tuple(PlanBenefit(b.key, b.kind, b.params()) for b in lv.benefits)
                for lv in policy.tiers.levels
            },
            policy.stability.benefit_grace_days,
        )

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BenefitPlan:
        """The plan as stored (``benefit_plans.plan``)."""
        return cls(
            tuple(data.get("order", ())),
            {
                t: tuple(PlanBenefit(b["code"], b["kind"], b["params"]) for b in bs)
                for t, bs in (data.get("tiers") or {}).items()
            },
            int(data.get("grace_days", 0)),
        )

    def to_json(self) -> dict[str, Any]:
        """The plan as stored."""
        return {
            "order": list(self.order),
            "grace_days": self.grace_days,
            "tiers": {
                t: [{"code": b.code, "kind": b.kind, "params": dict(b.params)} for b in bs]
                for t, bs in self.tiers.items()
            },
        }

    @property
    def empty(self) -> bool:
        """No tier gives anything."""
        return not any(self.tiers.values())

    def gives(self, tier: str | None) -> dict[str, PlanBenefit]:
        """The benefits ``tier`` gives, by code (none for no tier)."""
        return {b.code: b for b in self.tiers.get(tier, ())} if tier else {}

    def rank(self, tier: str | None) -> int:
        """0 for the top tier; below every tier for no tier or a tier the plan does not know."""
        return self.order.index(tier) if tier in self.order else len(self.order)


EMPTY_PLAN = BenefitPlan((), {}, 0)


@dataclass(frozen=True)
class Grant:
    """A grant as stored (the fields the decision reads)."""

    id: int
    code: str
    kind: str
    params: Mapping[str, Any]
    tier: str
    valid_from: date
    valid_until: date | None = None
    status: str = ACTIVE

    def usable(self, day: date) -> bool:
        """Whether the grant applies on ``day``."""
        return (
            self.status == ACTIVE
            and self.valid_from <= day
            and (self.valid_until is None or day < self.valid_until)
        )


@dataclass(frozen=True)
class GrantChange:
    """One change to make: a new grant, or a change of an existing one (``grant_id``).

    ``grant``: insert an active grant of ``benefit`` for ``tier`` from ``valid_from``;
    ``grace``: keep it active until ``valid_until``; ``restore``: clear its end; ``revoke``
    / ``expire``: set its status and ``valid_until``.
    """

    action: Action
    code: str
    reason: dict[str, Any]
    grant_id: int | None = None
    benefit: PlanBenefit | None = None
    tier: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None


def _same(b: PlanBenefit, g: Grant) -> bool:
    return b.kind == g.kind and dict(b.params) == dict(g.params)


def decide_grants(
    previous: Sequence[Grant],
    state: TierState | None,
    plan: BenefitPlan,
    as_of: date,
) -> list[GrantChange]:
    """The grant changes for one customer (see the module docstring).

    Parameters
    ----------
    previous:
        The customer's active grants.
    state:
        The customer's tier state after the write (``None``: never graded).
    plan:
        The benefits each tier gives and the grace after a downgrade.
    as_of:
        The day of the write (a run's as_of, a regrade's day).
    """
    tier = state.tier if state else None
    wanted = plan.gives(tier)
    rank = plan.rank(tier)
    held: set[str] = set()
    out: list[GrantChange] = []
    for g in sorted(previous, key=lambda g: (g.code, g.id)):
        w = wanted.get(g.code)
        if g.valid_until is not None and g.valid_until <= as_of:
            out.append(
                GrantChange(
                    "expire",
                    g.code,
                    {"code": "grace_over", "tier": tier},
                    g.id,
                    valid_until=g.valid_until,
                )
            )
            continue
        if w is not None and _same(w, g):
            held.add(g.code)
            if g.valid_until is not None:
                out.append(
                    GrantChange("restore", g.code, {"code": "tier_gives_again", "tier": tier}, g.id)
                )
            continue
        why = "parameters_changed" if w is not None else "tier_does_not_give"
        if plan.rank(g.tier) < rank and plan.grace_days > 0 and state is not None:
            end = g.valid_until or state.since + timedelta(days=plan.grace_days)
            if end > as_of:
                held.add(g.code)  # the old grant applies until its grace ends
                if g.valid_until is None:
                    reason = {"code": "downgrade_grace", "from": g.tier, "tier": tier, "why": why}
                    out.append(GrantChange("grace", g.code, reason, g.id, valid_until=end))
                continue
            reason = {"code": "grace_over", "from": g.tier, "tier": tier, "why": why}
            out.append(GrantChange("expire", g.code, reason, g.id, valid_until=end))
            continue
        reason = {"code": why, "from": g.tier, "tier": tier}
        out.append(GrantChange("revoke", g.code, reason, g.id, valid_until=as_of))
    for code, b in wanted.items():
        if code not in held:
            reason = {"code": "tier_gives", "tier": tier}
            out.append(GrantChange("grant", code, reason, benefit=b, tier=tier, valid_from=as_of))
    return out


@dataclass(frozen=True)
class Disagreement:
    """A customer whose grants do not follow their tier."""

    customer_id: str
    code: str
    problem: Literal["missing", "not_given"]
    detail: dict[str, Any] = field(default_factory=dict)


def disagreements(
    grants: Mapping[str, Sequence[Grant]],
    states: Mapping[str, TierState],
    plan: BenefitPlan,
    day: date,
) -> list[Disagreement]:
    """Customers holding a benefit their tier does not give (outside grace) or missing one it
    gives, on ``day``: the invariant of the ledger (empty when grants follow tier state)."""
    out: list[Disagreement] = []
    for cid in sorted(set(grants) | set(states)):
        state = states.get(cid)
        wanted = plan.gives(state.tier if state else None)
        usable = {g.code: g for g in grants.get(cid, ()) if g.usable(day)}
        for code, b in wanted.items():
            g = usable.get(code)
            if g is None:
                out.append(Disagreement(cid, code, "missing", {"tier": state and state.tier}))
            elif not _same(b, g) and not _in_grace(g, state, plan):
                out.append(Disagreement(cid, code, "not_given", {"grant": g.id}))
        for code, g in usable.items():
            if code not in wanted and not _in_grace(g, state, plan):
                out.append(Disagreement(cid, code, "not_given", {"grant": g.id, "tier": g.tier}))
    return out


def _in_grace(g: Grant, state: TierState | None, plan: BenefitPlan) -> bool:
    """A grant of a higher tier, ending within the grace after the downgrade."""
    if g.valid_until is None or state is None or plan.grace_days == 0:
        return False
    return plan.rank(g.tier) < plan.rank(state.tier) and g.valid_until <= state.since + timedelta(
        days=plan.grace_days
    )

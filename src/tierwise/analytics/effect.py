"""Effect of tier changes on purchasing (R-ANA-4): a difference-in-differences.

For the customers whose tier a run changed, the purchase amount (``spend_lookback``) and the
repurchase rate (``repurchase_rate``, the feature catalog's definition) over the ``N`` days
ending at the run's as_of (*before*) are compared with the ``N`` days after it
(as_of + 1 … as_of + N, *after*: the same features computed as of as_of + N with an ``N``-day
lookback). The same is measured for the customers of the same starting tier whose tier did
not change (the *control*), and

    did = (treated after − treated before) − (control after − control before)

per (from tier → to tier). A transition kind (upgraded, downgraded) pools its (from → to)
groups weighted by their sizes, so each changed customer is compared with the control of
its own starting tier. A group with fewer than ``min_group`` customers on either side is
flagged ``small``. When the lake's orders end before as_of + N, the after window is not
complete: the result says how many days it covers and reports no after value.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc

from tierwise.features.build import build_features
from tierwise.features.context import Entity

MIN_GROUP = 30
#: the catalog features compared before and after
FEATURES = ("spend_lookback", "repurchase_rate")
KINDS = ("upgraded", "downgraded")


@dataclass(frozen=True)
class Side:
    """Means of one group over the before and after windows (after: None if incomplete)."""

    customers: int
    spend_before: float | None
    spend_after: float | None
    repurchase_before: float | None
    repurchase_after: float | None


@dataclass(frozen=True)
class EffectRow:
    """One group: a transition kind (``to_tier`` None, ``from_tier`` None) or a from → to."""

    kind: str
    from_tier: str | None
    to_tier: str | None
    treated: Side
    control: Side
    did_spend: float | None
    did_repurchase: float | None
    small: bool


@dataclass(frozen=True)
class Effect:
    """The whole table, with the windows it used."""

    run_id: str
    as_of: dt.date
    days: int
    before_start: dt.date
    after_end: dt.date
    data_end: dt.date
    days_covered: int
    complete: bool
    min_group: int
    by_kind: list[EffectRow] = field(default_factory=list)
    by_transition: list[EffectRow] = field(default_factory=list)
    #: customers whose change has no starting or no new tier (not compared), by kind
    not_compared: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("as_of", "before_start", "after_end", "data_end"):
            d[k] = d[k].isoformat()
        return d


def _diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def _did(t: Side, c: Side, attr: str) -> float | None:
    if c.customers == 0:
        return None
    dt_ = _diff(getattr(t, f"{attr}_after"), getattr(t, f"{attr}_before"))
    dc = _diff(getattr(c, f"{attr}_after"), getattr(c, f"{attr}_before"))
    return _diff(dt_, dc)


def _pool(sides: list[tuple[int, Side]]) -> Side:
    """Weighted means of several sides (weights: the treated group sizes)."""
    total = sum(w for w, _ in sides)

    def mean(attr: str) -> float | None:
        vals = [(w, getattr(s, attr)) for w, s in sides]
        if total == 0 or any(v is None for _, v in vals):
            return None
        return sum(w * float(v) for w, v in vals) / total

    return Side(
        customers=sum(s.customers for _, s in sides),
        spend_before=mean("spend_before"),
        spend_after=mean("spend_after"),
        repurchase_before=mean("repurchase_before"),
        repurchase_after=mean("repurchase_after"),
    )


def _pooled_did(rows: list[EffectRow], attr: str) -> float | None:
    """The size-weighted mean of the groups' diff-in-diffs (None if any group has none)."""
    vals = [(r.treated.customers, getattr(r, attr)) for r in rows]
    total = sum(w for w, _ in vals)
    if total == 0 or any(v is None for _, v in vals):
        return None
    return sum(w * float(v) for w, v in vals) / total


def _per_customer(
    tables: dict[str, ir.Table], people: pa.Table, as_of: dt.date, days: int, entity: Entity
) -> ir.Table:
    """``people`` with the features over the before and after windows (0 without orders)."""
    before = build_features(tables, as_of, lookback_days=days, entity=entity, names=FEATURES)
    after = build_features(
        tables, as_of + dt.timedelta(days=days), lookback_days=days, entity=entity, names=FEATURES
    )
    p = ibis.memtable(people)
    b = before.select("entity_id", sb=before.spend_lookback, rb=before.repurchase_rate)
    a = after.select("entity_id", sa=after.spend_lookback, ra=after.repurchase_rate)
    j = p.left_join(b, "entity_id").drop("entity_id_right")
    j = j.left_join(a, "entity_id").drop("entity_id_right")
    return j.mutate(
        sb=j.sb.fill_null(0.0),
        rb=j.rb.fill_null(0.0),
        sa=j.sa.fill_null(0.0),
        ra=j.ra.fill_null(0.0),
    )


def tier_change_effect(
    tables: dict[str, ir.Table],
    cohort: pa.Table,
    *,
    run_id: str,
    as_of: dt.date,
    days: int,
    data_end: dt.date,
    entity: Entity = "outlet",
    ranks: dict[str, int] | None = None,
    min_group: int = MIN_GROUP,
) -> Effect:
    """The difference-in-differences table of ``cohort`` (``entity_id, from_tier, to_tier,
    kind``; see :func:`tierwise.analytics.source.cohort`) around ``as_of``."""
    covered = max(0, min(days, (data_end - as_of).days))
    complete = covered >= days
    people = cohort.filter(pc.is_in(cohort["kind"], pa.array([*KINDS, "changed", "unchanged"])))
    j = _per_customer(tables, people, as_of, days, entity)
    agg = (
        j.group_by("kind", "from_tier", "to_tier")
        .agg(n=j.count(), sb=j.sb.mean(), sa=j.sa.mean(), rb=j.rb.mean(), ra=j.ra.mean())
        .to_pyarrow()
        .to_pylist()
    )

    def side(r: dict[str, Any] | None) -> Side:
        if r is None:
            return Side(0, None, None, None, None)
        return Side(
            int(r["n"]),
            float(r["sb"]),
            float(r["sa"]) if complete else None,
            float(r["rb"]),
            float(r["ra"]) if complete else None,
        )

    control = {r["from_tier"]: r for r in agg if r["kind"] == "unchanged"}
    order = ranks or {}

    def kind_order(k: str) -> tuple[int, str]:
        return (KINDS.index(k) if k in KINDS else len(KINDS), k)

    def rank(t: str | None) -> tuple[int, str]:
        return (order.get(t or "", len(order)), str(t))

    transitions: list[EffectRow] = []
    for r in sorted(
        (r for r in agg if r["kind"] != "unchanged"),
        key=lambda r: (kind_order(r["kind"]), rank(r["from_tier"]), rank(r["to_tier"])),
    ):
        t, c = side(r), side(control.get(r["from_tier"]))
        transitions.append(
            EffectRow(
                kind=r["kind"],
                from_tier=r["from_tier"],
                to_tier=r["to_tier"],
                treated=t,
                control=c,
                did_spend=_did(t, c, "spend"),
                did_repurchase=_did(t, c, "repurchase"),
                small=t.customers < min_group or c.customers < min_group,
            )
        )
    kinds: list[EffectRow] = []
    for kind in dict.fromkeys([*KINDS, *(r.kind for r in transitions)]):
        rows = [r for r in transitions if r.kind == kind]
        if not rows:
            continue
        w = [(r.treated.customers, r.treated) for r in rows]
        t = _pool(w)
        with_control = [r for r in rows if r.control.customers > 0]
        c = _pool([(r.treated.customers, r.control) for r in with_control])
        # each starting tier's control counted once
        c = Side(
            sum({r.from_tier: r.control.customers for r in with_control}.values()),
            c.spend_before,
            c.spend_after,
            c.repurchase_before,
            c.repurchase_after,
        )
        kinds.append(
            EffectRow(
                kind=kind,
                from_tier=None,
                to_tier=None,
                treated=t,
                control=c,
                did_spend=_pooled_did(rows, "did_spend"),
                did_repurchase=_pooled_did(rows, "did_repurchase"),
                small=t.customers < min_group or c.customers < min_group,
            )
        )
    skipped = cohort.filter(pc.is_in(cohort["kind"], pa.array(["entered", "left"])))
    not_compared: dict[str, int] = {}
    for k in skipped["kind"].to_pylist():
        not_compared[k] = not_compared.get(k, 0) + 1
    return Effect(
        run_id=run_id,
        as_of=as_of,
        days=days,
        before_start=as_of - dt.timedelta(days=days - 1),
        after_end=as_of + dt.timedelta(days=days),
        data_end=data_end,
        days_covered=covered,
        complete=complete,
        min_group=min_group,
        by_kind=kinds,
        by_transition=transitions,
        not_compared=not_compared,
    )

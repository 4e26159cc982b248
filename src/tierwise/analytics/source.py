"""What the analyses read from the operational store and the run folder.

A published run gives: its as_of, its policy's lookback window and entity (from
``runs/<run_id>/run.json``), the tier it computed for every graded entity, the tier ranks of
its cutoffs, the run published just before it, and the tier changes it published with the
published tier every other customer had when it was published (the control groups of
:mod:`tierwise.analytics.effect`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy import Engine, func, select

from tierwise.errors import DataError, NotFoundError, UsageError
from tierwise.features.context import Entity
from tierwise.grading import layout
from tierwise.grading.handoff import is_run, read_record
from tierwise.policy.schema import Policy
from tierwise.store.held import held_after, published_at
from tierwise.store.schema import Run, RunCutoff, TierChange, latest_published

#: the policy defaults, for a run record whose policy omits them
_DEFAULT_LOOKBACK = int(Policy.model_fields["lookback_days"].default)


@dataclass(frozen=True)
class RunInfo:
    """A published run, as the analyses need it."""

    run_id: str
    as_of: dt.date
    published_at: dt.datetime
    policy_name: str
    lookback_days: int
    entity: Entity
    #: tier code → rank (0 = top tier), from the run's cutoffs
    ranks: dict[str, int]
    #: tier code → label per language ({"zh": ..., "en": ...}) when the run records them
    labels: dict[str, dict[str, str]]
    #: the policy's title per language, when it has one (runs are named by it: issue 18)
    title: dict[str, str] = field(default_factory=dict)

    def name(self, lang: str) -> str:
        """The run as people name it: its as-of date and its policy's title."""
        return f"{self.as_of} · {self.title.get(lang) or self.policy_name}"


def _policy_record(runs_dir: Path | None, run_id: str) -> dict[str, Any]:
    if runs_dir is None:
        return {}
    if not is_run(runs_dir / run_id):
        return {}
    try:
        record = read_record(runs_dir / run_id)
    except (OSError, ValueError) as err:
        path = runs_dir / run_id / layout.RUN_JSON
        raise DataError(f"cannot read {path}: {err}", file=str(path)) from err
    pol = record.get("policy")
    return pol if isinstance(pol, dict) else {}


def _labels(policy: dict[str, Any]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    tiers = policy.get("tiers")
    levels = tiers.get("levels", []) if isinstance(tiers, dict) else []
    for lvl in levels if isinstance(levels, list) else []:
        if isinstance(lvl, dict) and isinstance(lvl.get("code"), str):
            label = lvl.get("label")
            if isinstance(label, dict):
                out[lvl["code"]] = {k: str(v) for k, v in label.items()}
            elif isinstance(label, str):
                out[lvl["code"]] = {"zh": label, "en": label}
    return out


def load_run(engine: Engine, run_id: str, runs_dir: Path | None = None) -> RunInfo:
    """The published run ``run_id``.

    Raises
    ------
    NotFoundError
        When the store has no published run of that id.
    """
    with engine.connect() as conn:
        # PostgreSQL refuses a NUL character in a query: such an id names no run
        run = (
            None if "\x00" in run_id else conn.execute(select(Run).where(Run.id == run_id)).first()
        )
        if run is None or run.status != "published" or run.published_at is None:
            state = "" if run is None else f" (it is {run.status})"
            raise NotFoundError(
                f"no published run {run_id!r}{state}",
                hint="see `tierwise runs list`",
                run_id=run_id,
            )
        cuts = conn.execute(
            select(RunCutoff.tier, RunCutoff.rank).where(RunCutoff.run_id == run_id)
        ).all()
    policy = _policy_record(runs_dir, run_id)
    lookback = policy.get("lookback_days", _DEFAULT_LOOKBACK)
    entity = policy.get("entity", "outlet")
    return RunInfo(
        run_id=run.id,
        as_of=run.as_of,
        published_at=run.published_at,
        policy_name=run.policy_name,
        lookback_days=int(lookback) if isinstance(lookback, int) else _DEFAULT_LOOKBACK,
        entity="account" if entity == "account" else "outlet",
        ranks={t: int(r) for t, r in cuts},
        labels=_labels(policy),
        title={str(k): str(v) for k, v in t.items()}
        if isinstance(t := policy.get("title"), dict)
        else {},
    )


def previous_run(engine: Engine, run: RunInfo, runs_dir: Path | None = None) -> RunInfo | None:
    """The run published just before ``run`` (the state its changes started from), if any."""
    with engine.connect() as conn:
        prev = conn.execute(
            select(Run.id)
            .where(Run.status == "published", Run.published_at < run.published_at)
            .order_by(Run.published_at.desc(), Run.id.desc())
            .limit(1)
        ).first()
    return None if prev is None else load_run(engine, prev.id, runs_dir)


def latest_run_id(engine: Engine) -> str:
    """The latest published run (raises NotFoundError when nothing is published yet)."""
    with engine.connect() as conn:
        row = conn.execute(latest_published(Run.id)).first()
    if row is None:
        raise NotFoundError("no run has been published yet", hint="run `tierwise grade` first")
    return str(row.id)


def assignments(engine: Engine, run_id: str) -> pa.Table:
    """``entity_id, tier`` of every customer holding a tier once the run was published: the
    one definition of a run's tiers (:mod:`tierwise.store.held`), not the raw computed
    tiers before stability."""
    with engine.connect() as conn:
        held = held_after(published_at(conn, run_id)).subquery()
        rows = conn.execute(
            select(held.c.customer_id, held.c.tier).where(held.c.tier.is_not(None))
        ).all()
    return pa.table(
        {
            "entity_id": pa.array([r[0] for r in rows], pa.string()),
            "tier": pa.array([r[1] for r in rows], pa.string()),
        }
    )


def kind_of(from_tier: str | None, to_tier: str | None, ranks: dict[str, int]) -> str:
    """``upgraded`` / ``downgraded`` by the run's tier ranks; ``entered`` without a starting
    tier, ``left`` without a new one, ``changed`` when a tier is not one of the run's."""
    if from_tier is None:
        return "entered"
    if to_tier is None:
        return "left"
    if from_tier not in ranks or to_tier not in ranks:
        return "changed"
    return "upgraded" if ranks[to_tier] < ranks[from_tier] else "downgraded"


def cohort(engine: Engine, run: RunInfo) -> pa.Table:
    """The customers a run's effect is measured on: ``entity_id, from_tier, to_tier, kind``.

    Customers whose tier the run changed carry the change (``kind`` upgraded, downgraded,
    entered, left or changed); every other customer with a published tier just before the
    run is ``unchanged`` with ``from_tier = to_tier`` = that tier (the control group of
    each starting tier). The state before the run is the last change of each customer
    recorded before the run was published (batch runs, real-time regrades and overrides).
    """
    with engine.connect() as conn:
        changed = conn.execute(
            select(TierChange.customer_id, TierChange.from_tier, TierChange.to_tier)
            .where(TierChange.run_id == run.run_id)
            .order_by(TierChange.id)
        ).all()
        last = (
            select(func.max(TierChange.id).label("id"))
            .where(TierChange.changed_at < run.published_at)
            .group_by(TierChange.customer_id)
            .subquery()
        )
        before = conn.execute(
            select(TierChange.customer_id, TierChange.to_tier).join(
                last, TierChange.id == last.c.id
            )
        ).all()
    first: dict[str, tuple[str | None, str | None]] = {}
    final: dict[str, str | None] = {}
    for cid, f, t in changed:  # a run records one change per customer; be safe with more
        first.setdefault(cid, (f, t))
        final[cid] = t
    ids: list[str] = []
    froms: list[str | None] = []
    tos: list[str | None] = []
    kinds: list[str] = []
    for cid, (f, _t) in first.items():
        t = final[cid]
        if f == t:
            continue
        ids.append(cid)
        froms.append(f)
        tos.append(t)
        kinds.append(kind_of(f, t, run.ranks))
    for cid, tier in before:
        if cid in first or tier is None:
            continue
        ids.append(cid)
        froms.append(tier)
        tos.append(tier)
        kinds.append("unchanged")
    return pa.table(
        {
            "entity_id": pa.array(ids, pa.string()),
            "from_tier": pa.array(froms, pa.string()),
            "to_tier": pa.array(tos, pa.string()),
            "kind": pa.array(kinds, pa.string()),
        }
    )


def require_days(days: int) -> int:
    """``days`` when it is a usable window length."""
    if days <= 0:
        raise UsageError(f"--days must be at least 1, got {days}", value=days)
    return days

"""Survey waves in the store (R-OPS-8, issue 26): sample, load answers, follow up
detractors, report NPS per tier and its trend.

- :func:`create_wave` samples the tiered customers (``customer_tiers``) by tier with the
  policy's quotas, leaving out anyone sent a wave within ``cooldown_days``, and records each
  recipient with their tier, weighting cell (a band of the published churn probability) and
  account manager at that moment.
- :func:`load_answers` reads a CSV / Excel file of answers for a wave: good rows are stored
  (one per customer per wave), bad ones kept in ``survey_rejects`` with row, column, value and
  reason; in the same transaction each detractor (0-6) gets one retention task.
- :func:`open_followups` opens the retention task (table ``retention_tasks``, tag
  ``nps_detractor``) of each detractor answer that has none yet: once per answer. The task is
  created with ``tag_cleared_at`` set, so it is not a churn-tag episode: the retention sync
  (which closes the active tasks of customers no longer tagged) leaves it alone, and a
  customer may have a churn call-back and a detractor follow-up at once.
- :func:`report` gives NPS per tier and wave with its 95 % interval, weighted for
  non-response by tier × cell (:func:`tierwise.ops.surveys.nps.nps_by_tier`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, func, insert, select, update

from tierwise.errors import NotFoundError
from tierwise.ops.retention import SYSTEM, TASK_EVENT, enqueue_events
from tierwise.ops.surveys.nps import nps_by_tier
from tierwise.ops.surveys.policy import SurveyPolicy
from tierwise.ops.surveys.sample import Stratum, cell_of, check_rows, draw_sample, read_answers
from tierwise.store.schema import (
    AudienceDelivery,
    CustomerPrediction,
    CustomerProfile,
    CustomerTier,
    RetentionTask,
    RetentionTaskLog,
    SurveyAnswer,
    SurveyRecipient,
    SurveyReject,
    SurveyWave,
)

SOURCE = "survey"  # retention_tasks.source of a detractor follow-up
DETRACTOR_MAX = 6


@dataclass(frozen=True)
class WaveResult:
    wave_id: int
    sent_on: dt.date
    strata: list[Stratum]

    @property
    def sampled(self) -> int:
        return sum(s.sampled for s in self.strata)


@dataclass(frozen=True)
class LoadResult:
    wave_id: int
    loaded: int
    rejected: list[dict[str, Any]] = field(default_factory=list)
    followups: list[int] = field(default_factory=list)


def _population(conn: Connection, bands: list[float]) -> pd.DataFrame:
    rows = conn.execute(
        select(
            CustomerTier.customer_id,
            CustomerTier.tier,
            CustomerPrediction.churn_probability,
            CustomerProfile.account_manager,
        )
        .outerjoin(CustomerPrediction, CustomerPrediction.customer_id == CustomerTier.customer_id)
        .outerjoin(CustomerProfile, CustomerProfile.customer_id == CustomerTier.customer_id)
    ).all()
    frame = pd.DataFrame(
        [(r[0], r[1], cell_of(r[2], bands), r[3]) for r in rows],
        columns=["customer_id", "tier", "cell", "account_manager"],
    )
    return frame.astype(object).where(frame.notna(), None)


def recently_surveyed(conn: Connection, day: dt.date, cooldown_days: int) -> set[str]:
    """Customers sent a wave in the ``cooldown_days`` days up to ``day`` (or after it)."""
    if cooldown_days <= 0:
        return set()
    since = day - dt.timedelta(days=cooldown_days)
    q = (
        select(SurveyRecipient.customer_id)
        .join(SurveyWave, SurveyWave.id == SurveyRecipient.wave_id)
        .where(SurveyWave.sent_on > since)
    )
    return set(conn.execute(q).scalars())


def create_wave(
    engine: Engine,
    policy: SurveyPolicy,
    *,
    sent_on: dt.date,
    actor: str,
    now: dt.datetime,
    seed: int = 0,
    only: Collection[str] | None = None,
) -> WaveResult:
    """Sample a wave by tier with the policy's quotas and record it (one transaction).

    ``only``: the customers a wave may reach (a saved audience's members as of ``sent_on``,
    read by the caller through :mod:`tierwise.tags.targets`); the quotas apply within them.
    An empty ``only`` gives a wave with no recipients (allowed; the caller flags it)."""
    with engine.begin() as conn:
        pop = _population(conn, policy.cell_bands)
        if only is not None:
            pop = pop[pop["customer_id"].isin(set(only))].reset_index(drop=True)
        skip = recently_surveyed(conn, sent_on, policy.cooldown_days)
        sample, strata = draw_sample(pop, policy, exclude=skip, seed=seed)
        wave_id = conn.execute(
            insert(SurveyWave)
            .values(
                survey=policy.survey,
                sent_on=sent_on,
                policy=policy.name,
                seed=seed,
                created_at=now,
                created_by=actor,
            )
            .returning(SurveyWave.id)
        ).scalar_one()
        if len(sample):
            conn.execute(
                insert(SurveyRecipient),
                [
                    {
                        "wave_id": wave_id,
                        "customer_id": r["customer_id"],
                        "tier": r["tier"],
                        "cell": r["cell"],
                        "account_manager": r["account_manager"],
                    }
                    for r in sample.to_dict("records")
                ],
            )
    return WaveResult(wave_id, sent_on, strata)


def _wave(conn: Connection, wave_id: int) -> Any:
    row = conn.execute(select(SurveyWave).where(SurveyWave.id == wave_id)).first()
    if row is None:
        raise NotFoundError(f"no survey wave {wave_id}", wave_id=wave_id)
    return row


def open_followups(
    conn: Connection, policy: SurveyPolicy, *, now: dt.datetime, wave_id: int | None = None
) -> list[int]:
    """Open a retention task for each detractor answer (0-6) without one (of ``wave_id``, or
    all): due ``followup.within_days`` after ``now``, for the recipient's account manager.
    Idempotent: an answer's task id is recorded on it and it never gets a second one."""
    q = (
        select(
            SurveyAnswer.id,
            SurveyAnswer.wave_id,
            SurveyAnswer.customer_id,
            SurveyAnswer.score,
            SurveyRecipient.account_manager,
            SurveyRecipient.tier,
        )
        .join(
            SurveyRecipient,
            (SurveyRecipient.wave_id == SurveyAnswer.wave_id)
            & (SurveyRecipient.customer_id == SurveyAnswer.customer_id),
        )
        .where(SurveyAnswer.score <= DETRACTOR_MAX, SurveyAnswer.followup_task_id.is_(None))
        .order_by(SurveyAnswer.id)
    )
    if wave_id is not None:
        q = q.where(SurveyAnswer.wave_id == wave_id)
    if conn.dialect.name == "postgresql":
        q = q.with_for_update(of=SurveyAnswer.__table__)
    due = now.date() + dt.timedelta(days=policy.followup.within_days)
    opened: list[int] = []
    events: list[tuple[str, dict[str, Any]]] = []
    for a in conn.execute(q).all():
        note = f"NPS {a.score} (survey wave {a.wave_id}, answer {a.id})"
        task_id = conn.execute(
            insert(RetentionTask)
            .values(
                customer_id=a.customer_id,
                account_manager=a.account_manager,
                tier=a.tier,
                tag=policy.followup.tag,
                status="open",
                source=SOURCE,
                run_id=f"survey-{a.wave_id}",
                opened_at=now,
                due_date=due,
                steps=[],
                note=note,
                updated_at=now,
                updated_by=SYSTEM,
                tag_cleared_at=now,
            )
            .returning(RetentionTask.id)
        ).scalar_one()
        conn.execute(
            insert(RetentionTaskLog).values(
                task_id=task_id, at=now, actor=SYSTEM, from_status=None, to_status="open", note=note
            )
        )
        conn.execute(
            update(SurveyAnswer).where(SurveyAnswer.id == a.id).values(followup_task_id=task_id)
        )
        opened.append(task_id)
        events.append(
            (
                TASK_EVENT,
                {
                    "action": "open",
                    "task_id": task_id,
                    "customer_id": a.customer_id,
                    "tag": policy.followup.tag,
                    "due_date": due.isoformat(),
                },
            )
        )
    if events:
        enqueue_events(conn, events, now)
    return opened


def load_answers(
    engine: Engine,
    wave_id: int,
    path: Path,
    policy: SurveyPolicy,
    *,
    now: dt.datetime,
) -> LoadResult:
    """Store the good answers of the file ``path`` for ``wave_id`` (:func:`load_frame`)."""
    return load_frame(engine, wave_id, read_answers(path), policy, source=path.name, now=now)


def load_frame(
    engine: Engine,
    wave_id: int,
    frame: pd.DataFrame,
    policy: SurveyPolicy,
    *,
    source: str,
    now: dt.datetime,
) -> LoadResult:
    """Store the good answers of ``frame`` (text columns customer_id, score, comment,
    answered_at) for ``wave_id``, keep the rejected rows, and open the detractors' follow-up
    tasks, in one transaction."""
    source = source[:200]
    for col in ("customer_id", "score"):
        if col not in frame.columns:
            frame = frame.assign(**{col: ""})
    with engine.begin() as conn:
        _wave(conn, wave_id)
        sent = set(
            conn.execute(
                select(SurveyRecipient.customer_id).where(SurveyRecipient.wave_id == wave_id)
            ).scalars()
        )
        answered = set(
            conn.execute(
                select(SurveyAnswer.customer_id).where(SurveyAnswer.wave_id == wave_id)
            ).scalars()
        )
        good, bad = check_rows(frame, sent, answered, now=now)
        if good:
            conn.execute(
                insert(SurveyAnswer),
                [{**g, "wave_id": wave_id, "source": source, "loaded_at": now} for g in good],
            )
        if bad:
            conn.execute(
                insert(SurveyReject),
                [
                    {
                        **b,
                        "wave_id": wave_id,
                        "source": source,
                        "loaded_at": now,
                        "value": str(b["value"])[:2000],
                    }
                    for b in bad
                ],
            )
        opened = open_followups(conn, policy, now=now, wave_id=wave_id)
    return LoadResult(wave_id, len(good), bad, opened)


def answers(engine: Engine, wave_id: int) -> list[dict[str, Any]]:
    """A wave's answers with the recipient's tier and manager (in load order)."""
    with engine.connect() as conn:
        _wave(conn, wave_id)
        q = (
            select(
                SurveyAnswer.id,
                SurveyAnswer.customer_id,
                SurveyRecipient.tier,
                SurveyRecipient.account_manager,
                SurveyAnswer.score,
                SurveyAnswer.comment,
                SurveyAnswer.answered_at,
                SurveyAnswer.followup_task_id,
            )
            .join(
                SurveyRecipient,
                (SurveyRecipient.wave_id == SurveyAnswer.wave_id)
                & (SurveyRecipient.customer_id == SurveyAnswer.customer_id),
            )
            .where(SurveyAnswer.wave_id == wave_id)
            .order_by(SurveyAnswer.id)
        )
        return [dict(r._mapping) for r in conn.execute(q)]


def waves(engine: Engine) -> list[dict[str, Any]]:
    """Every wave with its recipients and answers counts (newest first)."""
    with engine.connect() as conn:
        sent = dict(
            conn.execute(
                select(SurveyRecipient.wave_id, func.count()).group_by(SurveyRecipient.wave_id)
            ).all()
        )
        got = dict(
            conn.execute(
                select(SurveyAnswer.wave_id, func.count()).group_by(SurveyAnswer.wave_id)
            ).all()
        )
        bad = dict(
            conn.execute(
                select(SurveyReject.wave_id, func.count()).group_by(SurveyReject.wave_id)
            ).all()
        )
        rows = conn.execute(
            select(SurveyWave).order_by(SurveyWave.sent_on.desc(), SurveyWave.id.desc())
        ).all()
        aud = wave_audiences(conn)
        return [
            {
                "wave_id": w.id,
                "survey": w.survey,
                "sent_on": w.sent_on,
                "policy": w.policy,
                "recipients": int(sent.get(w.id, 0)),
                "answers": int(got.get(w.id, 0)),
                "rejected": int(bad.get(w.id, 0)),
                "audience": aud.get(w.id),
            }
            for w in rows
        ]


AUDIENCE_TARGET = "survey:"  # audience_deliveries.target of a wave's audience: survey:<id>


def wave_audiences(conn: Connection) -> dict[int, dict[str, Any]]:
    """Waves sampled within a saved audience: wave id -> the audience's name, version, date,
    tag snapshot, run and members (as logged in ``audience_deliveries``)."""
    q = select(AudienceDelivery).where(AudienceDelivery.target.like(f"{AUDIENCE_TARGET}%"))
    out: dict[int, dict[str, Any]] = {}
    for d in conn.execute(q).all():
        out[int(d.target[len(AUDIENCE_TARGET) :])] = {
            "audience": d.audience,
            "version": d.version,
            "as_of": d.as_of,
            "snapshot_as_of": d.snapshot_as_of,
            "run_id": d.run_id,
            "members": d.members,
            "empty": d.members == 0,
        }
    return out


def rejects(engine: Engine, wave_id: int) -> list[dict[str, Any]]:
    """The rows refused when answers of ``wave_id`` were loaded (in load order)."""
    with engine.connect() as conn:
        _wave(conn, wave_id)
        q = (
            select(
                SurveyReject.source,
                SurveyReject.row,
                SurveyReject.column,
                SurveyReject.value,
                SurveyReject.reason,
                SurveyReject.loaded_at,
            )
            .where(SurveyReject.wave_id == wave_id)
            .order_by(SurveyReject.id)
        )
        return [dict(r._mapping) for r in conn.execute(q)]


def report(engine: Engine, wave_ids: list[int] | None = None) -> pd.DataFrame:
    """NPS per tier of each wave (the trend: one block a wave, oldest first), weighted for
    non-response by tier × cell, with the unweighted figures and the counts beside them."""
    with engine.connect() as conn:
        q = select(SurveyWave.id, SurveyWave.sent_on).order_by(SurveyWave.sent_on, SurveyWave.id)
        if wave_ids is not None:
            q = q.where(SurveyWave.id.in_(wave_ids))
        ws = conn.execute(q).all()
        parts = []
        for wid, day in ws:
            pop = pd.DataFrame(
                conn.execute(
                    select(
                        SurveyRecipient.customer_id, SurveyRecipient.tier, SurveyRecipient.cell
                    ).where(SurveyRecipient.wave_id == wid)
                ).all(),
                columns=["customer_id", "tier", "cell"],
            )
            ans = pd.DataFrame(
                conn.execute(
                    select(SurveyAnswer.customer_id, SurveyAnswer.score).where(
                        SurveyAnswer.wave_id == wid
                    )
                ).all(),
                columns=["customer_id", "score"],
            )
            if pop.empty:
                continue
            est = nps_by_tier(ans, pop)
            est.insert(0, "sent_on", day)
            est.insert(0, "wave_id", wid)
            parts.append(est)
    if not parts:
        from tierwise.ops.surveys.nps import OUTPUT

        return pd.DataFrame(columns=["wave_id", "sent_on", *OUTPUT])
    return pd.concat(parts, ignore_index=True)

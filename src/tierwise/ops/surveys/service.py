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

from tierwise.errors import ConfigError, ConflictError, DataError, NotFoundError, UsageError
from tierwise.ops.campaigns.service import send_wave_in, store_campaign
from tierwise.ops.campaigns.spec import CampaignPolicy, CampaignSpec
from tierwise.ops.retention import SYSTEM, TASK_EVENT, enqueue_events
from tierwise.ops.surveys.links import LinkError, check_secret, make_token, read_token
from tierwise.ops.surveys.nps import OUTPUT, TWO_PHASE, nps_by_tier, nps_two_phase
from tierwise.ops.surveys.policy import SurveyPolicy
from tierwise.ops.surveys.sample import (
    Stratum,
    cell_of,
    check_rows,
    draw_followup,
    draw_sample,
    read_answers,
)
from tierwise.store.schema import (
    AudienceDelivery,
    Campaign,
    CustomerPrediction,
    CustomerProfile,
    CustomerTier,
    RetentionTask,
    RetentionTaskLog,
    SurveyAnswer,
    SurveyFollowup,
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
        wave_id = _insert_wave(conn, policy.survey, policy.name, sent_on, seed, now, actor, sample)
    return WaveResult(wave_id, sent_on, strata)


def _insert_wave(
    conn: Connection,
    survey: str,
    policy: str,
    sent_on: dt.date,
    seed: int | None,
    now: dt.datetime,
    actor: str,
    sample: pd.DataFrame,
) -> int:
    """Record a wave and its recipients (customer, tier, cell, manager); its id."""
    wave_id: int = conn.execute(
        insert(SurveyWave)
        .values(
            survey=survey,
            sent_on=sent_on,
            policy=policy,
            seed=seed,
            created_at=now,
            created_by=actor,
        )
        .returning(SurveyWave.id)
    ).scalar_one()
    if len(sample):
        rows = sample[["customer_id", "tier", "cell", "account_manager"]].astype(object)
        conn.execute(
            insert(SurveyRecipient),
            [
                {**{str(k): v for k, v in r.items()}, "wave_id": wave_id}
                for r in rows.where(rows.notna(), None).to_dict("records")
            ],
        )
    return wave_id


def _wave(conn: Connection, wave_id: int) -> Any:
    row = conn.execute(select(SurveyWave).where(SurveyWave.id == wave_id)).first()
    if row is None:
        raise NotFoundError(f"no survey wave {wave_id}", wave_id=wave_id)
    return row


@dataclass(frozen=True)
class FollowupResult:
    wave_id: int  # the follow-up wave
    parent_wave_id: int
    fraction: float
    channel: str
    by_tier: dict[str, dict[str, int]]  # tier -> nonrespondents, subsampled

    @property
    def sampled(self) -> int:
        return sum(v["subsampled"] for v in self.by_tier.values())


CHANNELS = ("call", "visit", "sms", "wechat")


def _followup_of(conn: Connection, wave_id: int) -> int | None:
    """The follow-up wave drawn from ``wave_id``'s non-respondents (None: the wave is open)."""
    return conn.execute(
        select(SurveyFollowup.wave_id).where(SurveyFollowup.parent_wave_id == wave_id)
    ).scalar_one_or_none()


def create_followup(
    engine: Engine,
    parent_wave_id: int,
    *,
    fraction: float,
    sent_on: dt.date,
    actor: str,
    now: dt.datetime,
    seed: int = 0,
    channel: str = "call",
) -> FollowupResult:
    """Close wave ``parent_wave_id`` and draw its follow-up (the second phase of a two-phase
    survey, docs/surveys.md): in each tier a simple random sample of ``fraction`` of the
    recipients who have not answered (rounded up, at least one when any), recorded as a new
    wave (same survey and policy, the recipients' tier, cell and manager kept) to be asked
    through ``channel`` (default ``call``: the account manager phones them). From then on
    the parent takes no more answers (its non-respondents are fixed). Refused: a fraction
    outside (0, 1], an unknown channel, a follow-up of a follow-up, a second follow-up."""
    if not 0 < fraction <= 1:
        raise UsageError(f"fraction {fraction:g}: between 0 (excluded) and 1")
    if channel not in CHANNELS:
        raise UsageError(f"channel {channel!r}: one of {', '.join(CHANNELS)}")
    with engine.begin() as conn:
        parent = _wave(conn, parent_wave_id)
        if conn.dialect.name == "postgresql":
            conn.execute(
                select(SurveyWave.id).where(SurveyWave.id == parent_wave_id).with_for_update()
            )
        if conn.execute(
            select(SurveyFollowup.wave_id).where(SurveyFollowup.wave_id == parent_wave_id)
        ).first():
            raise ConflictError(
                f"wave {parent_wave_id} is itself a follow-up: it has no follow-up",
                wave_id=parent_wave_id,
            )
        done = _followup_of(conn, parent_wave_id)
        if done is not None:
            raise ConflictError(
                f"wave {parent_wave_id} already has its follow-up wave {done}",
                wave_id=parent_wave_id,
            )
        rec = pd.DataFrame(
            conn.execute(
                select(
                    SurveyRecipient.customer_id,
                    SurveyRecipient.tier,
                    SurveyRecipient.cell,
                    SurveyRecipient.account_manager,
                ).where(SurveyRecipient.wave_id == parent_wave_id)
            ).all(),
            columns=["customer_id", "tier", "cell", "account_manager"],
        )
        got = set(
            conn.execute(
                select(SurveyAnswer.customer_id).where(SurveyAnswer.wave_id == parent_wave_id)
            ).scalars()
        )
        sample, by_tier = draw_followup(rec[~rec["customer_id"].isin(got)], fraction, seed=seed)
        wave_id = _insert_wave(
            conn, parent.survey, parent.policy, sent_on, seed, now, actor, sample
        )
        conn.execute(
            insert(SurveyFollowup).values(
                wave_id=wave_id,
                parent_wave_id=parent_wave_id,
                fraction=fraction,
                channel=channel,
                created_at=now,
            )
        )
    return FollowupResult(wave_id, parent_wave_id, fraction, channel, by_tier)


def recipients(engine: Engine, wave_id: int) -> list[dict[str, Any]]:
    """A wave's recipients (customer, tier, cell, manager) and whether each has answered:
    for a follow-up wave, the managers' call list."""
    with engine.connect() as conn:
        _wave(conn, wave_id)
        got = set(
            conn.execute(
                select(SurveyAnswer.customer_id).where(SurveyAnswer.wave_id == wave_id)
            ).scalars()
        )
        q = (
            select(
                SurveyRecipient.customer_id,
                SurveyRecipient.tier,
                SurveyRecipient.cell,
                SurveyRecipient.account_manager,
            )
            .where(SurveyRecipient.wave_id == wave_id)
            .order_by(SurveyRecipient.account_manager, SurveyRecipient.customer_id)
        )
        return [{**r._mapping, "answered": r.customer_id in got} for r in conn.execute(q)]


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
        codes = [r.code for r in policy.reasons]
        good, bad = check_rows(frame, sent, answered, now=now, reasons=codes)
        closed = _followup_of(conn, wave_id)
        if closed is not None:  # the non-respondents were fixed when the follow-up was drawn
            reason = f"wave closed: its follow-up wave {closed} was drawn"
            bad = [
                {"row": i + 2, "column": "customer_id", "value": str(c), "reason": reason}
                for i, c in enumerate(frame["customer_id"].tolist())
            ]
            good = []
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
        links = conn.execute(
            select(SurveyFollowup.parent_wave_id, SurveyFollowup.wave_id, SurveyFollowup.channel)
        ).all()
        child = {p: w for p, w, _ in links}
        parent = {w: (p, c) for p, w, c in links}
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
                "followup_of": parent[w.id][0] if w.id in parent else None,
                "channel": parent[w.id][1] if w.id in parent else "survey",
                "followup_wave_id": child.get(w.id),
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


#: columns the report adds to :data:`tierwise.ops.surveys.nps.OUTPUT` for a wave with a
#: follow-up (two-phase); None / NaN for a wave without one
FOLLOWUP_COLUMNS = ("followup_wave_id", "nonrespondents", "subsampled", "answers_followup",
                    "nps_two_phase", "low_two_phase", "high_two_phase")  # fmt: skip


def _frame(conn: Connection, q: Any, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(conn.execute(q).all(), columns=columns)


def report(engine: Engine, wave_ids: list[int] | None = None) -> pd.DataFrame:
    """NPS per tier of each wave (the trend: one block a wave, oldest first), weighted for
    non-response by tier × cell, with the unweighted figures and the counts beside them.
    A wave whose follow-up was drawn also gets the two-phase figure
    (:func:`tierwise.ops.surveys.nps.nps_two_phase`, columns :data:`FOLLOWUP_COLUMNS`); a
    follow-up wave has no block of its own (its answers are part of its parent's figure)."""
    with engine.connect() as conn:
        q = select(SurveyWave.id, SurveyWave.sent_on).order_by(SurveyWave.sent_on, SurveyWave.id)
        if wave_ids is not None:
            q = q.where(SurveyWave.id.in_(wave_ids))
        ws = conn.execute(q).all()
        links = dict(
            conn.execute(select(SurveyFollowup.parent_wave_id, SurveyFollowup.wave_id)).all()
        )
        is_followup = set(links.values())
        parts = []
        for wid, day in ws:
            if wid in is_followup:
                continue
            pop = _frame(
                conn,
                select(
                    SurveyRecipient.customer_id, SurveyRecipient.tier, SurveyRecipient.cell
                ).where(SurveyRecipient.wave_id == wid),
                ["customer_id", "tier", "cell"],
            )
            ans = _frame(
                conn,
                select(SurveyAnswer.customer_id, SurveyAnswer.score).where(
                    SurveyAnswer.wave_id == wid
                ),
                ["customer_id", "score"],
            )
            if pop.empty:
                continue
            est = nps_by_tier(ans, pop)
            fw = links.get(wid)
            if fw is not None:
                sub = _frame(
                    conn,
                    select(SurveyRecipient.customer_id).where(SurveyRecipient.wave_id == fw),
                    ["customer_id"],
                )["customer_id"]
                fol = _frame(
                    conn,
                    select(SurveyAnswer.customer_id, SurveyAnswer.score).where(
                        SurveyAnswer.wave_id == fw
                    ),
                    ["customer_id", "score"],
                )
                two = nps_two_phase(ans, pop, sub, fol)
                two = two[[c for c in TWO_PHASE if c not in ("population", "answers")]]
                key = est["tier"].astype(object).where(est["tier"].notna(), "\0")
                two = two.assign(tier=two["tier"].astype(object).where(two["tier"].notna(), "\0"))
                est = est.assign(_k=key).merge(two.rename(columns={"tier": "_k"}), on="_k")
                est = est.drop(columns="_k").assign(followup_wave_id=fw)
            else:
                est = est.assign(**dict.fromkeys(FOLLOWUP_COLUMNS))
            est.insert(0, "sent_on", day)
            est.insert(0, "wave_id", wid)
            parts.append(est[["wave_id", "sent_on", *OUTPUT, *FOLLOWUP_COLUMNS]])
    if not parts:
        return pd.DataFrame(columns=["wave_id", "sent_on", *OUTPUT, *FOLLOWUP_COLUMNS])
    return pd.concat(parts, ignore_index=True)


# --- sending a wave with personal answer links, through the campaign module -------------

CAMPAIGN_PREFIX = "survey-wave-"  # campaigns.name of a wave's sending: survey-wave-<id>


@dataclass(frozen=True)
class SendResult:
    wave_id: int
    campaign: str
    counts: dict[str, int]  # campaign statuses: send, opted_out, capped, over_budget
    messages: int  # outbox messages queued
    expires_at: dt.datetime


def link_url(base_url: str, token: str) -> str:
    """The answer page of ``token`` under ``base_url`` (settings ``public_url``)."""
    return f"{base_url.rstrip('/')}/console/answer/{token}"


def send_links(
    engine: Engine,
    wave_id: int,
    policy: SurveyPolicy,
    campaign_policy: CampaignPolicy,
    *,
    secret: str,
    base_url: str,
    actor: str,
    now: dt.datetime,
) -> SendResult:
    """Send wave ``wave_id``'s recipients a message carrying each one's personal answer link
    (:mod:`.links`, valid ``send.link_days``), through the campaign module in one
    transaction: a campaign ``survey-wave-<id>`` (channels, text and budget from the survey
    policy's ``send``) is stored and sent by :func:`campaigns.service.send_wave_in` with the
    links (outbox to the provider's webhook, opt-outs, frequency cap, quiet hours, budget;
    nobody held out). A wave is sent once (the campaign runs once: a second send is a
    :class:`ConflictError`), a closed wave not at all; without a link secret or a webhook
    taking ``campaign.message`` nothing is written (:class:`ConflictError`: the service's
    set-up does not allow it yet). Recipients
    not messaged (opted out, capped, over budget) are counted and stay non-respondents."""
    try:
        check_secret(secret)
    except ConfigError as err:  # the service is not set up for links: refused, as a conflict
        raise ConflictError(
            "survey answer links are not set up: TIERWISE_SURVEY_LINK_SECRET is missing or "
            "shorter than 32 characters",
            hint=err.hint,
        ) from err
    expires = now + dt.timedelta(days=policy.send.link_days)
    name = f"{CAMPAIGN_PREFIX}{wave_id}"
    with engine.begin() as conn:
        _wave(conn, wave_id)
        if _followup_of(conn, wave_id) is not None:
            raise ConflictError(f"wave {wave_id} is closed (its follow-up was drawn)")
        if conn.execute(select(Campaign.id).where(Campaign.name == name)).first():
            raise ConflictError(f"wave {wave_id} was sent already (campaign {name})")
        rec = conn.execute(
            select(SurveyRecipient.customer_id, SurveyRecipient.tier).where(
                SurveyRecipient.wave_id == wave_id
            )
        ).all()
        if not rec:
            raise DataError(f"wave {wave_id} has no recipients: nothing sent")
        spec = CampaignSpec.model_validate(
            {
                "name": name,
                "title": f"NPS 调查 第 {wave_id} 批",
                "audience": f"{AUDIENCE_TARGET}{wave_id}",
                "schedule": {"kind": "once", "start": now.date().isoformat()},
                "channels": policy.send.channels,
                "content": {"variants": {"default": policy.send.text}},
                "budget": policy.send.budget,
            },
            context={"variables": ["link"]},
        )
        store_campaign(conn, spec, actor=actor, now=now)
        links = {
            r.customer_id: link_url(base_url, make_token(secret, wave_id, r.customer_id, expires))
            for r in rec
        }
        members = pd.DataFrame(
            [(r.customer_id, r.tier) for r in rec], columns=["customer_id", "tier"]
        )
        try:
            w = send_wave_in(conn, name, members, campaign_policy, now=now, links=links)
        except ConfigError as err:  # no provider webhook: nothing written (one transaction)
            raise ConflictError(err.message, hint=err.hint) from err
    return SendResult(wave_id, name, w.counts, w.messages, expires)


def open_link(engine: Engine, token: str, *, secret: str, now: dt.datetime) -> dict[str, Any]:
    """What the answer page shows for ``token``: the wave, the customer, the expiry and
    whether the customer has answered. :class:`LinkError` for a bad or expired token, or a
    customer no longer among the wave's recipients."""
    link = read_token(secret, token, now=now)
    with engine.connect() as conn:
        sent = conn.execute(
            select(SurveyRecipient.customer_id).where(
                SurveyRecipient.wave_id == link.wave_id,
                SurveyRecipient.customer_id == link.customer_id,
            )
        ).first()
        if sent is None:
            raise LinkError("this link is not valid")
        answered = conn.execute(
            select(SurveyAnswer.id).where(
                SurveyAnswer.wave_id == link.wave_id,
                SurveyAnswer.customer_id == link.customer_id,
            )
        ).first()
        closed = _followup_of(conn, link.wave_id) is not None
    return {
        "wave_id": link.wave_id,
        "customer_id": link.customer_id,
        "expires_at": link.expires_at,
        "answered": answered is not None,
        "closed": closed,
    }


def answer_by_link(
    engine: Engine,
    token: str,
    policy: SurveyPolicy,
    *,
    secret: str,
    score: str,
    reasons: list[str],
    comment: str,
    now: dt.datetime,
) -> LoadResult:
    """Record the answer given on the page of ``token``: one row for the token's customer
    through :func:`load_frame` (the same checks as a file or the API: recipient, score 0-10,
    known reasons, one answer per customer per wave, the wave not closed; a refused answer
    kept in ``survey_rejects`` with source ``link``). :class:`LinkError` for a bad or
    expired token."""
    link = read_token(secret, token, now=now)
    frame = pd.DataFrame(
        [[link.customer_id, score, comment, "", ",".join(reasons)]],
        columns=["customer_id", "score", "comment", "answered_at", "reasons"],
    )
    return load_frame(engine, link.wave_id, frame, policy, source="link", now=now)

"""Experiments in the store: create, start (power check, assignment), stop, analyse, export.

The functions the API, the console and the CLI share. The population comes from the
published state (``customer_profiles``: tier, province, city, account manager, account);
the metrics from the lake. Every state change is a row of ``experiment_log``.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, Row, delete, func, insert, select, update

from tierwise.errors import ConflictError, DataError, NotFoundError, UsageError
from tierwise.experiments.assign import assign
from tierwise.experiments.design import Design, parse_design
from tierwise.lake import LakeLocation
from tierwise.store.schema import CustomerProfile, Experiment, ExperimentLog, ExperimentMember
from tierwise.tags.targets import AudienceRef, AudienceSource, read_audience

#: webhook event sent when an experiment starts (arms and counts; the assignment itself is
#: exported as CSV: GET /experiments/{code}/assignment.csv, tierwise experiment export)
STARTED_EVENT = "experiment.started"
PROFILE_COLUMNS = (
    "customer_id",
    "account_id",
    "tier",
    "province",
    "city",
    "account_manager",
    "spend_365d",
)
_CHUNK = 5_000
_EXP = Experiment.__table__


def log(
    conn: Connection, subject: str, action: str, actor: str, now: dt.datetime, **detail: Any
) -> None:
    """Record what happened to an experiment or a pilot."""
    conn.execute(
        insert(ExperimentLog).values(
            subject=subject, at=now, actor=actor, action=action, detail=detail
        )
    )


def log_of(conn: Connection, subject: str) -> list[dict[str, Any]]:
    """What happened to an experiment or a pilot, oldest first."""
    return [
        {"at": r.at, "actor": r.actor, "action": r.action, "detail": r.detail}
        for r in conn.execute(
            select(ExperimentLog.__table__)
            .where(ExperimentLog.subject == subject)
            .order_by(ExperimentLog.id)
        )
    ]


def _row(e: Row[Any]) -> dict[str, Any]:
    return {
        "code": e.code,
        "name": e.name,
        "status": e.status,
        "layer": e.layer,
        "metric": e.metric,
        "design": e.design,
        "power": e.power or None,
        "forced_reason": e.forced_reason,
        "created_at": e.created_at,
        "created_by": e.created_by,
        "started_at": e.started_at,
        "started_by": e.started_by,
        "stopped_at": e.stopped_at,
        "stopped_by": e.stopped_by,
    }


def _load(conn: Connection, code: str) -> Row[Any]:
    row = conn.execute(select(_EXP).where(Experiment.code == code)).one_or_none()
    if row is None:
        raise NotFoundError(f"no experiment {code!r}", experiment=code)
    return row


def design_of(e: Row[Any]) -> Design:
    return parse_design(e.design, source=f"experiment {e.code}")


def create(engine: Engine, design: Design, *, actor: str, now: dt.datetime) -> dict[str, Any]:
    """Save a draft (validated already); a code that exists is a conflict."""
    with engine.begin() as conn:
        if conn.execute(select(Experiment.id).where(Experiment.code == design.code)).first():
            raise ConflictError(f"experiment {design.code!r} exists", experiment=design.code)
        conn.execute(
            insert(Experiment).values(
                code=design.code,
                name=design.name,
                design=design.model_dump(mode="json"),
                status="draft",
                layer=design.layer,
                metric=design.metric,
                power={},
                created_at=now,
                created_by=actor,
            )
        )
        log(conn, f"experiment:{design.code}", "create", actor, now)
        return _row(_load(conn, design.code))


def get(engine: Engine, code: str) -> dict[str, Any]:
    with engine.connect() as conn:
        row = _row(_load(conn, code))
        counts = conn.execute(
            select(
                ExperimentMember.arm,
                func.count(),
                func.count(ExperimentMember.account_id.distinct()),
            )
            .join(Experiment, Experiment.id == ExperimentMember.experiment_id)
            .where(Experiment.code == code)
            .group_by(ExperimentMember.arm)
        ).all()
        row["arms"] = {a: {"outlets": n, "accounts": k} for a, n, k in counts}
        row["log"] = log_of(conn, f"experiment:{code}")
        return row


def list_experiments(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(_EXP).order_by(Experiment.id.desc())).all()
        return [_row(e) for e in rows]


def _audience_ids(
    engine: Engine, design: Design, source: AudienceSource | None
) -> tuple[list[str], dict[str, Any]] | None:
    """The members of the population's audience as of today's snapshot, and where they came
    from (name, version, date), or None when the population names no audience."""
    p = design.population
    if p.audience is None:
        return None
    m = read_audience(
        engine,
        source,
        AudienceRef(p.audience, p.audience_version),
        used_by=f"the population of {design.code!r}",
    )
    if m.empty:
        raise DataError(
            f"audience {p.audience!r} (version {m.audience['version']}) has no members as of "
            f"{m.on}",
            column="population.audience",
            value=p.audience,
            hint="widen the audience or compute a newer tag snapshot (tierwise tags compute)",
        )
    return m.customer_ids, m.source


def population(
    engine: Engine, design: Design, *, audiences: AudienceSource | None = None
) -> pd.DataFrame:
    """The outlets the design's population filter selects from the published state.

    With ``population.audience``, only the audience's members (as of the newest tag snapshot)
    are in; ``audiences`` says where the snapshots are. ``df.attrs["audience"]`` records the
    audience's name, version and date.
    """
    cols = [getattr(CustomerProfile, c) for c in PROFILE_COLUMNS]
    q = select(*cols)
    p = design.population
    audience = _audience_ids(engine, design, audiences)
    if p.tiers:
        q = q.where(CustomerProfile.tier.in_(p.tiers))
    if p.provinces:
        q = q.where(CustomerProfile.province.in_(p.provinces))
    if p.cities:
        q = q.where(CustomerProfile.city.in_(p.cities))
    with engine.connect() as conn:
        if p.customers or audience is not None:
            ids = list(p.customers)
            if audience is not None:
                members = set(audience[0])
                ids = [c for c in ids if c in members] if ids else sorted(members)
            frames = [
                pd.DataFrame(
                    conn.execute(
                        q.where(CustomerProfile.customer_id.in_(ids[i : i + _CHUNK]))
                    ).all(),
                    columns=list(PROFILE_COLUMNS),
                )
                for i in range(0, len(ids), _CHUNK)
            ]
            df = pd.concat(frames, ignore_index=True) if frames else _empty_profiles()
            # an audience member not graded yet is left out; a listed customer must be graded
            missing = sorted(set(p.customers) - set(df["customer_id"]))
            if missing:
                raise DataError(
                    f"population.customers: {len(missing)} customer(s) not in the published "
                    f"state or outside the filter, e.g. {missing[0]!r}",
                    column="population.customers",
                    value=missing[0],
                    expected="ids of graded customers (tierwise grade / publish first)",
                )
        else:
            df = pd.DataFrame(conn.execute(q).all(), columns=list(PROFILE_COLUMNS))
    if df.empty:
        raise DataError(
            f"the population of {design.code!r} is empty",
            hint="publish a run first, or widen population.tiers / provinces / cities",
        )
    df["account_id"] = df["account_id"].fillna(df["customer_id"])
    if audience is not None:
        df.attrs["audience"] = audience[1]
    return df


def _empty_profiles() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in PROFILE_COLUMNS})


def pre_period(design: Design) -> tuple[dt.date, dt.date]:
    """The window before the start as long as the experiment's window (+ tail)."""
    last = design.start - dt.timedelta(days=1)
    return last - dt.timedelta(days=design.days - 1), last


def power_check(design: Design, members: pd.DataFrame, lake: LakeLocation) -> dict[str, Any]:
    """MDE of the primary metric at this size and duration, with and without CUPED.

    The pre-period is split in two halves' worth of history: the metric over the window
    before the start stands in for the outcome, the window before that for the covariate,
    so ``rho`` is the metric's own correlation across consecutive windows (per account).
    """
    from tierwise.experiments.metrics import window_metrics  # Ibis: only when measuring
    from tierwise.experiments.stats import minimum_detectable_effect

    first, last = pre_period(design)
    before = (first - dt.timedelta(days=design.days), first - dt.timedelta(days=1))
    ctl = design.arms[0].code
    y = _account_metric(members, window_metrics(lake, first, last), design.metric)
    x = _account_metric(members, window_metrics(lake, *before), design.metric)
    units = members.drop_duplicates("account_id")["arm"].value_counts()
    n_c = int(units.get(ctl, 0))
    n_t = int(units.drop(ctl, errors="ignore").min()) if len(units) > 1 else 0
    rho = float(y.corr(x)) if y.std() > 0 and x.std() > 0 else 0.0
    pw = minimum_detectable_effect(
        float(y.std()), n_c, n_t, rho=rho, alpha=design.alpha, power=design.power
    )
    target = design.target_effect or 0.05 * abs(float(y.mean()))
    return {
        **pw.as_dict(),
        "target_effect": target,
        "mean": float(y.mean()),
        "underpowered": pw.mde_cuped > target,
        "per": "account",
        "pre_period": [first.isoformat(), last.isoformat()],
    }


def _account_metric(members: pd.DataFrame, m: pd.DataFrame, metric: str) -> pd.Series:
    col = "margin" if metric == "net_margin" else metric
    v = m[col] - (m["returns"] if metric == "net_margin" else 0.0)
    per_outlet = v.reindex(members["customer_id"]).fillna(0.0).to_numpy()
    return pd.Series(per_outlet).groupby(members["account_id"].to_numpy()).sum()


def _overlaps(conn: Connection, design: Design, accounts: set[str]) -> None:
    """Refuse when a running experiment on the same metric shares accounts and the two are
    not in different explicit layers."""
    running = conn.execute(
        select(_EXP).where(Experiment.status == "running", Experiment.metric == design.metric)
    ).all()
    for other in running:
        if design.layer is not None and other.layer is not None and design.layer != other.layer:
            continue
        theirs = set(
            conn.execute(
                select(ExperimentMember.account_id)
                .where(ExperimentMember.experiment_id == other.id)
                .distinct()
            ).scalars()
        )
        shared = accounts & theirs
        if shared:
            raise ConflictError(
                f"experiment {design.code!r} shares {len(shared)} account(s) "
                f"(e.g. {sorted(shared)[0]}) with running experiment {other.code!r} on the same "
                f"metric {design.metric!r}",
                hint="put both in different explicit layers (layer:) or exclude those accounts",
                experiment=other.code,
            )


def _draft(engine: Engine, code: str) -> tuple[Row[Any], Design]:
    with engine.connect() as conn:
        e = _load(conn, code)
        if e.status != "draft":
            raise ConflictError(f"experiment {code!r} is {e.status}, not a draft")
        return e, design_of(e)


def _assignment(
    engine: Engine,
    design: Design,
    lake: LakeLocation,
    salt: str,
    audiences: AudienceSource | None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, dict[str, Any]]:
    """The population, its assignment under ``salt``, accounts per arm and the power check;
    an arm with no members is refused."""
    who = population(engine, design, audiences=audiences)
    members = assign(
        who,
        arms=[a.code for a in design.arms],
        weights=design.weights,
        salt=salt,
        strata=list(design.strata),
    )
    counts = members.drop_duplicates("account_id")["arm"].value_counts()
    empty = [a.code for a in design.arms if int(counts.get(a.code, 0)) == 0]
    if empty:
        raise DataError(
            f"arm {empty[0]!r} of {design.code!r} has no members ({len(counts)} account(s) in all)",
            hint="widen the population or lower the number of arms",
            value=empty[0],
        )
    return who, members, counts, power_check(design, members, lake)


def preview(
    engine: Engine, code: str, lake: LakeLocation, *, audiences: AudienceSource | None = None
) -> dict[str, Any]:
    """What starting draft ``code`` now would give, stored nowhere: accounts and outlets per
    arm and the power check (the console shows it before the start button). The assignment
    is drawn with a preview salt, so the counts are those of a start up to chance."""
    _, design = _draft(engine, code)
    who, members, counts, power = _assignment(engine, design, lake, f"preview:{code}", audiences)
    outlets = members["arm"].value_counts()
    return {
        "arms": {
            a.code: {"accounts": int(counts.get(a.code, 0)), "outlets": int(outlets.get(a.code, 0))}
            for a in design.arms
        },
        "power": power,
        "audience": who.attrs.get("audience"),
    }


def start(
    engine: Engine,
    code: str,
    lake: LakeLocation,
    *,
    actor: str,
    now: dt.datetime,
    force_reason: str | None = None,
    audiences: AudienceSource | None = None,
) -> dict[str, Any]:
    """Fix the assignment, check it and the power, store it, announce it.

    ``audiences`` is where a population's saved audience is read (the tag snapshots); the
    audience's name, version and date go to the experiment's log.

    Refused (nothing stored): an experiment that is not a draft, an arm with no members,
    an overlap with a running experiment (see :func:`_overlaps`), and an underpowered design
    unless ``force_reason`` says why it should run anyway (recorded).
    """
    e, design = _draft(engine, code)
    salt = secrets.token_hex(8)
    who, members, counts, power = _assignment(engine, design, lake, salt, audiences)
    if power["underpowered"] and not force_reason:
        raise UsageError(
            f"experiment {code!r} is underpowered: it detects {power['mde_cuped']:.2f} yuan per "
            f"account (CUPED; {power['mde']:.2f} without) but the target is "
            f"{power['target_effect']:.2f}",
            hint="widen the population, lengthen the window, or force it with a reason",
            power=power,
        )
    from tierwise.ops.retention import enqueue_events  # the outbox writer (loads the policy)

    with engine.begin() as conn:
        _overlaps(conn, design, set(members["account_id"]))
        conn.execute(
            update(Experiment)
            .where(Experiment.id == e.id)
            .values(
                status="running",
                salt=salt,
                power=power,
                forced_reason=force_reason,
                started_at=now,
                started_by=actor,
            )
        )
        conn.execute(delete(ExperimentMember).where(ExperimentMember.experiment_id == e.id))
        rows = [
            {
                "experiment_id": e.id,
                "customer_id": r.customer_id,
                "account_id": r.account_id,
                "arm": r.arm,
                "stratum": str(r.stratum)[:200],
                "tier": r.tier,
            }
            for r in members.itertuples(index=False)
        ]
        for i in range(0, len(rows), _CHUNK):
            conn.execute(insert(ExperimentMember), rows[i : i + _CHUNK])
        log(
            conn,
            f"experiment:{code}",
            "start",
            actor,
            now,
            accounts=int(counts.sum()),
            forced_reason=force_reason,
            mde_cuped=power["mde_cuped"],
            **({"audience": who.attrs["audience"]} if "audience" in who.attrs else {}),
        )
        enqueue_events(
            conn,
            [
                (
                    STARTED_EVENT,
                    {
                        "experiment": code,
                        "arms": {
                            a.code: {
                                "accounts": int(counts.get(a.code, 0)),
                                "treatment": a.treatment.model_dump(exclude_none=True),
                            }
                            for a in design.arms
                        },
                        "assignment": f"/experiments/{code}/assignment.csv",
                    },
                )
            ],
            now,
        )
    return get(engine, code)


def stop(engine: Engine, code: str, *, actor: str, now: dt.datetime, reason: str) -> dict[str, Any]:
    """End a running experiment early or on time (its members stay for the analysis)."""
    with engine.begin() as conn:
        e = _load(conn, code)
        if e.status != "running":
            raise ConflictError(f"experiment {code!r} is {e.status}, not running")
        conn.execute(
            update(Experiment)
            .where(Experiment.id == e.id)
            .values(status="stopped", stopped_at=now, stopped_by=actor)
        )
        log(conn, f"experiment:{code}", "stop", actor, now, reason=reason)
    return get(engine, code)


def members_of(engine: Engine, code: str) -> pd.DataFrame:
    """The fixed assignment: one row per outlet (customer_id, account_id, arm, stratum, tier)."""
    with engine.connect() as conn:
        e = _load(conn, code)
        rows = conn.execute(
            select(
                ExperimentMember.customer_id,
                ExperimentMember.account_id,
                ExperimentMember.arm,
                ExperimentMember.stratum,
                ExperimentMember.tier,
            )
            .where(ExperimentMember.experiment_id == e.id)
            .order_by(ExperimentMember.customer_id)
        ).all()
    return pd.DataFrame(rows, columns=["customer_id", "account_id", "arm", "stratum", "tier"])


def analyse_experiment(
    engine: Engine, code: str, lake: LakeLocation, *, as_of: dt.date
) -> dict[str, Any]:
    """The result of a started experiment as of ``as_of`` (an interim look before the end)."""
    # statsmodels and Ibis load only for an analysis (``experiment list`` stays quick)
    from tierwise.experiments.analysis import analyse, outcome_frame
    from tierwise.experiments.metrics import window_metrics

    with engine.connect() as conn:
        e = _load(conn, code)
        design = design_of(e)
    if e.status == "draft":
        raise ConflictError(f"experiment {code!r} has not started")
    members = members_of(engine, code)
    last = min(as_of, design.window_end)
    if last < design.start:
        raise UsageError(f"as of {as_of} the experiment {code!r} has not begun ({design.start})")
    first_pre, last_pre = pre_period(design)
    frame = outcome_frame(
        members,
        window_metrics(lake, design.start, last),
        window_metrics(lake, first_pre, last_pre),
        design,
    )
    result = analyse(frame, design)
    result.update(
        code=code,
        as_of=as_of.isoformat(),
        window=[design.start.isoformat(), last.isoformat()],
        complete=as_of >= design.window_end,
        days_observed=(last - design.start).days + 1,
        days_planned=design.days,
    )
    return result

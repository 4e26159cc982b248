"""City pilots in the store: create (matching control cities), analyse, promote or roll back.

The decision is one audited action: the pilot's status, its log row, and a ``pilot.decided``
webhook event (the policy and the cities) in one transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, Row, insert, select, update

from tierwise.errors import ConflictError, DataError, NotFoundError, UsageError
from tierwise.experiments.service import log, log_of
from tierwise.lake import LakeLocation
from tierwise.store.schema import Pilot

DECIDED_EVENT = "pilot.decided"
DECISIONS = {"promote": "promoted", "rollback": "rolled_back"}
_PILOT = Pilot.__table__


def _outlets(lake: LakeLocation) -> pd.DataFrame:
    from tierwise.features.sources import connect, open_lake

    c = open_lake(connect(), lake, ["customers"])["customers"]
    df: pd.DataFrame = c.select("customer_id", "account_id", "city").to_pandas()
    return df


def _net_margin(lake: LakeLocation, first: dt.date, last: dt.date) -> pd.Series:
    from tierwise.experiments.metrics import window_metrics

    m = window_metrics(lake, first, last)
    return m["margin"] - m["returns"]


def _periods(start: dt.date, days: int, as_of: dt.date) -> list[tuple[dt.date, dt.date]]:
    d = dt.timedelta(days=days)
    one = dt.timedelta(days=1)
    last = min(as_of, start + d - one)
    return [(start - 2 * d, start - d - one), (start - d, start - one), (start, last)]


def _row(p: Row[Any]) -> dict[str, Any]:
    return dict(p._mapping)


def _load(conn: Connection, code: str) -> Row[Any]:
    p = conn.execute(select(_PILOT).where(Pilot.code == code)).first()
    if p is None:
        raise NotFoundError(f"no pilot {code!r}", pilot=code)
    return p


def create(
    engine: Engine,
    lake: LakeLocation,
    *,
    code: str,
    policy: str,
    pilot_cities: list[str],
    control_cities: list[str] | None,
    start: dt.date,
    days: int,
    actor: str,
    now: dt.datetime,
) -> dict[str, Any]:
    """Record a pilot; without control cities, the closest ones by pre-period trend."""
    from tierwise.experiments.pilot import city_series, match_controls

    if not 1 <= len(pilot_cities) <= 2:
        raise UsageError(f"a pilot runs in one or two cities, not {len(pilot_cities)}")
    if not 7 <= days <= 366:
        raise UsageError(f"days {days} is out of range", expected="7 to 366")
    outlets = _outlets(lake)
    known = set(outlets["city"])
    for c in [*pilot_cities, *(control_cities or [])]:
        if c not in known:
            raise DataError(
                f"city {c!r} has no outlets in the lake",
                value=c,
                expected=", ".join(sorted(known)[:20]),
            )
    if control_cities and set(control_cities) & set(pilot_cities):
        raise UsageError("a city cannot be both a pilot and a control")
    if not control_cities:
        pre = [_net_margin(lake, a, b) for a, b in _periods(start, days, start)[:2]]
        controls = match_controls(city_series(outlets, pre), pilot_cities, k=len(pilot_cities))
    else:
        controls = control_cities
    with engine.begin() as conn:
        if conn.execute(select(Pilot.id).where(Pilot.code == code)).first():
            raise ConflictError(f"pilot {code!r} exists")
        conn.execute(
            insert(Pilot).values(
                code=code,
                policy=policy,
                pilot_cities=pilot_cities,
                control_cities=controls,
                start=start,
                days=days,
                status="running",
                result={},
                created_at=now,
                created_by=actor,
            )
        )
        log(conn, f"pilot:{code}", "create", actor, now, controls=controls, policy=policy)
        return _row(_load(conn, code))


def get(engine: Engine, code: str) -> dict[str, Any]:
    with engine.connect() as conn:
        out = _row(_load(conn, code))
        out["log"] = log_of(conn, f"pilot:{code}")
        return out


def list_pilots(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [_row(p) for p in conn.execute(select(_PILOT).order_by(Pilot.id.desc()))]


def analyse(engine: Engine, code: str, lake: LakeLocation, *, as_of: dt.date) -> dict[str, Any]:
    """Difference in differences with its placebo; the result is kept with the pilot."""
    from tierwise.experiments.pilot import pilot_analysis

    with engine.connect() as conn:
        p = _load(conn, code)
    if as_of < p.start:
        raise UsageError(f"as of {as_of} the pilot {code!r} has not begun ({p.start})")
    spans = _periods(p.start, p.days, as_of)
    result = pilot_analysis(
        _outlets(lake),
        [_net_margin(lake, a, b) for a, b in spans],
        list(p.pilot_cities),
        list(p.control_cities),
    )
    result.update(
        as_of=as_of.isoformat(), periods=[[a.isoformat(), b.isoformat()] for a, b in spans]
    )
    with engine.begin() as conn:
        conn.execute(update(Pilot).where(Pilot.id == p.id).values(result=result))
    return result


def decide(
    engine: Engine, code: str, decision: str, *, actor: str, now: dt.datetime, note: str
) -> dict[str, Any]:
    """Promote the piloted policy to every city, or roll it back: one audited action."""
    from tierwise.ops.retention import enqueue_events

    if decision not in DECISIONS:
        raise UsageError(f"decision {decision!r}: promote or rollback")
    if not note.strip():
        raise UsageError("a decision needs a note (why)")
    with engine.begin() as conn:
        p = _load(conn, code)
        if p.status != "running":
            raise ConflictError(f"pilot {code!r} is already {p.status}")
        status = DECISIONS[decision]
        conn.execute(
            update(Pilot)
            .where(Pilot.id == p.id)
            .values(status=status, decided_at=now, decided_by=actor, decision_note=note)
        )
        log(conn, f"pilot:{code}", decision, actor, now, note=note)
        enqueue_events(
            conn,
            [
                (
                    DECIDED_EVENT,
                    {
                        "pilot": code,
                        "decision": status,
                        "policy": p.policy,
                        "pilot_cities": p.pilot_cities,
                        "control_cities": p.control_cities,
                        "note": note,
                    },
                )
            ],
            now,
        )
    return get(engine, code)

"""The visits module's store operations: plan and route a day, check in and out, adherence
(R-OPS-8). The CLI (and later the API and console) call these; each runs on the caller's
connection (one transaction per request).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, delete, func, insert, select, update

from tierwise.errors import ConflictError, NotFoundError, UsageError
from tierwise.ops.retention import value_at_risk
from tierwise.ops.visits.cadence import capacity_shortfall
from tierwise.ops.visits.planner import plan_day
from tierwise.ops.visits.policy import VisitPolicy
from tierwise.ops.visits.route import Stop, haversine_m, route_day
from tierwise.store.schema import CustomerProfile, VisitCadence, VisitStop

#: what a manager records at check-out
OUTCOMES = ("ordered", "no_order", "complaint", "closed", "not_met")
OPEN = ("planned", "checked_in")


@dataclass(frozen=True)
class DayPlan:
    """What :func:`plan` did for one day."""

    day: dt.date
    planned: int
    missed: int  # earlier visits marked missed (their customers are due again)
    overflow: pd.DataFrame  # due but not planned: customer, manager, rank, value at risk, why
    shortfall: pd.DataFrame  # managers whose cadence needs more than their capacity
    late_stops: int  # routed stops arriving after their window
    extra_planned: int = 0  # visits planned for the extra customers (an audience) not due
    covered: int = 0  # visits planned with another manager of the customer's territory


def cadence_frame(conn: Connection) -> pd.DataFrame:
    """Every cadence row with the customer's manager (for the shortfall and the planner)."""
    rows = conn.execute(
        select(VisitCadence.customer_id, VisitCadence.tier, VisitCadence.channel,
               VisitCadence.every_days, VisitCadence.next_due, VisitCadence.reason,
               CustomerProfile.account_manager)
        .outerjoin(CustomerProfile, CustomerProfile.customer_id == VisitCadence.customer_id)
    ).all()  # fmt: skip
    cols = ["customer_id", "tier", "channel", "every_days", "next_due", "reason", "manager_id"]
    return pd.DataFrame([tuple(r) for r in rows], columns=cols)


def plan(
    conn: Connection,
    policy: VisitPolicy,
    day: dt.date,
    now: dt.datetime,
    *,
    capacity: Mapping[str, int] | None = None,
    locations: Mapping[str, tuple[float, float]] | None = None,
    extra: Collection[str] | None = None,
    territory: Mapping[str, str] | None = None,
) -> DayPlan:
    """Plan (and route, where the outlets' coordinates are known) every manager's ``day``.

    ``extra``: customers who get a visit that day besides the cadence (a saved audience's
    members as of the day, read by the caller through :mod:`tierwise.tags.targets`): those
    not already due are due on ``day`` with reason ``audience`` and ranked with the rest by
    value at risk, so capacity still holds (what does not fit is overflow, as always).

    ``territory`` (manager → city, the lake's ``account_managers.territory``): what does
    not fit with the customer's own manager, or has none, is planned with another manager
    whose territory is the customer's city (``customer_profiles.city``) and who has room
    that day (:func:`.planner.plan_day`); counted in ``covered``.

    Visits of earlier days still ``planned`` become ``missed`` (their customers are still due,
    so they are planned again, ``rolled_from`` their first planned day). Planning a day again
    replaces its visits not yet started and keeps those checked in or done.
    """
    capacity = capacity or {}
    locations = locations or {}
    missed = conn.execute(
        update(VisitStop)
        .where(VisitStop.day < day, VisitStop.status == "planned")
        .values(status="missed")
    ).rowcount
    conn.execute(delete(VisitStop).where(VisitStop.day == day, VisitStop.status == "planned"))
    kept = {r[0] for r in conn.execute(select(VisitStop.customer_id).where(VisitStop.day == day))}
    cad = cadence_frame(conn)
    shortfall = capacity_shortfall(cad, capacity, policy)
    shortfall = shortfall[shortfall["shortfall_per_day"] > 0].reset_index(drop=True)
    due = cad[(cad["channel"] == "visit") & ~cad["customer_id"].isin(kept)].copy()
    if extra is not None:
        due = _with_extra(conn, due, cad, [c for c in dict.fromkeys(extra) if c not in kept], day)
    risk = value_at_risk(conn, due["customer_id"].tolist())
    due["value_at_risk"] = due["customer_id"].map(risk).astype("float64")
    city = None
    if territory:
        ids = due["customer_id"].tolist()
        city = {}
        for i in range(0, len(ids), 5_000):
            q = select(CustomerProfile.customer_id, CustomerProfile.city).where(
                CustomerProfile.customer_id.in_(ids[i : i + 5_000])
            )
            city.update({c: t for c, t in conn.execute(q) if t})
    decided = plan_day(due, capacity, day, policy, territory=territory, city=city)
    is_planned = decided["planned"].astype(bool)
    chosen = decided.loc[is_planned].copy()
    rolled = _rolled_from(conn, chosen["customer_id"].tolist(), day)
    rows, late = [], 0
    for manager, part in chosen.groupby("manager_id", sort=True):
        routed = _route(part, locations, policy)
        late += sum(1 for r in routed.values() if (r[2] or 0) > 0)
        for r in part.to_dict("records"):
            c: str = r["customer_id"]
            seq, eta, late_m = routed.get(c, (None, None, None))
            where: tuple[float | None, float | None] = locations.get(c) or (None, None)
            lat, lon = where
            rows.append(
                {"day": day, "manager_id": manager, "customer_id": c,
                 "tier": r["tier"], "reason": r["reason"],
                 "value_at_risk": float(r["value_at_risk"]), "rank": int(r["rank"]),
                 "seq": seq, "eta_minute": eta, "late_minutes": late_m,
                 "lat": lat, "lon": lon, "status": "planned",
                 "rolled_from": rolled.get(c), "far": 0, "planned_at": now}
            )  # fmt: skip
    if rows:
        conn.execute(insert(VisitStop), rows)
    over = decided.loc[~is_planned][
        ["customer_id", "manager_id", "tier", "rank", "value_at_risk", "days_overdue", "overflow"]
    ].reset_index(drop=True)
    extra_planned = sum(1 for r in rows if r["reason"] == "audience")
    covered = int(decided["covered_for"].notna().sum()) if "covered_for" in decided else 0
    return DayPlan(day, len(rows), int(missed or 0), over, shortfall, late, extra_planned, covered)


def _with_extra(
    conn: Connection, due: pd.DataFrame, cad: pd.DataFrame, extra: list[str], day: dt.date
) -> pd.DataFrame:
    """``due`` with each customer of ``extra`` not due by ``day`` due on it (``audience``)."""
    by_day = pd.to_datetime(due["next_due"]).dt.date <= day
    add = [c for c in extra if c not in set(due.loc[by_day, "customer_id"])]
    if not add:
        return due
    known = cad[cad["customer_id"].isin(add)].drop_duplicates("customer_id")
    rest = [c for c in add if c not in set(known["customer_id"])]
    rows = []
    for i in range(0, len(rest), 5_000):
        q = select(CustomerProfile.customer_id, CustomerProfile.tier,
                   CustomerProfile.account_manager).where(
            CustomerProfile.customer_id.in_(rest[i : i + 5_000]))  # fmt: skip
        rows += [tuple(r) for r in conn.execute(q)]
    prof = pd.DataFrame(rows, columns=["customer_id", "tier", "manager_id"])
    new = pd.concat([known[["customer_id", "tier", "manager_id"]], prof], ignore_index=True)
    new = new.assign(channel="visit", every_days=None, next_due=day, reason="audience")
    keep = due[~due["customer_id"].isin(add)]
    return pd.concat([keep, new[list(due.columns)]], ignore_index=True) if len(new) else keep


def _rolled_from(conn: Connection, customers: list[str], day: dt.date) -> dict[str, dt.date]:
    """The first missed day of each customer's current run of missed visits."""
    out: dict[str, dt.date] = {}
    for i in range(0, len(customers), 5_000):
        q = (
            select(VisitStop.customer_id, func.min(VisitStop.day))
            .where(VisitStop.customer_id.in_(customers[i : i + 5_000]),
                   VisitStop.status == "missed", VisitStop.day < day)
            .group_by(VisitStop.customer_id)
        )  # fmt: skip
        out.update({r[0]: r[1] for r in conn.execute(q)})
    ids = list(out)
    for i in range(0, len(ids), 5_000):
        done = conn.execute(
            select(VisitCadence.customer_id, VisitCadence.last_visit).where(
                VisitCadence.customer_id.in_(ids[i : i + 5_000]),
                VisitCadence.last_visit.is_not(None),
            )
        ).all()
        for c, last in done:  # missed before the last visit: not this run
            if last is not None and out[c] <= last:
                out.pop(c)
    return out


def _route(
    part: pd.DataFrame, locations: Mapping[str, tuple[float, float]], policy: VisitPolicy
) -> dict[str, tuple[int | None, int | None, int | None]]:
    """Route one manager's stops that have coordinates: customer -> (seq, eta, late)."""
    stops = [Stop(c, *locations[c]) for c in part["customer_id"] if c in locations]
    route = route_day(stops, policy)
    return {s.customer_id: (s.seq, s.arrive_minute, s.late_minutes) for s in route.stops}


def day_stops(conn: Connection, manager_id: str, day: dt.date) -> list[dict[str, Any]]:
    """A manager's visits of ``day`` in route order (unrouted ones last, by rank)."""
    rows = conn.execute(
        select(VisitStop.__table__).where(VisitStop.manager_id == manager_id, VisitStop.day == day)
    ).mappings()
    out = [dict(r) for r in rows]
    return sorted(out, key=lambda r: (r["seq"] is None, r["seq"] or 0, r["rank"]))


def _stop(conn: Connection, stop_id: int) -> Any:
    q = select(VisitStop.__table__).where(VisitStop.id == stop_id)
    row = conn.execute(q).first()
    if row is None:
        raise NotFoundError(f"there is no visit {stop_id}", hint="see `tierwise visits day`",
                            visit=stop_id)  # fmt: skip
    return row


def check_in(
    conn: Connection,
    policy: VisitPolicy,
    stop_id: int,
    lat: float,
    lon: float,
    now: dt.datetime,
    actor: str,
) -> dict[str, Any]:
    """Record the manager's arrival at ``(lat, lon)``. A check-in farther than the policy's
    ``far_checkin_m`` from the outlet is flagged (``far``), not refused."""
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise UsageError(f"({lat}, {lon}) are not WGS-84 coordinates",
                         hint="latitude -90..90, longitude -180..180")  # fmt: skip
    s = _stop(conn, stop_id)
    if s.status != "planned":
        raise ConflictError(f"visit {stop_id} is {s.status}; only a planned visit can be "
                            "checked in", visit=stop_id, status=s.status)  # fmt: skip
    dist = None
    if s.lat is not None and s.lon is not None:
        dist = float(haversine_m(np.array(lat), np.array(lon), np.array(s.lat), np.array(s.lon)))
    far = int(dist is not None and dist > policy.far_checkin_m)
    conn.execute(
        update(VisitStop).where(VisitStop.id == stop_id).values(
            status="checked_in", checkin_at=now, checkin_lat=lat, checkin_lon=lon,
            checkin_distance_m=None if dist is None else round(dist, 1), far=far, actor=actor,
        )
    )  # fmt: skip
    return {"id": stop_id, "status": "checked_in", "distance_m": dist, "far": bool(far)}


def check_out(
    conn: Connection,
    stop_id: int,
    outcome: str,
    note: str | None,
    now: dt.datetime,
    actor: str,
) -> dict[str, Any]:
    """Close a checked-in visit with its outcome; the customer's next visit is due one
    interval after the visit's day."""
    if outcome not in OUTCOMES:
        raise UsageError(f"outcome {outcome!r} is not one of {', '.join(OUTCOMES)}",
                         hint="pick one of the listed outcomes")  # fmt: skip
    s = _stop(conn, stop_id)
    if s.status != "checked_in":
        raise ConflictError(f"visit {stop_id} is {s.status}; check in before checking out",
                            visit=stop_id, status=s.status)  # fmt: skip
    conn.execute(
        update(VisitStop).where(VisitStop.id == stop_id).values(
            status="done", checkout_at=now, outcome=outcome, note=note, actor=actor)
    )  # fmt: skip
    cad = conn.execute(
        select(VisitCadence.every_days).where(VisitCadence.customer_id == s.customer_id)
    ).scalar_one_or_none()
    if cad is not None:
        conn.execute(
            update(VisitCadence).where(VisitCadence.customer_id == s.customer_id).values(
                last_visit=s.day, next_due=s.day + dt.timedelta(days=int(cad)),
                reason="cadence", updated_at=now)
        )  # fmt: skip
    return {"id": stop_id, "status": "done", "outcome": outcome}


def adherence(conn: Connection, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Planned vs done per manager and tier over ``start``..``end`` (both included): planned,
    done, missed, still open, far check-ins, and adherence = done / (planned - open)."""
    rows = conn.execute(
        select(VisitStop.manager_id, VisitStop.tier, VisitStop.status, func.count(),
               func.sum(VisitStop.far))
        .where(VisitStop.day >= start, VisitStop.day <= end)
        .group_by(VisitStop.manager_id, VisitStop.tier, VisitStop.status)
    ).all()  # fmt: skip
    cols = ["manager_id", "tier", "planned", "done", "missed", "open", "far", "adherence"]
    if not rows:
        return pd.DataFrame(columns=cols)
    df = pd.DataFrame(
        [tuple(r) for r in rows], columns=["manager_id", "tier", "status", "n", "far"]
    )
    df["tier"] = df["tier"].fillna("")
    wide = df.pivot_table(index=["manager_id", "tier"], columns="status", values="n",
                          aggfunc="sum", fill_value=0)  # fmt: skip
    for s in ("planned", "checked_in", "done", "missed"):
        if s not in wide:
            wide[s] = 0
    out = pd.DataFrame(
        {
            "planned": wide[["planned", "checked_in", "done", "missed"]].sum(axis=1),
            "done": wide["done"],
            "missed": wide["missed"],
            "open": wide["planned"] + wide["checked_in"],
        }
    )
    out["far"] = df.groupby(["manager_id", "tier"])["far"].sum().reindex(out.index).fillna(0)
    closed = out["planned"] - out["open"]
    out["adherence"] = (out["done"] / closed.where(closed > 0)).round(3)
    out = out.reset_index().astype({"planned": int, "done": int, "missed": int, "open": int,
                                    "far": int})  # fmt: skip
    return out[cols]


def day_view(conn: Connection, manager_id: str, day: dt.date) -> list[dict[str, Any]]:
    """:func:`day_stops` with each outlet's name, contact, phone and address (personal: the
    API masks them per role)."""
    stops = day_stops(conn, manager_id, day)
    ids = [s["customer_id"] for s in stops]
    prof: dict[str, dict[str, Any]] = {}
    for i in range(0, len(ids), 5_000):
        q = select(CustomerProfile.customer_id, CustomerProfile.name,
                   CustomerProfile.contact_name, CustomerProfile.phone,
                   CustomerProfile.address, CustomerProfile.account_manager
                   ).where(CustomerProfile.customer_id.in_(ids[i : i + 5_000]))  # fmt: skip
        prof.update({r.customer_id: dict(r._mapping) for r in conn.execute(q)})
    empty = {"name": None, "contact_name": None, "phone": None, "address": None,
             "account_manager": None}  # fmt: skip
    return [{**empty, **prof.get(s["customer_id"], {}), **s} for s in stops]


def stop_manager(conn: Connection, stop_id: int) -> str:
    """The manager a visit is planned for (NotFoundError for an unknown visit)."""
    return str(_stop(conn, stop_id).manager_id)

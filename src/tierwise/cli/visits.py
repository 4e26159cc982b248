"""``tierwise visits``: visit cadences, day plans and routes, check-in / check-out and
adherence (R-OPS-8, docs/visits.md). Thin commands over :mod:`tierwise.ops.visits`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tierwise.cli.common import actor, parse_date, store_engine, utcnow
from tierwise.cli.main import app
from tierwise.cli.targets import AudienceOpt, AudienceVersionOpt, read_target, report_target
from tierwise.ops.visits import service
from tierwise.ops.visits.policy import VisitPolicy, load_visit_policy
from tierwise.ops.visits.route import order_label
from tierwise.ops.visits.state import outlet_locations, recompute_cadence
from tierwise.settings import get_settings

visits_app = typer.Typer(
    help="Sales visits (R-OPS-8): cadence by tier, day plans and routes, check-in, adherence.",
    no_args_is_help=True,
)
app.add_typer(visits_app, name="visits")
_out = Console(highlight=False)
PolicyOpt = Annotated[
    Path | None,
    typer.Option("--policy", help="Visit policy YAML (default: policies/operations/visits.yaml)."),
]
DayOpt = Annotated[str, typer.Option("--day", help="The day (YYYY-MM-DD).")]


def _policy(path: Path | None) -> VisitPolicy:
    from tierwise.settings import get_settings

    return load_visit_policy(path or get_settings().visit_policy)


@visits_app.command("validate")
def validate_command(policy: Annotated[Path, typer.Argument(help="Visit policy YAML.")]) -> None:
    """Check a visit policy: cadences, the day, capacity and weekdays."""
    p = load_visit_policy(policy)
    _out.print(f"{policy}: ok ({len(p.cadence)} tier cadences)")


@visits_app.command("plan")
def plan_command(
    day: DayOpt,
    lake: Annotated[Path | None, typer.Option(help="Lake folder (default: HOME/lake).")] = None,
    policy: PolicyOpt = None,
    show: Annotated[int, typer.Option(help="Overflow rows to show.")] = 10,
    audience: AudienceOpt = None,
    audience_version: AudienceVersionOpt = None,
) -> None:
    """Refresh every cadence, then plan and route every manager's day within capacity
    (capacity and coordinates from the lake's account_managers and outlet_locations); with
    --audience, its members as of the day get a visit too (reason audience)."""
    from tierwise.ops.retention import manager_capacity, manager_territory

    d = parse_date(day, "--day")
    assert d is not None
    pol = _policy(policy)
    where = lake or get_settings().lake_dir
    capacity, locations = manager_capacity(where), outlet_locations(where)
    now, engine = utcnow(), store_engine()
    members = read_target(engine, audience, audience_version, d, "the visit plan")
    extra = None if members is None else members.customer_ids
    with _out.status(f"planning {d} ..."), engine.begin() as conn:
        recompute_cadence(conn, pol, d, now)
        p = service.plan(conn, pol, d, now, capacity=capacity, locations=locations, extra=extra,
                         territory=manager_territory(where))  # fmt: skip
    _out.print(
        f"{d}: {p.planned} visits planned, {len(p.overflow)} due but over capacity, "
        f"{p.missed} earlier visits missed (rolled forward), {p.late_stops} routed late"
    )
    if p.covered:
        _out.print(f"{p.covered} of them planned with another manager of the territory")
    if members is not None:
        _out.print(f"{p.extra_planned} of them for the audience's members not due by cadence")
    report_target(_out, engine, members, target=f"visit:{d}", used_by="the visit plan",
                  actor=actor(), now=now)  # fmt: skip
    for r in p.shortfall.itertuples(index=False):
        _out.print(
            f"warning: {r.manager_id}'s cadence needs {r.needed_per_day} visits a working day "
            f"for {r.customers} customers, capacity {r.capacity}: short by {r.shortfall_per_day}"
        )
    if len(p.overflow) and show > 0:
        t = Table("customer", "manager", "tier", "rank", "value at risk", "days overdue", "why")
        for o in p.overflow.head(show).itertuples(index=False):
            t.add_row(str(o.customer_id), str(o.manager_id or ""), str(o.tier or ""),
                      str(o.rank), f"{o.value_at_risk:,.0f}", str(o.days_overdue),
                      str(o.overflow))  # fmt: skip
        _out.print(t)


@visits_app.command("day")
def day_command(
    manager: Annotated[str, typer.Argument(help="Account manager id, e.g. AM001.")],
    day: DayOpt,
    policy: PolicyOpt = None,
) -> None:
    """A manager's visits of a day in route order, with arrival times."""
    d = parse_date(day, "--day")
    assert d is not None
    pol = _policy(policy)
    with store_engine().connect() as conn:
        stops = service.day_stops(conn, manager, d)
    if not stops:
        _out.print(f"{manager} has no visits on {d}")
        return
    t = Table("#", "visit", "customer", "tier", "arrive", "why", "status")
    for s in stops:
        eta = "" if s["eta_minute"] is None else order_label(s["eta_minute"], pol)
        if s["late_minutes"]:
            eta += f" (late {s['late_minutes']} min)"
        t.add_row(str(s["seq"] or "-"), str(s["id"]), s["customer_id"], s["tier"] or "", eta,
                  s["reason"], s["status"] + (" far" if s["far"] else ""))  # fmt: skip
    _out.print(t)


@visits_app.command("checkin")
def checkin_command(
    visit: Annotated[int, typer.Argument(help="Visit id (see `tierwise visits day`).")],
    lat: Annotated[float, typer.Option("--lat", help="Latitude where the manager is.")],
    lon: Annotated[float, typer.Option("--lon", help="Longitude where the manager is.")],
    policy: PolicyOpt = None,
) -> None:
    """Check in at an outlet; far from it is flagged, not refused."""
    pol = _policy(policy)
    with store_engine().begin() as conn:
        r = service.check_in(conn, pol, visit, lat, lon, utcnow(), actor())
    dist = "" if r["distance_m"] is None else f", {r['distance_m']:,.0f} m from the outlet"
    flag = f" (flagged: beyond {pol.far_checkin_m:,.0f} m)" if r["far"] else ""
    _out.print(f"visit {visit} checked in{dist}{flag}")


@visits_app.command("checkout")
def checkout_command(
    visit: Annotated[int, typer.Argument(help="Visit id.")],
    outcome: Annotated[str, typer.Option(help=f"One of {', '.join(service.OUTCOMES)}.")],
    note: Annotated[str | None, typer.Option(help="What happened.")] = None,
) -> None:
    """Check out with the outcome; the customer's next visit moves one interval on."""
    with store_engine().begin() as conn:
        service.check_out(conn, visit, outcome, note, utcnow(), actor())
    _out.print(f"visit {visit} done: {outcome}")


@visits_app.command("adherence")
def adherence_command(
    start: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD).")],
    end: Annotated[str, typer.Option("--to", help="Last day (YYYY-MM-DD).")],
) -> None:
    """Planned vs done per manager and tier."""
    a, b = parse_date(start, "--from"), parse_date(end, "--to")
    assert a is not None and b is not None
    with store_engine().connect() as conn:
        df = service.adherence(conn, a, b)
    if df.empty:
        _out.print(f"no visits planned from {a} to {b}")
        return
    t = Table("manager", "tier", "planned", "done", "missed", "open", "far", "adherence")
    for r in df.to_dict("records"):
        share = float(r["adherence"])
        pct = "" if share != share else f"{share:.0%}"  # NaN: nothing closed yet
        t.add_row(*(str(r[k]) for k in ("manager_id", "tier", "planned", "done", "missed",
                                        "open", "far")), pct)  # fmt: skip
    _out.print(t)

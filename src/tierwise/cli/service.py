"""``tierwise service``: differentiated service (R-OPS-1, docs/service.md): the ticket queue by
service level, response-target breaches per tier, the warehouse's delivery-priority list and a
customer's service level. Thin commands over :mod:`tierwise.ops.service.service`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tierwise.cli.common import parse_date, store_engine, utcnow
from tierwise.cli.main import app
from tierwise.errors import NotFoundError, UsageError
from tierwise.ops.service import service, store
from tierwise.ops.service.decide import LEVEL_ZH
from tierwise.settings import get_settings

service_app = typer.Typer(
    help="Differentiated service (R-OPS-1): ticket queue, breaches, delivery-priority list.",
    no_args_is_help=True,
)
app.add_typer(service_app, name="service")
_out = Console(highlight=False)
LakeOpt = Annotated[Path | None, typer.Option(help="Lake folder (default: HOME/lake).")]
AtOpt = Annotated[
    str | None,
    typer.Option("--at", help="Read as of this moment (YYYY-MM-DD[THH:MM]; default: now, UTC)."),
]
KindOpt = Annotated[
    str | None, typer.Option("--kind", help="complaint or inquiry (default: both).")
]


def _at(value: str | None) -> dt.datetime:
    if value is None:
        return utcnow()
    try:
        t = dt.datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--at {value!r} is not a moment", hint="use YYYY-MM-DDTHH:MM") from None
    return t if t.tzinfo is None else t.astimezone(dt.UTC).replace(tzinfo=None)


def _kind(value: str | None) -> str | None:
    if value is not None and value not in service.KINDS:
        raise UsageError(f"--kind {value!r} is not a ticket kind", hint="complaint or inquiry")
    return value


def _lake(lake: Path | None) -> Path:
    return lake or get_settings().lake_dir


@service_app.command("queue")
def queue_command(
    at: AtOpt = None,
    kind: KindOpt = None,
    limit: Annotated[int, typer.Option(min=1, help="Show the first N.")] = 50,
    lake: LakeOpt = None,
) -> None:
    """Open tickets in the order to handle them: service level (dedicated first), time left to
    the response target, severity."""
    now, k = _at(at), _kind(kind)
    with store_engine().connect() as conn:
        q = service.queue(conn, _lake(lake), now, kind=k)
    overdue = sum(e.overdue for e in q)
    table = Table(title=f"ticket queue at {now:%Y-%m-%d %H:%M}: {len(q)} open, {overdue} overdue")
    for col in ("#", "ticket", "customer", "level", "tier", "kind", "sev", "target h", "due",
                "hours left"):  # fmt: skip
        table.add_column(col)
    for e in q[:limit]:
        t = e.ticket
        table.add_row(
            str(e.position), t.ticket_id, t.customer_id, e.level, e.tier or "—", t.kind,
            str(t.severity), str(e.response_hours), f"{e.due:%m-%d %H:%M}",
            f"[red]{e.hours_left:.1f}[/]" if e.overdue else f"{e.hours_left:.1f}",
        )  # fmt: skip
    _out.print(table)


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.1%}"


@service_app.command("breaches")
def breaches_command(
    start: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD).")],
    end: Annotated[str, typer.Option("--to", help="Last day, exclusive (YYYY-MM-DD).")],
    at: AtOpt = None,
    kind: KindOpt = None,
    by_month: Annotated[bool, typer.Option("--by-month", help="One row per month × tier.")] = False,
    lake: LakeOpt = None,
) -> None:
    """Response-target breaches per tier: tickets resolved past their target or still open
    past it, the breach rate and the tier's share of the breaches."""
    first, last = parse_date(start, "--from"), parse_date(end, "--to")
    assert first is not None and last is not None
    if last <= first:
        raise UsageError(f"--to {last} is not after --from {first}", hint="--to is exclusive")
    now, k = _at(at), _kind(kind)
    with store_engine().connect() as conn:
        b = service.breach_report(conn, _lake(lake), now, first, last, kind=k)
    rows = b.rows if by_month else b.totals
    if not rows:
        _out.print(f"no tickets raised from {first} to {last}")
        return
    table = Table(title=f"response-target breaches, tickets raised {first} to {last}")
    for col in ("month", "tier", "tickets", "resolved", "late", "open", "open overdue",
                "breached", "rate", "share", "median h"):  # fmt: skip
        table.add_column(col)
    for r in rows:
        table.add_row(
            r.month, r.tier or "—", str(r.tickets), str(r.resolved), str(r.resolved_late),
            str(r.open), str(r.open_overdue), str(r.breached), _pct(r.breach_rate),
            _pct(b.share(r)), "—" if r.median_hours is None else f"{r.median_hours:.1f}",
        )  # fmt: skip
    _out.print(table)


@service_app.command("delivery-list")
def delivery_list_command(
    day: Annotated[str, typer.Option("--day", help="The orders' day (YYYY-MM-DD).")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Write *.csv or *.xlsx (Chinese headers).")
    ] = None,
    lake: LakeOpt = None,
) -> None:
    """The warehouse's list: customers with orders on the day, by delivery priority, morning
    slot, expedited logistics, then tier. The file carries addresses and contacts unmasked
    (the CLI runs with the store's own access)."""
    from tierwise.ops.service.files import delivery_records, write_delivery

    d = parse_date(day, "--day")
    assert d is not None
    with store_engine().connect() as conn:
        rows = service.deliveries(conn, _lake(lake), d)
        people = store.profiles(conn, [r.customer_id for r in rows])
    if out is not None:
        write_delivery(out, delivery_records(rows, people))
        _out.print(f"{out}: {len(rows)} customers with orders on {d}")
        return
    if not rows:
        _out.print(f"no orders on {d}")
        return
    table = Table(title=f"delivery priority, {d}: {len(rows)} customers")
    for col in ("#", "customer", "name", "tier", "priority", "slot", "expedited", "orders",
                "amount"):  # fmt: skip
        table.add_column(col)
    for r in rows:
        table.add_row(
            str(r.position), r.customer_id, str(people.get(r.customer_id, {}).get("name") or ""),
            r.tier or "—", str(r.priority or "—"), r.slot, "yes" if r.expedited else "no",
            str(r.orders), f"{r.amount:,.2f}",
        )  # fmt: skip
    _out.print(table)


@service_app.command("level")
def level_command(
    customer: Annotated[str, typer.Argument(help="Customer id.")],
    day: Annotated[str | None, typer.Option("--day", help="Default: today (UTC).")] = None,
) -> None:
    """A customer's service level on a day, as the ERP/WMS reads it."""
    d = parse_date(day, "--day") or utcnow().date()
    with store_engine().connect() as conn:
        if not store.profiles(conn, [customer]) and not store.tiers_of(conn, [customer]):
            raise NotFoundError(f"no customer {customer!r}", customer_id=customer)
        t = service.service_level(conn, customer, d)
    source = f"tier {t.tier}" if t.granted else "default, no service_level grant"
    _out.print(
        f"{customer} on {d}: {t.level} ({LEVEL_ZH[t.level]}, {source}), channel {t.channel}, "
        f"response target {t.response_hours} h; delivery priority {t.priority or '—'}, "
        f"slot {t.slot}, expedited {'yes' if t.expedited else 'no'}"
    )

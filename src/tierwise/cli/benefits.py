"""``tierwise benefits``: the benefits ledger (R-OPS-2, docs/benefits.md).

Grants follow the tiers by themselves (every publication and real-time regrade); these
commands read them, load redemption files and report use and cost; the ``rebate-*`` commands
accrue rebates per period, list the ledger, write statements and pay (R-OPS-3).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tierwise.cli.common import actor, parse_date, store_engine, utcnow
from tierwise.cli.main import app
from tierwise.errors import DataError, NotFoundError, UsageError
from tierwise.ops.benefits.ledger import (
    customer_grants,
    customer_redemptions,
    usage,
)
from tierwise.ops.benefits.rebate_dry_run import rebate_dry_run
from tierwise.ops.benefits.rebate_files import batch_rows, statement_rows, write_rows
from tierwise.ops.benefits.rebate_ledger import Period, parse_period, totals
from tierwise.ops.benefits.rebate_store import (
    BATCH_KINDS,
    accrue_period,
    batch_lines,
    ledger_rows,
    ledger_summary,
    net_sales,
    pay,
    statement,
)
from tierwise.ops.benefits.redeem import redeem_file
from tierwise.policy.benefits import KINDS, REDEEMABLE
from tierwise.settings import get_settings

benefits_app = typer.Typer(
    help="Benefits (R-OPS-2): grants by tier, redemptions, use and cost.", no_args_is_help=True
)
app.add_typer(benefits_app, name="benefits")
_out = Console(highlight=False)


@benefits_app.command("kinds")
def kinds_command() -> None:
    """The catalogue of benefit kinds a policy's tiers can give."""
    table = Table(title="benefit kinds")
    for col in ("kind", "名称", "name", "redeemed one at a time"):
        table.add_column(col)
    for k, (zh, en) in KINDS.items():
        table.add_row(k, zh, en, "yes" if k in REDEEMABLE else "no (applies by itself)")
    _out.print(table)


@benefits_app.command("show")
def show_command(
    customer_id: Annotated[str, typer.Argument(help="The customer's id.")],
) -> None:
    """A customer's grants (active first) and latest redemptions."""
    engine = store_engine()
    grants = customer_grants(engine, customer_id)
    if not grants:
        _out.print(f"customer {customer_id} has no benefit grants")
        return
    table = Table(title=f"benefits of {customer_id}")
    for col in ("id", "benefit", "tier", "status", "from", "until", "cause", "reason"):
        table.add_column(col)
    for g in grants:
        table.add_row(
            str(g["id"]),
            g["code"],
            g["tier"],
            g["status"],
            g["valid_from"].isoformat(),
            g["valid_until"].isoformat() if g["valid_until"] else "—",
            g["cause"],
            str((g["ended_reason"] or g["reason"]).get("code", "")),
        )
    _out.print(table)
    for r in customer_redemptions(engine, customer_id, limit=20):
        _out.print(
            f"  {r['used_on']} {r['code']} ×{r['quantity']} {r['cost']} yuan: {r['status']}"
            + (f" ({r['reason']})" if r["reason"] else "")
        )


@benefits_app.command("redeem")
def redeem_command(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            help="CSV (UTF-8 or GBK) or Excel: 客户编号, 权益, 使用日期 [, 数量, 成本, 订单金额, 单号].",
        ),
    ],
) -> None:
    """Load redemptions from a file: each row accepted against an active grant, or kept as
    refused with its reason (rows with the same 单号 as one already loaded are skipped)."""
    report = redeem_file(store_engine(), file, actor=actor(), now=utcnow())
    _out.print(
        f"{report.file}: {report.accepted} accepted, {report.refused} refused, "
        f"{report.duplicates} already loaded"
    )
    for line, reason in report.refusals[:20]:
        _out.print(f"  row {line}: {reason}")
    if len(report.refusals) > 20:
        _out.print(f"  … {len(report.refusals) - 20} more (tierwise benefits show <customer>)")


@benefits_app.command("usage")
def usage_command(
    start: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--to", help="Last day (exclusive), YYYY-MM-DD.")],
) -> None:
    """Use and cost per month, benefit and tier (accepted redemptions; refusals beside)."""
    first, last = parse_date(start, "--from"), parse_date(end, "--to")
    if first is None or last is None or last <= first:
        raise UsageError(f"--from {start} --to {end} is not a period", hint="give --from < --to")
    rows = usage(store_engine(), first, last)
    if not rows:
        _out.print(f"no redemptions from {first} to {last}")
        return
    table = Table(title=f"benefit use {first} – {last}")
    for col in ("month", "benefit", "tier", "redemptions", "quantity", "cost (yuan)", "refused"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r["month"], r["benefit"], r["tier"] or "—", str(r["redemptions"]),
            str(r["quantity"]), f"{r['cost']:.2f}", str(r["refused"]),
        )  # fmt: skip
    _out.print(table)


@benefits_app.command("rebate-dry-run")
def rebate_dry_run_command(
    pct: Annotated[
        list[str], typer.Option(help="tier=percent, e.g. --pct platinum=2 (repeatable).")
    ],
    days: Annotated[int, typer.Option(min=7, max=366, help="Days forecast after --as-of.")] = 90,
    as_of: Annotated[str | None, typer.Option(help="The dry run's day (default: today).")] = None,
    method: Annotated[
        str,
        typer.Option(
            help="season: the last --days scaled by how customers who bought like this went "
            "on a year back (needs a year and --days of orders); recent: they buy as in the "
            "last --days; auto: season when the lake reaches back far enough."
        ),
    ] = "auto",
    lake: Annotated[
        Path | None, typer.Option(help="Lake folder (default: $TIERWISE_HOME/lake).")
    ] = None,
    realised: Annotated[
        list[str] | None,
        typer.Option(
            help="A period accrued since (YYYY-MM or YYYY-Qn, repeatable): the ledger's "
            "accruals per tier beside the dry run."
        ),
    ] = None,
) -> None:
    """What a rebate per tier would cost over the --days after --as-of (R-OPS-3), per tier, for
    the customers holding each tier now; with --realised, the rebate ledger's accruals of
    those periods beside it. Returns are not netted out of the dry run (not yet)."""
    periods = [_period(p) for p in realised or []]
    if method not in ("auto", "season", "recent"):
        raise UsageError(f"--method {method!r} is not a method", hint="auto, season or recent")
    pcts: dict[str, Decimal] = {}
    for item in pct:
        tier, _, value = item.partition("=")
        try:
            pcts[tier.strip()] = Decimal(value)
        except InvalidOperation:
            raise UsageError(
                f"--pct {item!r} is not tier=percent", hint="e.g. --pct platinum=2"
            ) from None
        if not tier.strip():
            raise UsageError(f"--pct {item!r} names no tier", hint="e.g. --pct platinum=2")
    day = parse_date(as_of) or utcnow().date()
    try:
        d = rebate_dry_run(store_engine(), lake or get_settings().lake_dir, pcts, as_of=day,
                           days=days, method=method, realised=periods)  # fmt: skip
    except DataError as err:
        if err.fields.get("field") == "pct":
            raise UsageError(err.message, hint=err.hint) from None
        raise
    how = (
        f"the last {days} days to {day} scaled by the same season a year back"
        if d.method == "season"
        else f"the last {days} days to {day} as they were"
    )
    title = f"rebate dry run for the {days} days after {day} ({d.method}: {how})"
    if periods:
        title += " beside the ledger's accruals of " + ", ".join(p.label for p in periods)
    table = Table(title=title)
    cols = ["tier", "rebate %", "customers", "buyers", "spend (yuan)", "cost (yuan)"]
    for col in cols + (["realised (yuan)", "dry run vs realised"] if periods else []):
        table.add_column(col)
    for b in d.rows:
        r = b.dry
        cells = [r.tier, str(r.pct), str(r.customers), str(r.buyers), f"{r.spend:.2f}",
                 f"{r.cost:.2f}"]  # fmt: skip
        if periods:
            cells += [f"{b.realised:.2f}", "—" if b.gap is None else f"{b.gap * 100:+.1f} %"]
        table.add_row(*cells)
    _out.print(table)


def _period(value: str) -> Period:
    try:
        return parse_period(value)
    except DataError as err:
        raise UsageError(str(err), hint="YYYY-MM (a month) or YYYY-Qn (a quarter)") from None


@benefits_app.command("rebate-accrue")
def rebate_accrue_command(
    period: Annotated[str, typer.Argument(help="The period: YYYY-MM or YYYY-Qn.")],
    lake: Annotated[
        Path | None, typer.Option(help="Lake folder (default: $TIERWISE_HOME/lake).")
    ] = None,
) -> None:
    """Accrue a period's rebates (R-OPS-3): the rebate grant in force on the period's last day
    × the period's net sales (orders − refunds). Running it again changes nothing unless the
    figures did; a paid period gets adjustment rows, never a rewrite."""
    p = _period(period)
    with _out.status(f"reading {p.label}'s orders and refunds ..."):
        sales = net_sales(lake or get_settings().lake_dir, p)
    r = accrue_period(store_engine(), p, sales, now=utcnow())
    _out.print(
        f"{r.period}: {r.customers} customers with a rebate; {r.inserted} rows added, "
        f"{r.updated} updated, {r.deleted} removed, {r.unchanged} unchanged; "
        f"ledger total {r.total:.2f} yuan"
    )


@benefits_app.command("rebate-ledger")
def rebate_ledger_command(
    period: Annotated[str | None, typer.Option(help="Only this period (YYYY-MM, YYYY-Qn).")] = None,
    customer: Annotated[str | None, typer.Option(help="Only this customer.")] = None,
    status: Annotated[str | None, typer.Option(help="accrued or paid.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000, help="Rows to list.")] = 50,
) -> None:
    """The rebate ledger: totals per period, tier and status, then its rows."""
    label = _period(period).label if period else None
    if status not in (None, "accrued", "paid"):
        raise UsageError(f"--status {status!r} is not a ledger status", hint="accrued or paid")
    engine = store_engine()
    summary = ledger_summary(engine, label)
    if not summary:
        _out.print("the rebate ledger is empty" + (f" for {label}" if label else ""))
        return
    table = Table(title="rebate ledger" + (f" {label}" if label else ""))
    for col in ("period", "tier", "status", "rows", "rebate (yuan)"):
        table.add_column(col)
    for s in summary:
        table.add_row(
            s["period"], s["tier"] or "—", s["status"], str(s["rows"]), f"{s['amount']:.2f}"
        )
    _out.print(table)
    rows = ledger_rows(
        engine,
        period=label,
        customer_ids=[customer] if customer else None,
        status=status,
        limit=limit,
    )
    detail = Table()
    for col in (
        "id",
        "customer",
        "period",
        "entry",
        "tier",
        "%",
        "net sales",
        "rebate",
        "status",
        "batch",
    ):
        detail.add_column(col)
    for r in rows:
        detail.add_row(
            str(r["id"]),
            r["customer_id"],
            r["period"],
            r["entry"],
            r["tier"] or "—",
            str(r["pct"]),
            f"{r['net']:.2f}",
            f"{r['amount']:.2f}",
            r["status"],
            str(r["payout_id"] or "—"),
        )
    _out.print(detail)


@benefits_app.command("rebate-statement")
def rebate_statement_command(
    customer_id: Annotated[str, typer.Argument(help="The customer's id.")],
    out: Annotated[Path, typer.Option("--out", help="The statement: *.csv or *.xlsx.")],
    start: Annotated[
        str | None, typer.Option("--from", help="First period (YYYY-MM, YYYY-Qn).")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last period (YYYY-MM, YYYY-Qn).")] = None,
) -> None:
    """A customer's rebate statement (对账单) with Chinese headers: every ledger row, then the
    totals accrued, paid and outstanding (equal to the ledger's)."""
    lines = statement(
        store_engine(),
        customer_id,
        start=_period(start).start if start else None,
        end=_period(end).start if end else None,
    )
    if not lines:
        raise NotFoundError(f"customer {customer_id} has no rebate in the ledger")
    write_rows(out, statement_rows(customer_id, lines), "返利对账单")
    t = totals(lines)
    _out.print(
        f"{out}: {len(lines)} rows; accrued {t.accrued:.2f}, paid {t.paid:.2f}, "
        f"outstanding {t.outstanding:.2f} yuan"
    )


@benefits_app.command("rebate-payout")
def rebate_payout_command(
    out: Annotated[Path, typer.Option("--out", help="The batch for the ERP: *.csv or *.xlsx.")],
    kind: Annotated[str, typer.Option(help="payout or credit_note.")] = "payout",
    period: Annotated[str | None, typer.Option(help="Only this period (default: all).")] = None,
    customer: Annotated[
        list[str] | None, typer.Option(help="Only these customers (repeatable).")
    ] = None,
    batch_id: Annotated[
        int | None, typer.Option("--batch", help="Write this earlier batch again (pays nothing).")
    ] = None,
) -> None:
    """Pay the accrued rebates in one batch (a payout or credit notes) and write it for the ERP;
    each accrued row is paid exactly once (--batch N writes batch N again)."""
    if kind not in BATCH_KINDS:
        raise UsageError(f"--kind {kind!r} is not a kind of batch", hint="payout or credit_note")
    if out.suffix.lower() not in (".csv", ".xlsx"):
        raise UsageError(f"--out {out}: not a .csv or .xlsx file", hint="name it *.csv or *.xlsx")
    label = _period(period).label if period else None
    engine = store_engine()
    if batch_id is not None:
        batch, lines = batch_lines(engine, batch_id)
        write_rows(
            out, batch_rows(batch, lines), "返利付款" if batch.kind == "payout" else "贷项通知单"
        )
        _out.print(
            f"batch {batch.id} ({batch.kind}): {batch.lines} rows, {batch.total:.2f} yuan; "
            f"written to {out} (nothing paid)"
        )
        return
    b = pay(
        engine,
        kind,
        period=label,
        customer_ids=customer or None,
        actor=actor(),
        now=utcnow(),
    )
    batch, lines = batch_lines(engine, b.id)
    write_rows(out, batch_rows(batch, lines), "返利付款" if kind == "payout" else "贷项通知单")
    _out.print(f"batch {b.id} ({kind}): {b.lines} rows, {b.total:.2f} yuan; written to {out}")

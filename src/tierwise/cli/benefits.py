"""``tierwise benefits``: the benefits ledger (R-OPS-2, docs/benefits.md).

Grants follow the tiers by themselves (every publication and real-time regrade); these
commands read them, load redemption files and report use and cost.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tierwise.cli.common import actor, parse_date, store_engine, utcnow
from tierwise.cli.main import app
from tierwise.errors import UsageError
from tierwise.ops.benefits.ledger import (
    customer_grants,
    customer_redemptions,
    read_states,
    usage,
)
from tierwise.ops.benefits.rebates import dry_run, recent_spend
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
    days: Annotated[int, typer.Option(min=7, max=366, help="Days of history before --as-of.")] = 90,
    as_of: Annotated[str | None, typer.Option(help="Last day of history (default: today).")] = None,
    lake: Annotated[
        Path | None, typer.Option(help="Lake folder (default: $TIERWISE_HOME/lake).")
    ] = None,
) -> None:
    """What a rebate per tier would have cost on the last --days of orders (R-OPS-3), per tier,
    for the customers holding each tier now. Returns are not netted out (not yet)."""
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
    end = (parse_date(as_of) or utcnow().date()) + dt.timedelta(days=1)
    engine = store_engine()
    with engine.connect() as conn:
        tiers = read_states(conn, None)
    known = {s.tier for s in tiers.values()}
    unknown = [t for t in pcts if t not in known]
    if unknown:
        raise UsageError(
            f"no customer holds tier {unknown[0]!r}",
            hint="tiers held now: " + ", ".join(sorted(t for t in known if t)),
        )
    spend = recent_spend(lake or get_settings().lake_dir, end - dt.timedelta(days=days), end)
    rows = dry_run(spend, {c: s.tier for c, s in tiers.items()}, pcts)
    table = Table(title=f"rebate dry run on {days} days of orders to {end - dt.timedelta(days=1)}")
    for col in ("tier", "rebate %", "customers", "buyers", "spend (yuan)", "cost (yuan)"):
        table.add_column(col)
    for r in rows:
        table.add_row(r.tier, str(r.pct), str(r.customers), str(r.buyers), f"{r.spend:.2f}",
                      f"{r.cost:.2f}")  # fmt: skip
    _out.print(table)

"""``tierwise credit``: default-risk scores, terms from tier × risk, order checks, holds
(R-OPS-4, docs/credit.md). Thin commands over :mod:`tierwise.ops.credit.service`."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tierwise.cli.common import parse_date, store_engine, utcnow
from tierwise.cli.main import app
from tierwise.errors import UsageError
from tierwise.ops.credit import service
from tierwise.ops.credit.policy import TERMS, CreditPolicy, load_credit_policy
from tierwise.settings import get_settings

credit_app = typer.Typer(
    help="Credit risk control (R-OPS-4): risk scores, terms, order checks, holds.",
    no_args_is_help=True,
)
app.add_typer(credit_app, name="credit")
_out = Console(highlight=False)
PolicyOpt = Annotated[
    Path | None,
    typer.Option("--policy", help="Credit policy YAML (default: policies/operations/credit.yaml)."),
]


def _policy(path: Path | None) -> CreditPolicy:
    return load_credit_policy(path or get_settings().credit_policy)


def _money(value: str, what: str) -> Decimal:
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise UsageError(f"{what} {value!r} is not an amount", hint="yuan, e.g. 1200.50") from None
    if not amount.is_finite() or amount <= 0:
        raise UsageError(f"{what} {value!r} is not a positive amount", hint="yuan, > 0")
    return amount.quantize(Decimal("0.01"))


@credit_app.command("validate")
def validate_command(policy: Annotated[Path, typer.Argument(help="Credit policy YAML.")]) -> None:
    """Check a credit policy: every tier × band has terms, codes and amounts are valid."""
    p = load_credit_policy(policy)
    _out.print(f"{policy}: ok ({len(p.tiers)} tiers × {len(p.bands)} bands)")


@credit_app.command("score")
def score_command(
    as_of: Annotated[str, typer.Option("--as-of", help="Score as of this day (YYYY-MM-DD).")],
    lake: Annotated[Path | None, typer.Option(help="Lake folder (default: HOME/lake).")] = None,
    method: Annotated[str, typer.Option(help="gbm (monotone LightGBM) or logistic.")] = "gbm",
    policy: PolicyOpt = None,
) -> None:
    """Fit the default-risk model on the lake's history, score every customer, snapshot the
    receivables and recompute everyone's terms (one transaction)."""
    from tierwise.pipeline.credit import score_and_decide

    if method not in ("gbm", "logistic"):
        raise UsageError(f"--method {method!r} is not a risk model", hint="gbm or logistic")
    day = parse_date(as_of)
    assert day is not None
    pol = _policy(policy)
    where = lake or get_settings().lake_dir
    with _out.status(f"scoring default risk as of {day} ..."):
        s = score_and_decide(store_engine(), where, day, pol, utcnow(), method=method)  # type: ignore[arg-type]
    _out.print(
        f"scored {s.customers} customers as of {s.as_of} (trained on {s.training_rows} "
        f"snapshots, default rate {s.base_rate:.1%}; mean risk {s.mean_pd:.1%}); terms: "
        + ", ".join(f"{k} {v}" for k, v in sorted(s.terms.items()))
    )


@credit_app.command("terms")
def terms_command(
    customer: Annotated[
        str | None, typer.Argument(help="One customer (default: recompute all).")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Decision day (default: today).")
    ] = None,
    policy: PolicyOpt = None,
) -> None:
    """Show a customer's terms, or recompute every customer's terms (tier × risk band)."""
    engine = store_engine()
    if customer is not None:
        with engine.connect() as conn:
            t = service.terms_of(conn, customer)
        label = TERMS.get(str(t.get("terms")), ("—", "—"))[0]
        _out.print(
            f"{customer}: {t.get('terms', '—')} ({label}), deposit {t.get('deposit_pct', 0):g} %, "
            f"limit {t.get('credit_limit', 0):,.2f}, available {t['available_credit']:,.2f}"
            + (f"; {t['pending_terms']} from {t['pending_from']}" if t.get("pending_terms") else "")
        )
        return
    from tierwise.ops.credit.state import recompute_terms

    day = parse_date(as_of) or utcnow().date()
    with engine.begin() as conn:
        counts = recompute_terms(conn, _policy(policy), day, utcnow())
    _out.print(
        "terms: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "no customers")
    )


@credit_app.command("check")
def check_command(
    customer: Annotated[str, typer.Argument(help="Customer id.")],
    amount: Annotated[str, typer.Argument(help="Order amount, yuan.")],
    policy: PolicyOpt = None,
) -> None:
    """Check an order against the customer's available credit (可用额度): allow or hold."""
    value = _money(amount, "amount")
    with store_engine().begin() as conn:
        r = service.check(conn, _policy(policy), customer, value, utcnow())
    if r.allow:
        _out.print(f"allow: {value:,.2f} within available {r.available:,.2f}"
                   + (" (finance override)" if r.overridden else ""))  # fmt: skip
        return
    for h in r.holds:
        _out.print(f"hold ({h.kind}): {h.reason['en']}")
    raise typer.Exit(3)


@credit_app.command("pay")
def pay_command(
    customer: Annotated[str, typer.Argument(help="Customer id.")],
    amount: Annotated[str, typer.Argument(help="Payment received, yuan.")],
    policy: PolicyOpt = None,
) -> None:
    """Record a payment received since the last score: releases the holds it clears."""
    value = _money(amount, "amount")
    with store_engine().begin() as conn:
        service.record_payment(conn, _policy(policy), customer, value, utcnow())
        still = [h for h in service.list_holds(conn) if h["customer_id"] == customer]
    _out.print(f"payment of {value:,.2f} recorded; open holds: {len(still)}")


@credit_app.command("holds")
def holds_command(
    all_: Annotated[bool, typer.Option("--all", help="Released holds too.")] = False,
) -> None:
    """Order holds, newest first."""
    with store_engine().connect() as conn:
        rows = service.list_holds(conn, open_only=not all_)
    if not rows:
        _out.print("no holds")
        return
    table = Table(title=f"credit holds ({len(rows)})")
    for col in ("id", "customer", "kind", "amount over", "opened", "released", "reason"):
        table.add_column(col)
    for h in rows:
        table.add_row(str(h["id"]), h["customer_id"], h["kind"], f"{h['amount_over']:,.2f}",
                      f"{h['opened_at']:%Y-%m-%d %H:%M}",
                      f"{h['released_at']:%Y-%m-%d %H:%M}" if h["released_at"] else "—",
                      h["detail"].get("en", ""))  # fmt: skip
    _out.print(table)

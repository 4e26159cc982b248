"""``tierwise prices``: tier price rules and quotes (R-OPS-3, docs/benefits.md).

The commands call what ``/price-rules`` and ``/customers/{id}/quote`` call: a rule that
conflicts with a saved one is refused (both rules, their ids or file rows, an example line),
a file is saved whole or not at all.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tierwise.api.repos.customers import CustomerRepo
from tierwise.cli.common import actor, parse_date, store_engine, utcnow
from tierwise.cli.main import app
from tierwise.errors import NotFoundError, UsageError
from tierwise.ops.benefits.price_rule_files import read_lines, read_rules
from tierwise.ops.benefits.price_rules import delete_rule, list_rules, quote, save_rules
from tierwise.ops.benefits.pricing import Line, PriceRule

prices_app = typer.Typer(
    help="Tier price rules (R-OPS-3): list, add, import from CSV/Excel, quote.",
    no_args_is_help=True,
)
app.add_typer(prices_app, name="prices")
_out = Console(highlight=False)
KINDS = ("discount_pct", "net_price")


def _rules_table(rules: list[PriceRule], title: str) -> Table:
    table = Table(title=title)
    for col in ("id", "code", "kind", "value", "tier", "product", "region", "from", "until",
                "priority"):  # fmt: skip
        table.add_column(col)
    for r in rules:
        product = f"sku {r.sku}" if r.sku else f"category {r.category}" if r.category else "any"
        table.add_row(
            str(r.id), r.code, r.kind, str(r.value), r.tier or "any", product, r.region or "any",
            r.valid_from.isoformat(), r.valid_until.isoformat() if r.valid_until else "—",
            str(r.priority),
        )  # fmt: skip
    return table


@prices_app.command("list")
def list_command(
    tier: Annotated[str | None, typer.Option(help="A tier code, or 'any' (every tier).")] = None,
    sku: Annotated[str | None, typer.Option(help="A SKU, or 'any'.")] = None,
    category: Annotated[str | None, typer.Option(help="A category, or 'any'.")] = None,
    region: Annotated[str | None, typer.Option(help="A province, or 'any'.")] = None,
    kind: Annotated[str | None, typer.Option(help="discount_pct or net_price.")] = None,
    on: Annotated[str | None, typer.Option(help="Only rules valid that day (YYYY-MM-DD).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="Rules to print.")] = 200,
) -> None:
    """The price rules that pass the filters, highest priority first."""
    if kind is not None and kind not in KINDS:
        raise UsageError(f"--kind {kind!r} is not a kind of rule", hint="discount_pct or net_price")
    rules = list_rules(
        store_engine(), tier=tier, sku=sku, category=category, region=region, kind=kind,
        on=parse_date(on, "--on"),
    )  # fmt: skip
    if not rules:
        _out.print("no price rule matches")
        return
    _out.print(_rules_table(rules[:limit], f"{len(rules)} price rule(s)"))
    if len(rules) > limit:
        _out.print(f"… {len(rules) - limit} more (--limit)")


@prices_app.command("add")
def add_command(
    code: Annotated[str, typer.Argument(help="The rule's code (unique).")],
    kind: Annotated[str, typer.Option(help="discount_pct (percent off) or net_price (yuan).")],
    value: Annotated[str, typer.Option(help="The percent off, or the net price in yuan.")],
    valid_from: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD).")],
    valid_until: Annotated[
        str | None, typer.Option("--until", help="First day it no longer applies.")
    ] = None,
    priority: Annotated[int, typer.Option(min=-1000, max=1000)] = 0,
    tier: Annotated[str | None, typer.Option(help="Tier code (default: every tier).")] = None,
    sku: Annotated[str | None, typer.Option(help="A SKU (or --category).")] = None,
    category: Annotated[str | None, typer.Option(help="A category (or --sku).")] = None,
    region: Annotated[str | None, typer.Option(help="A province (default: every region).")] = None,
) -> None:
    """Save one rule; refused (nothing written) when it conflicts with a saved one."""
    if kind not in KINDS:
        raise UsageError(f"--kind {kind!r} is not a kind of rule", hint="discount_pct or net_price")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise UsageError(f"--value {value!r} is not a number", hint="e.g. --value 5") from None
    start = parse_date(valid_from, "--from") or dt.date.min  # the option is required
    rule = PriceRule(
        id=None, code=code, kind=kind, value=amount, valid_from=start,  # type: ignore[arg-type]
        valid_until=parse_date(valid_until, "--until"), priority=priority, tier=tier, sku=sku,
        category=category, region=region,
    )  # fmt: skip
    saved = save_rules(store_engine(), [rule], author=actor(), now=utcnow())[0]
    _out.print(f"price rule {saved.code} saved (id {saved.id}): {saved.result_text()} for "
               f"{saved.scope_text()}, priority {saved.priority}")  # fmt: skip


@prices_app.command("import")
def import_command(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            help="CSV (UTF-8 or GBK) or Excel: 规则编码, 类型 (折扣/净价), 数值, 生效日 "
            "[, 失效日, 优先级, 等级, 商品编码, 品类, 地区].",
        ),
    ],
) -> None:
    """Save every rule of a file, or none: a bad row or a conflict (with a saved rule or an
    earlier row) refuses the whole file, naming the rows."""
    rules, lines = read_rules(file)
    saved = save_rules(store_engine(), rules, author=actor(), now=utcnow(), lines=lines)
    _out.print(f"{file.name}: {len(saved)} price rule(s) saved (ids {saved[0].id}–{saved[-1].id})")


@prices_app.command("delete")
def delete_command(rule_id: Annotated[int, typer.Argument(min=1)]) -> None:
    """Delete a rule (announced as price_rule.changed)."""
    delete_rule(store_engine(), rule_id, now=utcnow())
    _out.print(f"price rule {rule_id} deleted")


def _parse_line(text: str) -> Line:
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 4:
        raise UsageError(
            f"--line {text!r} is not SKU,CATEGORY,QUANTITY,LIST_PRICE",
            hint="e.g. --line V001,蔬菜,2,12.50 (an empty category: V001,,2,12.50)",
        )
    try:
        qty, price = Decimal(parts[2]), Decimal(parts[3])
    except InvalidOperation:
        raise UsageError(f"--line {text!r}: quantity and list price are numbers") from None
    if qty <= 0 or price < 0 or not parts[0]:
        raise UsageError(f"--line {text!r}: a SKU, a quantity > 0 and a list price >= 0")
    return Line(parts[0], parts[1] or None, price, qty)


@prices_app.command("quote")
def quote_command(
    customer_id: Annotated[str, typer.Argument(help="The customer's id.")],
    line: Annotated[
        list[str] | None,
        typer.Option(help="SKU,CATEGORY,QUANTITY,LIST_PRICE (repeatable), e.g. V001,蔬菜,2,12.50."),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help="Lines: 商品编码, 品类, 数量, 单价."),
    ] = None,
    day: Annotated[str | None, typer.Option(help="The day to price (default: today).")] = None,
) -> None:
    """Price a customer's lines: per line list price, net price, the rule applied and why."""
    lines = [_parse_line(x) for x in line or []] + (read_lines(file) if file else [])
    if not lines:
        raise UsageError("no line to quote", hint="give --line SKU,CATEGORY,QTY,PRICE or --file")
    engine = store_engine()
    row = CustomerRepo(engine).get(customer_id, full=False)
    if row is None:
        raise NotFoundError(f"no customer {customer_id!r}", customer_id=customer_id)
    when: dt.date = parse_date(day, "--day") or utcnow().date()
    q = quote(engine, customer_id, row.get("province"), when, lines)
    table = Table(
        title=f"quote for {customer_id} (tier {q.tier or 'none'}, region {q.region or '—'}) on "
        f"{q.day}"
    )
    for col in ("sku", "qty", "list price", "net price", "amount", "rule", "why"):
        table.add_column(col, overflow="fold")
    for r in q.lines:
        table.add_row(r.sku, str(r.quantity), f"{r.list_price:.2f}", f"{r.net_price:.2f}",
                      f"{r.amount:.2f}", r.rule or "—", r.why)  # fmt: skip
    _out.print(table)
    _out.print(f"total {q.total:.2f} yuan")

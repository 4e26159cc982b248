"""``tierwise policy``: policy files; ``diff`` shows what a new policy would change (R-GRD-12)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tierwise.cli.main import app
from tierwise.errors import UsageError
from tierwise.pipeline.backfill import NONE
from tierwise.pipeline.diff import PolicyDiff, policy_diff
from tierwise.policy import load_policy
from tierwise.settings import get_settings
from tierwise.store.db import make_engine
from tierwise.store.migrate import upgrade

policy_app = typer.Typer(
    help="Policies: compare a new policy with the published tiers.", no_args_is_help=True
)
app.add_typer(policy_app, name="policy")
_out = Console(highlight=False)


@policy_app.command("diff")
def diff_command(
    new: Annotated[Path, typer.Argument(help="The new policy YAML.")],
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Grade as of this day (default: the current run's)."),
    ] = None,
    lake: Annotated[
        Path | None, typer.Option(help="Lake folder (default $TIERWISE_HOME/lake).")
    ] = None,
    examples: Annotated[int, typer.Option(min=0, max=50, help="Examples per moved cell.")] = 2,
    as_json: Annotated[bool, typer.Option("--json", help="Print the diff as JSON.")] = False,
) -> None:
    """How many customers would move from which published tier to which (nothing is published)."""
    try:
        day = None if as_of is None else dt.date.fromisoformat(as_of)
    except ValueError as err:
        raise UsageError(f"--as-of {as_of!r} is not a date", hint="use YYYY-MM-DD") from err
    settings = get_settings()
    engine = make_engine(settings.state_url)
    try:
        upgrade(engine)
        d = policy_diff(
            load_policy(new), lake=lake or settings.lake_dir, engine=engine, as_of=day,
            policy_dir=new.parent, examples=examples,
        )  # fmt: skip
    finally:
        engine.dispose()
    if as_json:
        _out.print_json(json.dumps(d.as_dict(), default=str, ensure_ascii=False))
        return
    print_diff(d)


def print_diff(d: PolicyDiff) -> None:
    """The dry-run table: published tier (rows) → new tier (columns), then examples."""
    rows: list[str | None] = [*d.current_tiers, None]
    cols: list[str | None] = [*d.new_tiers, None]
    rows += [a for a, _ in d.matrix if a not in rows]
    table = Table(
        title=f"{d.policy_name} as of {d.as_of}: published tier (rows) → new tier (columns)",
        title_justify="left",
    )
    table.add_column("current \\ new")
    for c in cols:
        table.add_column(c or NONE, justify="right")
    for a in rows:
        table.add_row(a or NONE, *[f"{d.matrix.get((a, b), 0):,}" for b in cols])
    _out.print(table)
    _out.print(
        " · ".join(f"{k} {n:,}" for k, n in d.moves.items() if n or k in ("up", "down", "same"))
        + " (before stability rules)"
    )
    for e in d.examples:
        reasons = ", ".join(f"{k} {v:+g}" for k, v in e["reasons"].items())
        _out.print(
            f"  {e['customer_id']}: {e['from'] or NONE} → {e['to'] or NONE}, score "
            f"{e['current_score']} → {e['new_score']}" + (f" ({reasons})" if reasons else "")
        )

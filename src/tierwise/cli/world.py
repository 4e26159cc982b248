"""``tierwise world simulate``: run a generated book forward under a plan (docs/generator.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from tierwise.cli.generate import _progress_bar
from tierwise.cli.main import app
from tierwise.errors import UsageError
from tierwise.policy import DEFAULT_POLICY

world_app = typer.Typer(
    help="The world: run a generated book forward under a plan, with the true effects.",
    no_args_is_help=True,
)
app.add_typer(world_app, name="world")
_out = Console(highlight=False)


@world_app.command("simulate")
def simulate_command(
    book: Annotated[Path, typer.Option(help="The --out folder of `tierwise generate`.")],
    plan: Annotated[Path, typer.Option(help="Plan YAML: start, days, seed, arms.")],
    out: Annotated[Path, typer.Option(help="Where to write lake/, exports/ and truth/.")],
    exports: Annotated[
        bool, typer.Option(help="Also write exports/ (CSV with Chinese headers).")
    ] = True,
    runs: Annotated[
        Path | None,
        typer.Option(help="`of: {tier: …}` reads the latest grading run of this runs folder."),
    ] = None,
    state_url: Annotated[
        str | None,
        typer.Option(
            help="`of: {tier: …}` reads the current tiers of this store (SQLAlchemy URL)."
        ),
    ] = None,
    policy: Annotated[
        Path,
        typer.Option(
            help="Policy that grades the book for `of: {tier: …}` (without --runs/--state-url)."
        ),
    ] = DEFAULT_POLICY,
) -> None:
    """Simulate the days after the book under PLAN; write the lake, exports and the truth.

    An arm's `of: {tier: 黄金}` filter reads the plan's labels CSV when it has a tier column,
    else the latest run of --runs, else the current tiers of --state-url, else the book
    graded as of its last day with --policy.
    """
    from tierwise.world import simulate
    from tierwise.world.tiers import TierSource

    if runs is not None and state_url is not None:
        raise UsageError("give --runs or --state-url, not both")
    tiers = TierSource(runs=runs, state_url=state_url, policy=policy)
    with _progress_bar(_out) as progress:
        result = simulate(book, plan, out, exports=exports, tiers=tiers, progress=progress)
    _out.print(f"wrote {out}/lake, {out}/truth" + (f" and {out}/exports" if exports else ""))
    for name, n in result.rows.items():
        _out.print(f"  {name:18s} {n:>10,}")
    _out.print("true mean effect per arm (treated − control):")
    for arm, metrics in result.ate.items():
        shown = ", ".join(f"{m} {v:+.2f}" for m, v in metrics.items())
        _out.print(f"  {arm}: {shown}")

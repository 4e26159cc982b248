"""``tierwise world simulate``: run a generated book forward under a plan (docs/generator.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from tierwise.cli.generate import _progress_bar
from tierwise.cli.main import app

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
) -> None:
    """Simulate the days after the book under PLAN; write the lake, exports and the truth."""
    from tierwise.world import simulate

    with _progress_bar(_out) as progress:
        result = simulate(book, plan, out, exports=exports, progress=progress)
    _out.print(f"wrote {out}/lake, {out}/truth" + (f" and {out}/exports" if exports else ""))
    for name, n in result.rows.items():
        _out.print(f"  {name:18s} {n:>10,}")
    _out.print("true mean effect per arm (treated − control):")
    for arm, metrics in result.ate.items():
        shown = ", ".join(f"{m} {v:+.2f}" for m, v in metrics.items())
        _out.print(f"  {arm}: {shown}")

"""``tierwise profiles refresh``: rebuild the API's customer read model."""

from __future__ import annotations

import typer
from rich.console import Console
from sqlalchemy import Engine

from tierwise.api.auth import utcnow
from tierwise.cli.main import app
from tierwise.lake import has_table, require_table
from tierwise.settings import Settings, get_settings
from tierwise.store.db import make_engine
from tierwise.store.migrate import upgrade
from tierwise.store.profiles import refresh_profiles

profiles_app = typer.Typer(help="The API's customer read model.", no_args_is_help=True)
app.add_typer(profiles_app, name="profiles")
_out = Console(highlight=False)


def refresh_if_possible(settings: Settings, engine: Engine, out: Console) -> None:
    """Refresh when the lake has customers; say so and go on when it has none."""
    if not has_table(settings.lake_dir, "customers"):
        out.print(f"no customers in the lake at {settings.lake_dir}: read model left as it is")
        return
    with out.status("refreshing customer profiles ..."):
        s = refresh_profiles(engine, settings.lake_dir, settings.runs_dir, now=utcnow())
    out.print(
        f"customer profiles: {s.customers:,} customers, {s.graded:,} graded, "
        f"run {s.run_id or '—'}{'' if s.details or not s.run_id else ' (no run details found)'}"
    )


@profiles_app.command("refresh")
def refresh_command() -> None:
    """Rebuild customer_profiles from the lake, the published tiers and the current run."""
    settings = get_settings()
    engine = make_engine(settings.state_url)
    upgrade(engine)
    require_table(settings.lake_dir, "customers")
    refresh_if_possible(settings, engine, _out)

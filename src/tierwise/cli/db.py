"""``tierwise db``: create or upgrade the operational store."""

from __future__ import annotations

import typer
from alembic.runtime.migration import MigrationContext
from rich.console import Console

from tierwise.cli.main import app
from tierwise.settings import get_settings
from tierwise.store.db import make_engine
from tierwise.store.migrate import upgrade

db_app = typer.Typer(
    help="The operational store (runs, current tiers, history, webhooks).", no_args_is_help=True
)
app.add_typer(db_app, name="db")
_out = Console(highlight=False)


@db_app.command("upgrade")
def upgrade_command() -> None:
    """Create the store or bring it to the latest schema (idempotent)."""
    settings = get_settings()
    engine = make_engine(settings.state_url)
    upgrade(engine)
    with engine.connect() as conn:
        rev = MigrationContext.configure(conn).get_current_revision()
    _out.print(f"store at {engine.url.render_as_string(hide_password=True)} is at revision {rev}")

"""``tierwise webhooks deliver``: send the webhook outbox without ``tierwise serve`` (R-INT-1)."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Console

from tierwise.cli.main import app
from tierwise.settings import get_settings

webhooks_app = typer.Typer(help="Webhook outbox (tier changes to CRM/ERP).", no_args_is_help=True)
app.add_typer(webhooks_app, name="webhooks")
_out = Console(highlight=False)


@webhooks_app.command("deliver")
def deliver(
    watch: Annotated[
        bool, typer.Option(help="Keep delivering every TIERWISE_WEBHOOK_POLL_SECONDS.")
    ] = False,
) -> None:
    """Send the due messages, one deliverer at a time (a lease shared with `serve`)."""
    from tierwise.pipeline.delivery import OutboxSender
    from tierwise.store.db import make_engine
    from tierwise.store.migrate import upgrade

    settings = get_settings()
    engine = make_engine(settings.state_url)
    upgrade(engine)
    sender = OutboxSender(engine, settings)
    try:
        while True:
            report = sender.deliver()
            if report is None:
                held = sender.holder.holder()
                who = f"{held[0]} until {held[1]:%H:%M:%S} UTC" if held else "another process"
                _out.print(f"another deliverer holds the lease ({who}); nothing sent")
            elif report.delivered or report.failed or not watch:
                _out.print(
                    f"webhooks: {report.delivered} delivered, {report.failed} failed"
                    f" ({report.dead} dead)"
                )
                for err in report.errors[:5]:
                    _out.print(f"  {err}")
            if not watch:
                return
            time.sleep(settings.webhook_poll_seconds)
    except KeyboardInterrupt:
        pass
    finally:
        sender.close()
        engine.dispose()

"""``tierwise serve``: the REST API under uvicorn (store upgraded, read model refreshed)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from tierwise.cli.main import app
from tierwise.settings import get_settings

_out = Console(highlight=False, stderr=True)


@app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    refresh: Annotated[
        bool, typer.Option(help="Rebuild the customer read model from the lake first.")
    ] = True,
) -> None:
    """Serve the REST API (docs at /docs, schema at /openapi.json)."""
    from tierwise.api import server
    from tierwise.api.auth import serving_secret_warning, signing_key
    from tierwise.cli.profiles import refresh_if_possible
    from tierwise.pipeline.delivery import DeliveryLoop
    from tierwise.pipeline.scheduler import start_scheduler
    from tierwise.store.db import make_engine
    from tierwise.store.migrate import upgrade

    settings = get_settings()
    signing_key(settings)  # refuse a default secret before anything else
    warning = serving_secret_warning(settings, host)  # refuses a non-loopback address
    if warning:
        _out.print(warning)
    engine = make_engine(settings.state_url)
    upgrade(engine)
    if refresh:
        refresh_if_possible(settings, engine, _out)
    engine.dispose()
    # Scheduled runs (TIERWISE_SCHEDULES) are started by this process only, never by each worker.
    scheduler = start_scheduler(settings, make_engine(settings.state_url))
    if scheduler is not None:
        names = ", ".join(f"{s.name} ({s.cron}, {s.timezone})" for s in settings.schedules)
        _out.print(f"scheduled grading runs: {names}")
    # the webhook outbox: delivered by this process only (and one process across services)
    delivery = DeliveryLoop(make_engine(settings.state_url), settings).start()
    _out.print(f"serving on http://{host}:{port} (docs at /docs)")
    try:
        server.run(host, port, workers)
    finally:
        delivery.stop()
        if scheduler is not None:
            scheduler.shutdown(wait=False)

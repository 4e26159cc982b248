"""Entry point of the ``tierwise`` command.

Commands live in one module per noun (``tierwise.cli.<noun>``) and register themselves on
:data:`app` through :func:`register`. :func:`run` turns every :class:`TierwiseError` into one
clear line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import importlib
import os
import sys

import typer
from rich.console import Console

from tierwise.errors import TierwiseError

app = typer.Typer(
    name="tierwise",
    help="Tierwise: customer grading (客户分级) and tiered operations for B2B food distributors.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """Tierwise: customer grading (客户分级) and tiered operations for B2B food distributors."""


# Each module adds its commands to `app` on import: the first word of a command line → the
# module that registers it (tests/cli/test_main.py checks this against what the modules
# register). Only that module is imported, so `tierwise runs list` does not pay for the
# imports of every other command (Ibis, FastAPI, scikit-learn …); `tierwise --help`, no
# command or an unknown one loads them all, so help and "no such command" list everything.
COMMAND_MODULES: dict[str, str] = {
    "docs": "tierwise.cli.docs",
    "db": "tierwise.cli.db",
    "generate": "tierwise.cli.generate",
    "demo": "tierwise.cli.generate",
    "ingest": "tierwise.cli.ingest",
    "clean": "tierwise.cli.clean",
    "grade": "tierwise.cli.grade",
    "explain": "tierwise.cli.grade",
    "features": "tierwise.cli.grade",
    "runs": "tierwise.cli.runs",
    "model": "tierwise.cli.model",
    "evaluate": "tierwise.cli.evaluate",
    "events": "tierwise.cli.events",
    "backfill": "tierwise.cli.backfill",
    "policy": "tierwise.cli.policy",
    "serve": "tierwise.cli.serve",
    "profiles": "tierwise.cli.profiles",
    "user": "tierwise.cli.users",
    "apikey": "tierwise.cli.users",
    "analyze": "tierwise.cli.analyze",
    "report": "tierwise.cli.report",
    "tasks": "tierwise.cli.tasks",
    "world": "tierwise.cli.world",
    "recommend": "tierwise.cli.recommend",
    "webhooks": "tierwise.cli.webhooks",
    "experiment": "tierwise.cli.experiment",
    "pilot": "tierwise.cli.experiment",
    "spotcheck": "tierwise.cli.experiment",
}

_err = Console(stderr=True, highlight=False)


def _load_commands(argv: list[str] | None = None) -> None:
    """Import the module of the command ``argv`` names, or every command module."""
    words = [a for a in (argv or [])[1:2] if not a.startswith("-")]
    module = COMMAND_MODULES.get(words[0]) if words else None
    for name in [module] if module else dict.fromkeys(COMMAND_MODULES.values()):
        importlib.import_module(name)


def run() -> None:
    """Run the CLI; map errors to one line and an exit code."""
    _load_commands(sys.argv)
    try:
        app()
    except TierwiseError as err:
        _err.print(f"[bold red]error:[/] {err}", soft_wrap=True, markup=True)
        sys.exit(err.exit_code)
    except KeyboardInterrupt:
        _err.print("interrupted")
        sys.exit(130)
    except Exception as err:  # the last line of defence: never a raw traceback to a user
        if os.environ.get("TIERWISE_DEBUG"):
            raise
        _err.print(
            f"[bold red]internal error:[/] {type(err).__name__}: {err} "
            "(set TIERWISE_DEBUG=1 to see the traceback, and please report it)",
            soft_wrap=True,
        )
        sys.exit(70)

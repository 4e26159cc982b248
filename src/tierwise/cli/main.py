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


# Each module adds its commands to `app` on import. Keep one line per noun.
_COMMAND_MODULES = (
    "tierwise.cli.docs",
    "tierwise.cli.db",
    "tierwise.cli.generate",
    "tierwise.cli.ingest",
    "tierwise.cli.clean",
    "tierwise.cli.grade",
    "tierwise.cli.runs",
    "tierwise.cli.model",
    "tierwise.cli.evaluate",
    "tierwise.cli.events",
    "tierwise.cli.backfill",
    "tierwise.cli.policy",
    "tierwise.cli.serve",
    "tierwise.cli.profiles",
    "tierwise.cli.users",
    "tierwise.cli.analyze",
    "tierwise.cli.report",
    "tierwise.cli.tasks",
)

_err = Console(stderr=True, highlight=False)


def _load_commands() -> None:
    for name in _COMMAND_MODULES:
        importlib.import_module(name)


def run() -> None:
    """Run the CLI; map errors to one line and an exit code."""
    _load_commands()
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

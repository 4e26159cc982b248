"""Entry point of the ``tierwise`` command.

Commands live in one module per noun (``tierwise.cli.<noun>``) and register themselves on
:data:`app` through :func:`register`. :func:`run` turns every :class:`TierwiseError` into one
clear line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import importlib
import os
import sys

# Plain click help and usage errors, not Rich's boxes: Rich's help formatter alone took 0.35 s
# of a subcommand's 1.2 s `--help` on this 2-core machine (issue 19 item 7; a two-command
# Typer app's help takes as long). TYPER_USE_RICH=1 brings the boxes back.
os.environ.setdefault("TYPER_USE_RICH", "0")

import typer  # reads TYPER_USE_RICH when imported
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
# imports of every other command (Ibis, FastAPI, scikit-learn …); `tierwise --help` and no
# command list COMMAND_HELP without importing any; an unknown one loads them all, so
# "no such command" lists everything.
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
    "benefits": "tierwise.cli.benefits",
    "prices": "tierwise.cli.prices",
    "tags": "tierwise.cli.tags",
    "audience": "tierwise.cli.tags",
    "world": "tierwise.cli.world",
    "recommend": "tierwise.cli.recommend",
    "webhooks": "tierwise.cli.webhooks",
    "experiment": "tierwise.cli.experiment",
    "pilot": "tierwise.cli.experiment",
    "spotcheck": "tierwise.cli.experiment",
    "credit": "tierwise.cli.credit",
    "service": "tierwise.cli.service",
    "visits": "tierwise.cli.visits",
    "surveys": "tierwise.cli.surveys",
    "supply": "tierwise.cli.supply",
    "campaigns": "tierwise.cli.campaigns",
}

# The one-line help of each command, shown by `tierwise --help` (and with no command) without
# importing any command module, so help starts as fast as Typer and Rich do (issue 19 item 7).
# tests/cli/test_main.py checks it against what the modules register.
COMMAND_HELP: dict[str, str] = {
    "docs": "Write docs/data-model.md and docs/tag-catalogue.md from their declarations.",
    "db": "The operational store (runs, current tiers, history, webhooks).",
    "generate": "Generate a distributor's book: clean lake, dirty exports and the ground truth.",
    "demo": "Generate, ingest, clean, grade and publish the demo book, then serve the console.",
    "ingest": "Load exports into the raw lake: validate every row, quarantine the bad ones with a reason.",
    "clean": "De-duplicate customers, drop duplicate rows, standardize names and addresses, flag outliers.",
    "grade": "Grade every customer: features → scores → tiers → layers → tags → explanations.",
    "explain": "Why a customer has their tier, what each feature contributed, how to move up.",
    "features": "Compute every feature of the catalog for every customer as of a date.",
    "runs": "Grading runs and tier history in the operational store.",
    "model": "Fit, save and list models: CLV, churn, value and learned weights.",
    "evaluate": "Grade as of past dates with each policy and score it against next-period spend.",
    "events": "Real-time events: consume them from Redis Streams and regrade, or send some.",
    "backfill": "Replay grading as of each date: the tier mix per date and the migrations between dates.",
    "policy": "Policies: compare a new policy with the published tiers.",
    "serve": "Serve the REST API (docs at /docs, schema at /openapi.json).",
    "profiles": "The API's customer read model.",
    "user": "API users (people who sign in).",
    "apikey": "API keys (systems: CRM, ERP, the customer app).",
    "analyze": "Evaluate a published run: metrics per tier, effect of tier changes.",
    "report": "Write a run's analysis report: tier distribution, migration from the previous run,",
    "tasks": "Churn retention call-back tasks (R-OPS-5) of account managers.",
    "benefits": "Benefits (R-OPS-2): grants by tier, redemptions, use and cost.",
    "prices": "Tier price rules (R-OPS-3): list, add, import from CSV/Excel, quote.",
    "tags": "The tag catalogue (300+ tags), snapshots, health.",
    "audience": "Audiences: who an operation targets.",
    "world": "The world: run a generated book forward under a plan, with the true effects.",
    "recommend": "Product recommendations (R-OPS-7): buy again and new to you.",
    "webhooks": "Webhook outbox (tier changes to CRM/ERP).",
    "experiment": "A/B tests of tier strategies (R-ANA-5): design, start, analyse, export.",
    "pilot": "City pilots (灰度, R-GRD-11) of a policy change.",
    "spotcheck": "Manual spot checks (人工抽检, R-GRD-11) of a run's changes.",
    "credit": "Credit risk control (R-OPS-4): risk scores, terms, order checks, holds.",
    "service": "Differentiated service (R-OPS-1): ticket queue, breaches, delivery-priority list.",
    "visits": "Sales visits (R-OPS-8): cadence by tier, day plans and routes, check-in, adherence.",
    "surveys": "NPS surveys (R-OPS-8): waves sampled by tier, answers loaded, NPS per tier.",
    "supply": "Supply chain by tier (R-OPS-9): forecasts, replenishment proposal, allocation.",
    "campaigns": "Campaigns by tier (R-OPS-6): define, send through the outbox, coupons, report vs holdout.",
}

_err = Console(stderr=True, highlight=False)


def _root_help(argv: list[str] | None) -> bool:
    """Whether ``argv`` asks for the list of commands only (no command, or ``--help``)."""
    return argv is not None and (argv[1:] == [] or argv[1:] in (["--help"], ["-h"]))


def _register_help_stubs() -> None:
    """Commands that carry only their help line: what the root help lists."""
    for name, text in COMMAND_HELP.items():
        app.command(name, help=text)(lambda: None)


def _load_commands(argv: list[str] | None = None) -> None:
    """Import the module of the command ``argv`` names, or every command module (an unknown
    command, so that "no such command" lists everything); for the root help, only the help
    lines of :data:`COMMAND_HELP`."""
    if _root_help(argv):
        _register_help_stubs()
        return
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

"""``tierwise runs``: the grading runs recorded in the operational store, and tier history."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from tierwise.cli.checks import print_check
from tierwise.cli.main import app

if TYPE_CHECKING:
    from tierwise.store.runs import RunStore

# SQLAlchemy and Alembic are imported by the commands that open the store: `tierwise runs
# --help` loads Typer and Rich only (issue 19 item 7).

runs_app = typer.Typer(
    help="Grading runs and tier history in the operational store.", no_args_is_help=True
)
app.add_typer(runs_app, name="runs")
_out = Console(highlight=False)


def _store() -> RunStore:
    from tierwise.settings import get_settings
    from tierwise.store.db import make_engine
    from tierwise.store.migrate import upgrade
    from tierwise.store.runs import RunStore

    engine = make_engine(get_settings().state_url)
    upgrade(engine)
    return RunStore(engine)


@runs_app.command("list")
def list_command(
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many, newest first.")] = 20,
) -> None:
    """Recent runs: status, policy, as_of, customers and changes."""
    from rich.table import Table
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from tierwise.store.schema import Run

    store = _store()
    with Session(store.engine) as session:
        runs = session.scalars(select(Run).order_by(Run.started_at.desc()).limit(limit)).all()
    current = store.current_run()
    table = Table(title="grading runs (newest first)")
    for col in ("run", "status", "trigger", "policy", "as_of", "customers", "changes"):
        table.add_column(col)
    for r in runs:
        mark = " ◀ current" if current is not None and r.id == current.id else ""
        changes = r.counts.get("changes", {}) if r.counts else {}
        table.add_row(
            r.id + mark,
            r.status + (f": {r.error}" if r.error else ""),
            r.trigger,
            r.policy_name,
            r.as_of.isoformat(),
            f"{r.counts.get('customers', '')}" if r.counts else "",
            ", ".join(f"{k} {v}" for k, v in sorted(changes.items())),
        )
    _out.print(table)


@runs_app.command("history")
def history_command(customer_id: str) -> None:
    """A customer's published tier changes, with their reasons."""
    from rich.table import Table

    store = _store()
    changes = store.history(customer_id)
    if not changes:
        _out.print(f"no tier changes recorded for {customer_id}")
        return
    table = Table(title=f"tier history of {customer_id}")
    for col in ("effective", "from", "to", "reason", "run"):
        table.add_column(col)
    for c in changes:
        table.add_row(
            c.effective.isoformat(),
            c.from_tier or "—",
            c.to_tier or "—",
            c.reason_code,
            c.run_id or "",
        )
    _out.print(table)


@runs_app.command("review")
def review_command(run_id: str) -> None:
    """A run's spot-check sample: what must be reviewed before a held run can be published."""

    from tierwise.pipeline.review import gate

    store = _store()
    g = gate(store.engine, run_id)
    run, check = g["run"], g["check"]
    _out.print(f"run {run_id}: {run['status']}")
    if check is None:
        _out.print("no spot check (its policy has no review: block; tierwise spotcheck open)")
        return
    print_check(_out, check, f"spot check {check['id']} ({check['status']})")
    if run["status"] == "awaiting_review":
        _out.print(
            f"{g['unreviewed']} of {check['sampled']} without a verdict"
            + (
                f" (tierwise spotcheck review ITEM agree|disagree), then: tierwise runs publish {run_id}"
                if g["unreviewed"]
                else f"; ready: tierwise runs publish {run_id}"
            )
        )


@runs_app.command("publish")
def publish_command(run_id: str) -> None:
    """Publish a run held for its spot check (awaiting_review) once every sampled change
    has its verdict."""
    import datetime as dt

    from tierwise.cli.experiment import actor
    from tierwise.pipeline.review import release_run
    from tierwise.settings import get_settings

    settings = get_settings()
    store = _store()
    done = release_run(
        store.engine,
        run_id,
        runs=settings.runs_dir,
        lake=settings.lake_dir,
        actor=actor(),
        clock=lambda: dt.datetime.now(dt.UTC).replace(tzinfo=None),
    )
    changes = ", ".join(f"{k} {v}" for k, v in sorted(done.summary.changes.items())) or "none"
    _out.print(f"run {run_id} published: {done.summary.customers} customers, changes: {changes}")

"""``tierwise tasks``: churn retention call-back tasks (R-OPS-5, docs/operations.md).

The CLI is the operator's tool: it sees every task (no role scope) and records changes as
``cli:<login name>`` in the task's log.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tierwise.cli.common import actor, store_engine, utcnow
from tierwise.cli.main import app
from tierwise.errors import UsageError
from tierwise.ops.retention import STATUSES, update_task
from tierwise.ops.tasks import TaskFilter, list_tasks

tasks_app = typer.Typer(
    help="Churn retention call-back tasks (R-OPS-5) of account managers.", no_args_is_help=True
)
app.add_typer(tasks_app, name="tasks")
_out = Console(highlight=False)


@tasks_app.command("list")
def list_command(
    status: Annotated[
        str | None, typer.Option(help="open, in_progress, done, cancelled or recovered.")
    ] = None,
    manager: Annotated[str | None, typer.Option(help="Account-manager id, e.g. AM003.")] = None,
    tier: Annotated[str | None, typer.Option(help="The customer's current tier.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="How many.")] = 50,
) -> None:
    """Retention tasks, the ones still to do first (by due date)."""
    if status is not None and status not in STATUSES:
        raise UsageError(
            f"--status {status!r} is not a task status", hint="one of " + ", ".join(STATUSES)
        )
    rows, total = list_tasks(
        store_engine(), TaskFilter(status=status, manager=manager, tier=tier), today=utcnow().date(),
        limit=limit,
    )  # fmt: skip
    if not rows:
        _out.print("no retention tasks" + (" match" if status or manager or tier else " yet"))
        return
    table = Table(title=f"retention tasks ({len(rows)} of {total})")
    for col in ("id", "customer", "tier", "manager", "status", "due", "opened by", "note"):
        table.add_column(col)
    for r in rows:
        due = r["due_date"].isoformat() + (" overdue" if r["overdue"] else "")
        table.add_row(
            str(r["id"]),
            f"{r['customer_id']} {r['customer_name'] or ''}".strip(),
            r["tier"] or "—",
            r["account_manager"] or "—",
            r["status"],
            due,
            r["source"] + (f" {r['run_id']}" if r["run_id"] else ""),
            r["note"] or "",
        )
    _out.print(table)


def _change(task_id: int, status: str, note: str | None) -> None:
    row = update_task(store_engine(), task_id, status, actor=actor(), now=utcnow(), note=note)
    _out.print(f"task {task_id} ({row['customer_id']}) is now {row['status']}")


@tasks_app.command("done")
def done_command(
    task_id: Annotated[int, typer.Argument(min=1, help="The task's id (tierwise tasks list).")],
    note: Annotated[str, typer.Option(help="What came of the call-back (required).")],
) -> None:
    """Close a task as done, with the outcome."""
    _change(task_id, "done", note)


@tasks_app.command("update")
def update_command(
    task_id: Annotated[int, typer.Argument(min=1, help="The task's id (tierwise tasks list).")],
    status: Annotated[str, typer.Option(help="open, in_progress, done or cancelled.")],
    note: Annotated[str | None, typer.Option(help="Required for done and cancelled.")] = None,
) -> None:
    """Move a task on (in progress, back to open, done, cancelled)."""
    _change(task_id, status, note)

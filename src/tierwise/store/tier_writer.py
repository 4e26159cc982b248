"""The one writer of tier state: current tiers, their history, the outbox, and the hooks.

Both paths that decide tiers write through here, inside the caller's transaction:

- a batch publication (:meth:`tierwise.store.runs.RunStore.publish`) calls
  :func:`write_run`: every customer's state is replaced at once;
- a real-time regrade (:class:`tierwise.realtime.regrade.Regrader`) calls
  :func:`write_regrade`: the regraded customers' states are upserted.

Each then records the changes in ``tier_changes``, queues them for the webhooks
(:func:`tierwise.store.webhooks.enqueue_tier_changes`) and calls every registered
**tier-write hook** with the same connection: an operations module (benefit grants, credit
terms, price lists, visit cadences) adds its own writes there, in the same transaction as the
tier change it follows. If a hook raises, nothing is written (the publication fails, or the
events are not stored). See docs/architecture.md, "Adding an operations module".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import pyarrow as pa
from sqlalchemy import Connection, insert
from sqlalchemy.dialects import postgresql, sqlite

from tierwise.store.bulk import insert_arrow, replace_table
from tierwise.store.schema import Base, CustomerTier, TierChange
from tierwise.store.webhooks import enqueue_tier_changes

_T = Base.metadata.tables

STATE_COLUMNS = (
    "tier",
    "score",
    "run_id",
    "since",
    "runs_below",
    "below_since",
    "downgrade_warning",
    "updated_at",
)

CHANGES = pa.schema(
    [
        ("customer_id", pa.string()),
        ("run_id", pa.string()),
        ("from_tier", pa.string()),
        ("to_tier", pa.string()),
        ("changed_at", pa.timestamp("us")),
        ("effective", pa.date32()),
        ("reason_code", pa.string()),
        ("reason", pa.string()),
    ]
)


@dataclass(frozen=True)
class TierWrite:
    """What one publication or one real-time regrade wrote, as a hook sees it.

    Attributes
    ----------
    source:
        ``"run"`` (a batch publication) or ``"realtime"`` (a regrade from events).
    run_id:
        The published run (a regrade: the run whose cutoffs it used).
    customers:
        The customers whose state was decided (changed or not).
    changes:
        The tier changes written, with the columns of ``tier_changes``
        (``customer_id, run_id, from_tier, to_tier, changed_at, effective, reason_code,
        reason``; ``reason`` as JSON text).
    now:
        The wall-clock time of the write (naive UTC).
    """

    source: Literal["run", "realtime"]
    run_id: str
    customers: pa.Array
    changes: pa.Table
    now: datetime


TierWriteHook = Callable[[Connection, TierWrite], object]
_HOOKS: dict[str, TierWriteHook] = {}


def register_hook(name: str, hook: TierWriteHook) -> None:
    """Call ``hook(conn, write)`` after every tier write, in its transaction.

    ``name`` identifies the module (registering the same name again replaces its hook).
    Hooks run in the order they were registered; a hook must not write ``customer_tiers``
    or ``tier_changes`` (tier state has one writer: this module).
    """
    _HOOKS[name] = hook


def unregister_hook(name: str) -> None:
    """Remove the hook registered as ``name`` (no error if there is none)."""
    _HOOKS.pop(name, None)


@contextmanager
def hook(name: str, fn: TierWriteHook) -> Iterator[None]:
    """Register ``fn`` as ``name`` for the duration of a ``with`` block (tests, scripts)."""
    register_hook(name, fn)
    try:
        yield
    finally:
        unregister_hook(name)


def _after(conn: Connection, write: TierWrite) -> None:
    if write.changes.num_rows:
        enqueue_tier_changes(conn, write.run_id, write.changes, write.now)
    for fn in list(_HOOKS.values()):
        fn(conn, write)


def write_run(
    conn: Connection, run_id: str, state: pa.Table, changes: pa.Table, now: datetime
) -> None:
    """A batch publication: replace every customer's state by ``state`` (the columns of
    ``customer_tiers``), append ``changes`` to the history, queue them, call the hooks."""
    replace_table(conn, _T["customer_tiers"], state)
    insert_arrow(conn, _T["tier_changes"], changes, json_columns=("reason",))
    _after(conn, TierWrite("run", run_id, state["customer_id"].combine_chunks(), changes, now))


def _insert(conn: Connection) -> Any:
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


def write_regrade(
    conn: Connection,
    run_id: str,
    states: Sequence[Mapping[str, Any]],
    changes: Sequence[Mapping[str, Any]],
    now: datetime,
) -> None:
    """A real-time regrade: upsert ``states`` (rows of ``customer_tiers``), append
    ``changes`` (rows of ``tier_changes``, ``reason`` as a dict), queue them, call the hooks."""
    if states:
        ins = _insert(conn)(CustomerTier)
        conn.execute(
            ins.on_conflict_do_update(
                index_elements=["customer_id"],
                set_={k: getattr(ins.excluded, k) for k in STATE_COLUMNS},
            ),
            list(states),
        )
    if changes:
        conn.execute(insert(TierChange), list(changes))
    if not changes and not _HOOKS:
        return
    table = pa.Table.from_pylist(
        [{**ch, "reason": json.dumps(ch["reason"], default=str)} for ch in changes],
        schema=CHANGES,
    )
    customers = pa.array([s["customer_id"] for s in states], pa.string())
    _after(conn, TierWrite("realtime", run_id, customers, table, now))

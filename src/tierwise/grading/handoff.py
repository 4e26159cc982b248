"""Read a finished grading run back: the one reader of a run's folder (issue 16 item 4).

The run folder (:mod:`tierwise.grading.layout`) is the contract; :mod:`tierwise.grading.run`
writes it and this module is the one place that reads it: the record (``run.json``), the
assignments and the features, one customer's rows, and the store's inputs (assignments as
``customer_id``, ``tier``, ``score``, ``status``; cutoffs; the policy's stability rule).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tierwise.grading import layout
from tierwise.policy import Policy, parse_policy
from tierwise.policy.tiering import GRADED, Cutoff
from tierwise.tierstate.decide import StabilityRule


def is_run(path: Path) -> bool:
    """Whether ``path`` is a finished run's folder (it has its ``run.json``)."""
    return (path / layout.RUN_JSON).is_file()


def read_record(path: Path) -> dict[str, Any]:
    """The run's ``run.json``: policy, as_of, entity, counts, cutoffs, unavailable features …"""
    record: dict[str, Any] = json.loads((path / layout.RUN_JSON).read_text(encoding="utf-8"))
    return record


def read_assignments(
    path: Path, columns: list[str] | None = None, *, entity_id: str | None = None
) -> pa.Table:
    """The run's assignments (all columns, or ``columns``; one entity's row)."""
    return _read(path / layout.ASSIGNMENTS, columns, entity_id)


def read_features(
    path: Path, columns: list[str] | None = None, *, entity_id: str | None = None
) -> pa.Table:
    """The features the run's policy read, one row per entity (or ``entity_id``'s)."""
    return _read(path / layout.FEATURES, columns, entity_id)


def _read(file: Path, columns: list[str] | None, entity_id: str | None) -> pa.Table:
    filters = None if entity_id is None else [("entity_id", "=", entity_id)]
    return pq.read_table(file, columns=columns, filters=filters)


def assignments_file(path: Path) -> Path:
    """The run's assignments file, for an engine that reads it itself (DuckDB via Ibis)."""
    return path / layout.ASSIGNMENTS


def has_details(path: Path) -> tuple[bool, bool]:
    """Whether the run's assignments and its features files are there."""
    return (path / layout.ASSIGNMENTS).is_file(), (path / layout.FEATURES).is_file()


@dataclass(frozen=True)
class RunOutput:
    """A run as written: its record, policy, assignments and cutoffs."""

    path: Path
    record: dict[str, Any]
    policy: Policy
    cutoffs: list[Cutoff]

    @property
    def run_id(self) -> str:
        return str(self.record["run_id"])

    @property
    def as_of(self) -> dt.date:
        return dt.date.fromisoformat(self.record["as_of"])

    def assignments(
        self, columns: list[str] | None = None, *, entity_id: str | None = None
    ) -> pa.Table:
        """The assignments table (all columns, or ``columns``; one entity's row)."""
        return read_assignments(self.path, columns, entity_id=entity_id)

    def features(
        self, columns: list[str] | None = None, *, entity_id: str | None = None
    ) -> pa.Table:
        """The features table (all columns, or ``columns``; one entity's row)."""
        return read_features(self.path, columns, entity_id=entity_id)

    def columns(self) -> list[str]:
        """The assignments table's column names (read from the file's footer)."""
        return list(pq.read_schema(self.path / layout.ASSIGNMENTS).names)

    def store_assignments(self) -> pa.Table:
        """``customer_id, tier, score, status`` of the graded customers: the store's input.

        The entity id is the customer id of an outlet run, the account id of an account
        run. Customers with ``insufficient_data`` have no tier and are left out (the store
        refuses an untiered row; a customer absent from a run keeps their published state).
        """
        t = self.assignments(["entity_id", "tier", "score", "status"])
        t = t.filter(pc.equal(t["status"], GRADED))
        return t.rename_columns(["customer_id", "tier", "score", "status"])

    def stability_rule(self) -> StabilityRule:
        """The policy's stability settings as the store applies them."""
        s = self.policy.stability
        return StabilityRule(
            downgrade_after_runs=s.downgrade_after_runs,
            downgrade_after_days=s.downgrade_after_days,
            max_steps_down=s.max_steps_down,
            stay_margin=s.stay_margin,
        )


def read_run(path: Path) -> RunOutput:
    """Read the run in folder ``path``."""
    record = read_record(path)
    policy = parse_policy(record["policy"], source=str(path / layout.RUN_JSON))
    return RunOutput(path, record, policy, [Cutoff(**c) for c in record["cutoffs"]])

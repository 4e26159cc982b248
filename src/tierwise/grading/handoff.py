"""Read a finished grading run back, in the shapes the operational store publishes.

The run folder (:mod:`tierwise.grading.layout`) is the contract; this module is the one
place that turns it into the store's inputs: assignments (``customer_id``, ``tier``,
``score``, ``status``), cutoffs (tier, rank, min_score) and the policy's stability rule.
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

    def assignments(self, columns: list[str] | None = None) -> pa.Table:
        """The assignments table (all columns, or ``columns``)."""
        return pq.read_table(self.path / layout.ASSIGNMENTS, columns=columns)

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
    record = json.loads((path / layout.RUN_JSON).read_text(encoding="utf-8"))
    policy = parse_policy(record["policy"], source=str(path / layout.RUN_JSON))
    return RunOutput(path, record, policy, [Cutoff(**c) for c in record["cutoffs"]])

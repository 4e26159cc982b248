"""What a regrade needs from the latest published run, loaded once per run.

The run's ``features.parquet`` is read once into memory (keyed by customer), with its policy,
cutoffs and stability rule and the compiled scorer; :class:`RunContext` is rebuilt only when
another run becomes current.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from tierwise.errors import NotFoundError, UsageError
from tierwise.grading.handoff import is_run, read_run
from tierwise.policy import Policy
from tierwise.policy.schema import ModelScore
from tierwise.policy.tiering import Cutoff, tier_for_score
from tierwise.realtime.scorer import Scorer
from tierwise.tierstate.decide import StabilityRule


@dataclass
class RunContext:
    """The current run: policy, cutoffs, stability rule, features by customer, scorer."""

    run_id: str
    as_of: dt.date
    started_at: dt.datetime
    policy: Policy
    cutoffs: list[Cutoff]
    rule: StabilityRule
    features: pa.Table
    scorer: Scorer
    index: dict[str, int] = field(default_factory=dict)

    @property
    def order(self) -> list[str]:
        """Tier codes, top tier first."""
        return [lv.code for lv in self.policy.tiers.levels]

    @property
    def stay_cutoffs(self) -> dict[str, float | None]:
        return {c.tier: c.min_score for c in self.cutoffs}

    @property
    def columns(self) -> list[str]:
        """Feature columns (without ``entity_id``)."""
        return [c for c in self.features.column_names if c != "entity_id"]

    def base_rows(self, customer_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The run's feature rows of these customers (absent: the run did not know them)."""
        pos = [self.index[c] for c in customer_ids if c in self.index]
        rows = self.features.take(pa.array(pos, pa.int64())).to_pylist() if pos else []
        return {r["entity_id"]: r for r in rows}

    def tier_of(self, eligible: bool, score: float | None, rule_rank: int | None) -> str | None:
        """The tier of a regraded customer against this run's cutoffs (never a re-rank)."""
        if not eligible or score is None:
            return None
        if self.policy.tiers.method == "threshold":
            return self.order[rule_rank if rule_rank is not None else len(self.order) - 1]
        return tier_for_score(score, self.cutoffs).tier


def load_context(run_id: str, started_at: dt.datetime, runs: Path) -> RunContext:
    """Read run ``run_id`` from its folder under ``runs``."""
    path = runs / run_id
    if not is_run(path):
        raise NotFoundError(
            f"the current run {run_id!r} has no folder under {runs}",
            hint="point the regrade at the runs directory the run was graded into",
            run_id=run_id,
        )
    out = read_run(path)
    policy = out.policy
    if policy.entity != "outlet":
        raise UsageError(
            f"real-time regrade supports outlet policies; {policy.name!r} grades {policy.entity}s",
            hint="account-level tiers are regraded by the next batch run",
        )
    if isinstance(policy.score, ModelScore) or policy.predictions is not None:
        raise UsageError(
            f"real-time regrade cannot rescore {policy.name!r}: it reads a model's output",
            hint="model scores are regraded by the next batch run",
        )
    features = out.features()
    ctx = RunContext(
        run_id=run_id,
        as_of=out.as_of,
        started_at=started_at,
        policy=policy,
        cutoffs=out.cutoffs,
        rule=out.stability_rule(),
        features=features,
        scorer=Scorer(policy, features.schema, features),
    )
    ctx.index = {c: i for i, c in enumerate(features["entity_id"].to_pylist())}
    return ctx

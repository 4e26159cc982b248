"""The demo pipeline: the steps ``tierwise demo`` runs, in order.

Later work adds its steps here (ingest the exports, clean, grade, serve the console); each
step reads what earlier steps left in the :class:`DemoContext` and adds its own results.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tierwise.generate import GenerateConfig, GenerateResult, generate
from tierwise.generate.book import ProgressFn
from tierwise.generate.config import DEFAULT_END_DATE
from tierwise.generate.summary import BookSummary, read_summary
from tierwise.grading.layout import runs_dir
from tierwise.grading.run import run_grading
from tierwise.policy import DEFAULT_POLICY, load_policy

DEMO_CUSTOMERS = 2000
DEMO_MONTHS = 30
DEMO_SEED = 20261031


@dataclass
class DemoContext:
    """What the demo steps share: where to work, the options, and each step's results."""

    home: Path
    customers: int = DEMO_CUSTOMERS
    months: int = DEMO_MONTHS
    seed: int = DEMO_SEED
    progress: ProgressFn | None = None
    generated: GenerateResult | None = None
    summary: BookSummary | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def book_dir(self) -> Path:
        """Where the demo book is generated."""
        return self.home / "demo"


@dataclass(frozen=True)
class Step:
    """One step of the demo: a name shown to the user and the function that does it."""

    name: str
    description: str
    run: Callable[[DemoContext], None]


def _generate(ctx: DemoContext) -> None:
    cfg = GenerateConfig(customers=ctx.customers, months=ctx.months, seed=ctx.seed)
    if ctx.progress is None:
        ctx.generated = generate(cfg, ctx.book_dir)
    else:
        ctx.generated = generate(cfg, ctx.book_dir, ctx.progress)


def _summarize(ctx: DemoContext) -> None:
    ctx.summary = read_summary(ctx.book_dir)


def _grade(ctx: DemoContext) -> None:
    """Grade the generated lake with the default policy as of the book's last day."""
    assert ctx.generated is not None, "the grade step needs the generate step"
    policy = load_policy(DEFAULT_POLICY)
    ctx.extra["grading"] = run_grading(
        policy,
        as_of=DEFAULT_END_DATE,
        lake=ctx.generated.lake,
        runs=runs_dir(ctx.home),
        now=dt.datetime.now(dt.UTC),
        policy_dir=DEFAULT_POLICY.parent,
    )
    ctx.extra["grading_policy"] = policy
    ctx.extra["grading_as_of"] = DEFAULT_END_DATE


DEMO_STEPS: tuple[Step, ...] = (
    Step("generate", "generate a distributor's book: lake, dirty exports, truth", _generate),
    Step("summarize", "summarise the book: customers, orders per month, dirt injected", _summarize),
    Step(
        "grade", "grade every customer with policies/kuailv.yaml as of the book's last day", _grade
    ),
)


def run_demo(
    ctx: DemoContext,
    steps: Sequence[Step] = DEMO_STEPS,
    on_step: Callable[[Step], None] | None = None,
) -> DemoContext:
    """Run ``steps`` in order on ``ctx``; ``on_step`` is told before each one starts."""
    for step in steps:
        if on_step:
            on_step(step)
        step.run(ctx)
    return ctx

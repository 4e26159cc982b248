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
from tierwise.policy import DEFAULT_POLICY, load_policy

DEMO_CUSTOMERS = 2000
DEMO_MONTHS = 30
DEMO_SEED = 20261031
DEMO_HISTORY_MONTHS = 3


@dataclass
class DemoContext:
    """What the demo steps share: where to work, the options, and each step's results."""

    home: Path
    customers: int = DEMO_CUSTOMERS
    months: int = DEMO_MONTHS
    seed: int = DEMO_SEED
    progress: ProgressFn | None = None
    state_url: str | None = None  # the operational store; SQLite in ``home`` by default
    history_months: int = DEMO_HISTORY_MONTHS  # month-end runs published before the last day
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


def _load_time(ctx: DemoContext) -> dt.datetime:
    """The exports are as of the book's last day: load them the next morning."""
    end = DEFAULT_END_DATE
    if ctx.generated is not None and "book_end" in ctx.generated.manifest.get("generator", {}):
        end = dt.date.fromisoformat(str(ctx.generated.manifest["generator"]["book_end"])[:10])
    return dt.datetime.combine(end + dt.timedelta(days=1), dt.time())


def _ingest(ctx: DemoContext) -> None:
    from tierwise.ingest.mapping import default_mapping
    from tierwise.ingest.report import ingest_report, write_report
    from tierwise.ingest.run import ingest

    raw = ctx.home / "raw"
    run = ingest(
        ctx.book_dir / "exports", default_mapping(), raw=raw, home=ctx.home,
        now=_load_time(ctx), force=True,
    )  # fmt: skip
    write_report(
        ingest_report(run, source=str(ctx.book_dir / "exports"), raw=raw, home=ctx.home),
        ctx.home / "reports",
        "ingest-demo",
    )
    ctx.extra["ingest"] = run


def _clean(ctx: DemoContext) -> None:
    from tierwise.clean.report import clean_report
    from tierwise.clean.run import clean
    from tierwise.features.availability import unavailable_note
    from tierwise.ingest.report import write_report

    res = clean(ctx.home / "raw", ctx.home / "lake")
    if note := unavailable_note(ctx.home / "lake"):
        res.notes.append(note)
    write_report(
        clean_report(res, raw=ctx.home / "raw", lake=ctx.home / "lake"),
        ctx.home / "reports",
        "clean-demo",
    )
    ctx.extra["clean"] = res


def _grade(ctx: DemoContext) -> None:
    """Grade the cleaned lake with the default policy as of the book's last day, and publish
    the run to the operational store (stability rules, current tiers, history)."""
    from tierwise.pipeline.backfill import backfill, backfill_dates
    from tierwise.pipeline.publish import grade_and_publish
    from tierwise.store.db import make_engine, sqlite_url
    from tierwise.store.migrate import upgrade

    policy = load_policy(DEFAULT_POLICY)
    engine = make_engine(ctx.state_url or sqlite_url(ctx.home / "state.db"))
    upgrade(engine)
    # a backfill of the months before (issue 18 finding 9): trends and migration are not
    # empty on first open, and the stability rules have a history to work on
    # (at most one month fewer than the book has: a month end before the data grades nobody)
    months = min(ctx.history_months, ctx.months - 1)
    start = DEFAULT_END_DATE.replace(day=1)
    for _ in range(max(months, 0)):
        start = (start - dt.timedelta(days=1)).replace(day=1)
    dates = backfill_dates(start, DEFAULT_END_DATE - dt.timedelta(days=1), "month")
    history = backfill(
        policy, dates if months > 0 else [], lake=ctx.home / "lake",
        runs=runs_dir(ctx.home), engine=engine, publish=True, policy_dir=DEFAULT_POLICY.parent,
    )  # fmt: skip
    ctx.extra["backfill"] = [(st.as_of, st.run_id) for st in history]
    published = grade_and_publish(
        policy,
        as_of=DEFAULT_END_DATE,
        lake=ctx.home / "lake",
        runs=runs_dir(ctx.home),
        engine=engine,
        trigger="demo",
        policy_dir=DEFAULT_POLICY.parent,
    )
    ctx.extra["grading"] = published.result
    ctx.extra["published"] = published.summary
    ctx.extra["grading_policy"] = policy
    ctx.extra["grading_as_of"] = DEFAULT_END_DATE
    # the publish opened call-back tasks for the churn warnings (R-OPS-5, docs/operations.md)
    from tierwise.ops.tasks import TaskFilter, counts_by_status

    ctx.extra["retention_tasks"] = counts_by_status(engine, TaskFilter())


def _models(ctx: DemoContext) -> None:
    """Train CLV, churn, value and learned weights on the cleaned lake as of the grading day,
    register them under ``home/models`` and publish the per-customer predictions (the
    profiles' LTV, the API's ``/models`` and the console's models page show them)."""
    import duckdb

    from tierwise.errors import DataError
    from tierwise.lake import parquet_glob
    from tierwise.models.publish import publish_predictions, train_and_register
    from tierwise.store.db import make_engine, sqlite_url
    from tierwise.store.migrate import upgrade

    as_of = ctx.extra.get("grading_as_of", DEFAULT_END_DATE)
    con = duckdb.connect()
    orders = con.read_parquet(parquet_glob(ctx.home / "lake", "orders"))
    now = _load_time(ctx)
    try:
        trained = train_and_register(orders, as_of, ctx.home / "models", con=con, now=now)
    except DataError as err:  # e.g. a tiny book without repeat buyers: the demo goes on
        ctx.extra["models_skipped"] = {"clv": str(err)}
        return
    assert trained.predictions is not None
    engine = make_engine(ctx.state_url or sqlite_url(ctx.home / "state.db"))
    upgrade(engine)
    publish_predictions(
        engine, ctx.home / "models", trained.predictions, as_of=as_of,
        versions={k: c.version for k, c in trained.cards.items()}, now=now,
    )  # fmt: skip
    ctx.extra["models"] = trained.cards
    ctx.extra["predictions"] = trained.predictions
    ctx.extra["models_skipped"] = trained.skipped


def _warning(ctx: DemoContext) -> None:
    """Judge the default policy's churn warning by next-period churn (90 days) as of the
    month end 90 days before the book's last day, for the console's models page."""
    from tierwise.errors import UsageError
    from tierwise.models.warning_backtest import warning_backtest, write_results
    from tierwise.pipeline.backfill import month_end

    policy = load_policy(DEFAULT_POLICY)
    as_of = month_end(DEFAULT_END_DATE - dt.timedelta(days=120))
    try:
        rows = warning_backtest(ctx.home / "lake", policy, [as_of], horizon_days=90)
    except UsageError as err:  # a book shorter than the horizon: the demo goes on
        ctx.extra["warning_skipped"] = str(err)
        return
    write_results(ctx.home / "models", policy.name, rows)
    ctx.extra["warning"] = rows


#: business segments the demo saves as audiences (issue 20): users add their own the same way
DEMO_SEGMENTS: tuple[tuple[str, str, str, str], ...] = (
    (
        "strategic",
        "战略客户",
        "Strategic",
        "(value_v4 or value_v5) and (repurchase_high or repurchase_full)",
    ),
    ("growth", "成长客户", "Growing", "spend_trend_up and not (value_v4 or value_v5)"),
    (
        "potential",
        "潜力客户",
        "Potential",
        "(tenure_new or tenure_m3) and (freq_90d_mid or freq_90d_high)",
    ),
)


def _tags(ctx: DemoContext) -> None:
    """Compute every tag as of the grading day (a snapshot) and save the business segments
    as audiences, so the console's tag, audience and 360° pages have something to show."""
    from tierwise.engines import open_backend
    from tierwise.store.db import make_engine, sqlite_url
    from tierwise.store.migrate import upgrade
    from tierwise.tags.service import AudienceSpec, frame_on, save_audience
    from tierwise.tags.snapshot import compute_snapshot

    as_of = ctx.extra.get("grading_as_of", DEFAULT_END_DATE)
    now = _load_time(ctx)
    snap = compute_snapshot(
        open_backend("duckdb"), ctx.home / "lake", ctx.home, as_of, now=now, replace=True
    )
    engine = make_engine(ctx.state_url or sqlite_url(ctx.home / "state.db"))
    upgrade(engine)
    frame = frame_on(engine, ctx.home, runs_dir(ctx.home), as_of)
    for name, zh, en, expression in DEMO_SEGMENTS:
        spec = AudienceSpec(name, expression, "segment", zh, en)
        save_audience(engine, spec, frame, author="demo", now=now)
    ctx.extra["tags"] = snap.meta


def _recommend(ctx: DemoContext) -> None:
    """Backtest the recommendation lists (train up to 30 days before the grading day, target
    the next 14 days), record the ship decision, then build and store both lists for every
    customer as of the grading day (docs/recommendations.md)."""
    from tierwise.recommend.policy import load_recommend_policy
    from tierwise.recommend.service import build_and_store, evaluate_lake
    from tierwise.store.db import make_engine, sqlite_url
    from tierwise.store.migrate import upgrade

    as_of = ctx.extra.get("grading_as_of", DEFAULT_END_DATE)
    engine = make_engine(ctx.state_url or sqlite_url(ctx.home / "state.db"))
    upgrade(engine)
    policy = load_recommend_policy()
    lake = ctx.home / "lake"
    cutoff = as_of - dt.timedelta(days=30)
    _, decision = evaluate_lake(
        lake, engine, ctx.home, cutoff=cutoff, horizon_days=14, policy=policy
    )
    n, model = build_and_store(
        lake, engine, ctx.home, as_of=as_of, policy=policy, now=_load_time(ctx)
    )
    ctx.extra["recommendations"] = {"customers": n, "model": model, "reason": decision.reason}


DEMO_STEPS: tuple[Step, ...] = (
    Step("generate", "generate a distributor's book: lake, dirty exports, truth", _generate),
    Step("summarize", "summarise the book: customers, orders per month, dirt injected", _summarize),
    Step("ingest", "load the dirty exports into the raw lake, quarantine bad rows", _ingest),
    Step("clean", "merge duplicate customers, drop duplicate rows, flag outliers", _clean),
    Step(
        "grade",
        f"grade the cleaned lake with policies/{DEFAULT_POLICY.name} as of the last "
        f"{DEMO_HISTORY_MONTHS} month ends (a backfill) and the book's last day, and publish "
        "each in turn (churn warnings open retention tasks)",
        _grade,
    ),
    Step(
        "models",
        "train CLV, churn and value models, register them and publish their predictions",
        _models,
    ),
    Step(
        "warning",
        "judge the churn warning by next-period churn (precision, recall) for the models page",
        _warning,
    ),
    Step("tags", "compute every tag as of that day and save the business segments", _tags),
    Step(
        "recommend",
        "backtest the product recommendations, then build both lists for every customer",
        _recommend,
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

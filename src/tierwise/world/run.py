"""``simulate(book, plan, out)``: run a generated book's world forward under a plan.

Writes ``out/lake`` (what the distributor would see: the assigned arms' outcomes),
``out/exports`` (the same tables as UTF-8 CSV with Chinese headers, for ``tierwise ingest``)
and ``out/truth`` (both potential outcomes of every customer, the assignment and the latent
parameters). Nothing is written when the plan is invalid; the same book, plan and seed give
the same bytes.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from tierwise.errors import UsageError
from tierwise.generate.calendar import day_number, from_day_number
from tierwise.generate.config import BATCH_CUSTOMERS, prepare_out
from tierwise.generate.inventory import DemandAccumulator, inventory
from tierwise.generate.latent import Latent, draw_latent
from tierwise.generate.population import NEVER
from tierwise.generate.supply import Stock
from tierwise.lake import write_parquet_atomic
from tierwise.world import tables as wt
from tierwise.world.assign import Assignment, assign
from tierwise.world.book import World, open_world
from tierwise.world.engine import (
    REC_SLOTS,
    Window,
    WorldState,
    batch_baskets,
    call_answers,
    recommended,
    run_batch,
    satisfaction_answers,
    with_slots,
)
from tierwise.world.noise import uniforms
from tierwise.world.plan import Plan, load_plan, parse_plan
from tierwise.world.response import (
    BASE_CHURN_90,
    CALL_RESPONSE,
    NPS_RESPONSE,
    VISIT_CHURN,
    Effects,
)
from tierwise.world.service import complaints, window_returns, window_tickets
from tierwise.world.tiers import TierSource, book_tiers

METRICS = ("revenue", "gross_margin", "orders", "churned", "days_overdue_30", "complaints")
MONEY_METRICS = frozenset({"revenue", "gross_margin"})
MANAGER_CAPACITY = 8  # visits or calls an account manager makes a day at most
ProgressFn = Callable[[str, int, int], None]


def _quiet(stage: str, done: int, total: int) -> None:
    """A progress callback that reports nothing."""


@dataclass
class SimulationResult:
    """What a simulation wrote and the mean effect per arm and metric."""

    out: Path
    rows: dict[str, int] = field(default_factory=dict)
    ate: dict[str, dict[str, float]] = field(default_factory=dict)  # arm -> metric -> mean


def _visits(world: World, eff: Effects, win: Window) -> tuple[np.ndarray, np.ndarray]:
    """Scheduled visits within each manager's daily capacity: (customer, day) of those made."""
    who = np.flatnonzero(eff.visit_every > 0)
    if not len(who):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    every = eff.visit_every[who]
    offset = (uniforms(win.seed, 50, who) * every).astype(np.int64)
    counts = np.maximum((win.days - offset + every - 1) // every, 0)
    cust = np.repeat(who, counts)
    k = np.arange(len(cust)) - np.repeat(np.cumsum(counts) - counts, counts)
    day = win.start + np.repeat(offset, counts) + k * np.repeat(every, counts)
    manager = world.pop.manager[cust]
    order = np.lexsort((uniforms(win.seed, 51, cust, day), day, manager))
    cust, day, manager = cust[order], day[order], manager[order]
    key = manager * 1_000_000 + day
    start_of = np.concatenate([[True], key[1:] != key[:-1]])
    group_start = np.maximum.accumulate(np.where(start_of, np.arange(len(key)), 0))
    made = (np.arange(len(key)) - group_start) < MANAGER_CAPACITY
    made &= (world.pop.signup[cust] <= day) & (world.pop.churn[cust] > day)
    keep = np.lexsort((day[made], cust[made]))
    return cust[made][keep], day[made][keep]


def _state(
    world: World, latent: Latent, eff: Effects, win: Window, visits: tuple[np.ndarray, np.ndarray]
) -> WorldState:
    """Churn, visits and satisfaction of one world (every customer)."""
    pop = world.pop
    n = pop.n
    per_30 = np.bincount(visits[0], minlength=n) * 30.0 / win.days
    mult = eff.churn_mult * np.exp(-VISIT_CHURN * per_30)
    idx = np.arange(n)
    c0 = pop.churn
    in_window = (c0 >= win.start) & (c0 <= win.last)
    saved = in_window & (uniforms(win.seed, 60, idx) >= mult)
    churn = np.where(saved, NEVER, c0)
    extra = np.maximum(mult - 1.0, 0.0) * BASE_CHURN_90 * win.days / 90
    induced = (c0 > win.last) & (pop.signup < win.start) & (uniforms(win.seed, 61, idx) < extra)
    induced_day = win.start + (uniforms(win.seed, 62, idx) * win.days).astype(np.int64)
    churn = np.where(induced, induced_day, churn)
    satisfaction = np.clip(latent.satisfaction + eff.satisfaction_gain, 0, 10)
    return WorldState(eff, churn, per_30, satisfaction)


def _effects(world: World, latent: Latent, assignment: Assignment) -> Effects:
    eff = Effects(world.pop.n)
    for arm, idx in assignment.arms:
        if arm.treatment is not None and len(idx):
            eff.apply(arm.treatment, idx, latent, world.pop)
    return eff


def validate(
    plan: Plan, world: World, plan_dir: Path, source: str, tiers: TierSource | None = None
) -> Assignment:
    """Every check that needs the book; raises before anything is written."""
    first_allowed = world.end + 1
    if day_number(plan.start) < first_allowed:
        raise UsageError(
            f"{source}: start {plan.start} is before the day after the book ends "
            f"({from_day_number(first_allowed)})",
            hint=f"use start: {from_day_number(first_allowed)} or later",
            file=source,
            value=str(plan.start),
        )
    ids = world.customers["customer_id"].to_pylist()
    accounts = (
        world.customers["account_id"].to_pylist()
        if "account_id" in world.customers.column_names
        else [None] * len(ids)
    )
    return assign(
        plan,
        plan_dir,
        world.customers,
        source,
        lambda: book_tiers(tiers or TierSource(), world.book, world.end, ids, accounts),
    )


def simulate(
    book: Path,
    plan: Plan | Path,
    out: Path,
    *,
    plan_dir: Path | None = None,
    exports: bool = True,
    tiers: TierSource | None = None,
    progress: ProgressFn = _quiet,
) -> SimulationResult:
    """Run the world of ``book`` forward under ``plan`` and write lake, exports and truth.

    Parameters
    ----------
    book:
        The ``--out`` folder of ``tierwise generate`` (its lake and truth/manifest.json).
    plan:
        A :class:`Plan`, or the path of a plan YAML file.
    out:
        Output folder; its ``lake/``, ``exports/`` and ``truth/`` are replaced.
    plan_dir:
        Folder that relative paths of the plan (customers files, labels) are read from;
        defaults to the plan file's folder, or the current folder for a :class:`Plan`.
    exports:
        Whether to write ``out/exports`` (CSV copies of the lake tables for ``tierwise ingest``).
    tiers:
        Where an arm's ``of: {tier: …}`` filter reads tiers when the labels file has none:
        a runs folder, the store, or (default) the book graded with the default policy.
    progress:
        Called as ``progress(stage, done, total)``.

    Returns
    -------
    SimulationResult
        Rows written per table and the true mean effect (treated − control) per arm/metric.
    """
    if isinstance(plan, Path):
        source, base = str(plan), plan.parent
        plan = load_plan(plan)
    else:
        source, base = "<plan>", Path(".")
    base = plan_dir or base
    world = open_world(book)
    assignment = validate(plan, world, base, source, tiers)
    prepare_out(out)
    for owned in ("lake", "exports", "truth"):
        shutil.rmtree(out / owned, ignore_errors=True)
    win = Window(day_number(plan.start), plan.days, plan.seed)
    latent = draw_latent(world.pop, world.cfg.seed)
    eff0 = Effects(world.pop.n)
    eff1 = _effects(world, latent, assignment)
    no_visits = (np.zeros(0, np.int64), np.zeros(0, np.int64))
    visits = _visits(world, eff1, win)
    s0 = _state(world, latent, eff0, win, no_visits)
    s1 = _state(world, latent, eff1, win, visits)
    stock = Stock.draw(
        world.cat, win.start, win.days, np.random.default_rng([world.cfg.seed, plan.seed, 4])
    )
    writer = wt.LakeWriter(out, world, win)
    demand = DemandAccumulator(world.cat, win.start, win.days)
    n = world.pop.n
    y0 = {m: np.zeros(n, np.int64) for m in METRICS}
    y1 = {m: np.zeros(n, np.int64) for m in METRICS}
    n_batches = -(-n // BATCH_CUSTOMERS)
    staples: list[pa.Table] = []
    tastes: list[np.ndarray] = []
    levels: list[np.ndarray] = []
    progress("simulate", 0, n_batches)
    for b in range(n_batches):
        lo, hi = b * BATCH_CUSTOMERS, min(n, (b + 1) * BATCH_CUSTOMERS)
        baskets = batch_baskets(world, lo, hi, b)
        shown, rec_sku, rec_q, rec_from = recommended(world, baskets, eff1, lo, hi, win)
        empty = np.full((hi - lo, REC_SLOTS), -1, np.int64)
        b0 = with_slots(
            baskets, empty, np.zeros_like(rec_q), np.full_like(rec_from, NEVER), world.cat.category
        )
        b1 = with_slots(baskets, rec_sku, rec_q, rec_from, world.cat.category)
        w0 = run_batch(world, latent, s0, b0, stock, lo, hi, win)
        w1 = run_batch(world, latent, s1, b1, stock, lo, hi, win)
        t0 = window_tickets(world.pop, s0, lo, hi, win)
        t1 = window_tickets(world.pop, s1, lo, hi, win)
        w0.metrics["complaints"] = complaints(t0, lo, hi)
        w1.metrics["complaints"] = complaints(t1, lo, hi)
        for m in METRICS:
            y0[m][lo:hi] = w0.metrics[m]
            y1[m][lo:hi] = w1.metrics[m]
        writer.batch(b, w1, eff1, shown, lo, hi)
        writer.service(b, w1, window_returns(world.pop, s1, w1.orders, win), t1)
        demand.add(w1.orders, world.pop.district)
        staples.append(wt.staples_table(b1, lo, hi, world, shown))
        tastes.append(baskets.taste)
        levels.append(baskets.price_level)
        progress("simulate", b + 1, n_batches)
    answers, score = satisfaction_answers(
        s1, win, (world.pop.signup <= win.last) & (s1.churn > win.last), NPS_RESPONSE
    )
    writer.operations(assignment, eff1, visits, answers, score)
    stock_tables = inventory(
        demand, stock.out, out / "truth" / "inventory.parquet", f"PO{plan.start:%Y%m%d}-"
    )
    writer.whole(stock_tables)
    writer.masters(book)
    rows = writer.finish(exports)
    truth = out / "truth"
    effects = wt.effects_table(world, assignment, y0, y1, METRICS, MONEY_METRICS)
    write_parquet_atomic(effects, truth / "effects.parquet")
    write_parquet_atomic(wt.assignment_table(world, assignment), truth / "assignment.parquet")
    alive = (world.pop.signup <= win.last) & (s1.churn > win.last)
    latent_t = wt.latent_table(
        world, latent, s0, s1, np.concatenate(tastes), np.concatenate(levels)
    )
    # what each outlet would say if asked (the lake has it for the survey's respondents only)
    # and whether it would answer a manager's follow-up call (two-phase surveys, issue 26)
    latent_t = latent_t.append_column("survey_score", pa.array(score)).append_column(
        "survey_call_answers", pa.array(alive & call_answers(s1, win, CALL_RESPONSE))
    )
    write_parquet_atomic(latent_t, truth / "latent.parquet")
    write_parquet_atomic(pa.concat_tables(staples), truth / "staples.parquet")
    ate = wt.mean_effects(assignment, y0, y1, METRICS, MONEY_METRICS)
    manifest: dict[str, object] = {
        "book": str(book),
        "plan": json.loads(plan.model_dump_json()),
        "window": {"start": str(plan.start), "end": str(from_day_number(win.last))},
        "lake_rows": rows,
        "metrics": {
            "revenue": "order amounts − coupons redeemed − rebate accrued (yuan)",
            "gross_margin": "revenue − cost of the lines (yuan)",
            "orders": "orders placed in the window",
            "churned": "1 if the customer has left by the last day of the window",
            "days_overdue_30": "1 if a bill of the window is 30+ days past due by its end",
            "complaints": "complaint tickets raised in the window",
        },
        "mean_effect": ate,
    }
    if assignment.tiers is not None:
        manifest["tiers"] = {
            "source": assignment.tiers.described,
            "customers": assignment.tiers.counts,
        }
    (truth / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8"
    )
    return SimulationResult(out, rows, ate)


__all__ = ["METRICS", "SimulationResult", "load_plan", "parse_plan", "simulate"]

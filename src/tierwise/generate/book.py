"""Generate a whole book: master data, then customers in fixed batches, written as Parquet parts.

Each batch of customers is simulated over the book and a horizon after it; the book goes to
``lake/`` (and, when asked, to the dirty ``exports/``), the horizon only to ``truth/``.
Every random stream is keyed by (seed, purpose, batch), so the output is byte-identical for
a seed whatever the machine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from tierwise.generate import assemble, operations
from tierwise.generate.basket import cuisine_tastes, draw_baskets
from tierwise.generate.benefits import draw_use_rates, simulate_benefits
from tierwise.generate.calendar import cny_days
from tierwise.generate.catalog import CUISINE_NAMES
from tierwise.generate.config import BATCH_CUSTOMERS, GenerateConfig
from tierwise.generate.finance import simulate_invoices
from tierwise.generate.inventory import DemandAccumulator, inventory
from tierwise.generate.latent import draw_latent
from tierwise.generate.master import Catalogue, customers_table, products, regions_table
from tierwise.generate.orders import simulate_orders
from tierwise.generate.population import Population, draw_population
from tierwise.generate.returns import simulate_returns
from tierwise.generate.service import simulate_activity, simulate_credit, simulate_tickets
from tierwise.generate.supply import Stock
from tierwise.generate.truth import TruthAccumulator
from tierwise.lake import write_parquet_atomic

ProgressFn = Callable[[str, int, int], None]


def no_progress(stage: str, done: int, total: int) -> None:
    """A progress callback that reports nothing (the default)."""


def stream(cfg: GenerateConfig, purpose: int, batch: int = 0) -> np.random.Generator:
    """The random stream for ``purpose`` in ``batch`` (independent of every other stream)."""
    return np.random.default_rng([cfg.seed, purpose, batch])


class BatchSink:
    """Receives each batch's clean tables (the exports writer implements this)."""

    def master(self, tables: dict[str, pa.Table], pop: Population) -> None:
        """Called once with regions, products and customers."""

    def batch(self, index: int, tables: dict[str, pa.Table]) -> None:
        """Called with the canonical tables of each batch, in order."""

    def after(self, tables: dict[str, pa.Table]) -> None:
        """Called once after the batches with the tables of the whole book (inventory)."""


@dataclass
class BookResult:
    """What was generated: where, and how many rows of each table."""

    out: Path
    rows: dict[str, int] = field(default_factory=dict)
    batches: int = 0


def generate_book(
    cfg: GenerateConfig,
    out: Path,
    sink: BatchSink | None = None,
    progress: ProgressFn = no_progress,
) -> tuple[BookResult, Population, TruthAccumulator]:
    """Write the clean lake of the book ``cfg`` under ``out/lake`` and accumulate the truth.

    Parameters
    ----------
    cfg:
        The book to generate.
    out:
        Output folder; ``lake/<table>/part-*.parquet`` is written below it.
    sink:
        Optional receiver of every batch's tables (the exports writer).
    progress:
        Called as ``progress(stage, done, total)``.
    """
    lake = out / "lake"
    result = BookResult(out)
    first, end = cfg.first_day, cfg.first_day + cfg.book_days - 1
    days = np.arange(first, first + cfg.total_days, dtype=np.int64)
    cny = cny_days(first, int(days[-1]))
    pop = draw_population(cfg, stream(cfg, 0))
    cat: Catalogue = products(stream(cfg, 1), first, end)
    centres = cuisine_tastes(cfg.seed, len(CUISINE_NAMES))
    stock = Stock.draw(cat, first, cfg.total_days, stream(cfg, 4))
    customers, _ = customers_table(pop, stream(cfg, 3))
    master = {
        "regions": regions_table(stream(cfg, 2)),
        "products": cat.table,
        "customers": customers,
        "price_rules": operations.price_rules_table(),
        "outlet_locations": operations.locations_table(pop, cfg.seed),
        "account_managers": operations.managers_table(pop, customers["city"].to_pylist(), cfg.seed),
    }
    for name, tbl in master.items():
        write_parquet_atomic(tbl, lake / name / "part-00000.parquet")
        result.rows[name] = tbl.num_rows
    if sink:
        sink.master(master, pop)
    truth = TruthAccumulator(cfg, pop)
    counters = assemble.Counters()
    ops_counters: dict[str, int] = {}
    latent = draw_latent(pop, cfg.seed)
    use_rates = draw_use_rates(pop.n, cfg.seed)
    demand = DemandAccumulator(cat, first, cfg.book_days)
    n_batches = -(-cfg.customers // BATCH_CUSTOMERS)
    last_us = assemble.last_microsecond(end)
    progress("simulate", 0, n_batches)
    for b in range(n_batches):
        lo, hi = b * BATCH_CUSTOMERS, min(cfg.customers, (b + 1) * BATCH_CUSTOMERS)
        baskets = draw_baskets(pop, cat, centres, lo, hi, stream(cfg, 16, b))
        everything = simulate_orders(
            pop, cat, baskets, stock, lo, hi, days, end, cny, stream(cfg, 10, b),
            stream(cfg, 17, b),
        )  # fmt: skip
        in_book = everything.day <= end
        truth.add_orders(everything, in_book)
        book = everything.select(in_book)
        del everything
        demand.add(book, pop.district)
        orders_tbl, lines_tbl, order_id = assemble.order_tables(book, cat, counters)
        ret = simulate_returns(pop, book, last_us, stream(cfg, 11, b))
        inv = simulate_invoices(pop, book, end, stream(cfg, 12, b))
        invoices_tbl, payments_tbl = assemble.finance_tables(inv, counters)
        tables = {
            "orders": orders_tbl,
            "order_lines": lines_tbl,
            "returns": assemble.returns_table(ret, book, order_id, counters),
            "invoices": invoices_tbl,
            "payments": payments_tbl,
            "tickets": assemble.tickets_table(
                simulate_tickets(pop, lo, hi, first, end, stream(cfg, 13, b)), counters
            ),
            "activity": assemble.activity_table(
                *simulate_activity(
                    pop, lo, hi, days[: cfg.book_days], book.cust, book.day, stream(cfg, 14, b)
                )
            ),
            "credit": assemble.credit_table(
                *simulate_credit(pop, lo, hi, first, end, stream(cfg, 15, b))
            ),
        }
        tables.update(
            operations.simulate_operations(
                pop, latent, book, order_id, lo, hi, first, end, stream(cfg, 18, b), ops_counters
            )
        )
        tables.update(
            simulate_benefits(
                book, order_id, use_rates, first, end, stream(cfg, 19, b), ops_counters
            )
        )
        truth.add_anomalies(book, order_id, ret, tables["returns"])
        for name, tbl in tables.items():
            write_parquet_atomic(tbl, lake / name / f"part-{b:05d}.parquet")
            result.rows[name] = result.rows.get(name, 0) + tbl.num_rows
        if sink:
            sink.batch(b, tables)
        progress("simulate", b + 1, n_batches)
    write_parquet_atomic(use_rates.table(), out / "truth" / "benefits.parquet")
    progress("inventory", 0, 1)
    after = inventory(demand, stock.out[:, : cfg.book_days], out / "truth" / "inventory.parquet")
    del demand
    for name, tbl in after.items():
        write_parquet_atomic(tbl, lake / name / "part-00000.parquet")
        result.rows[name] = tbl.num_rows
    if sink:
        sink.after(after)
    progress("inventory", 1, 1)
    result.batches = n_batches
    return result, pop, truth

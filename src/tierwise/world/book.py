"""The world behind a generated book: its latent population and catalogue, rebuilt from the seed.

A generated book records its size, span and seed in ``truth/manifest.json``; the generator is
deterministic, so the population, catalogue and baskets behind the book are rebuilt exactly
(the lake is only read for the customer columns a plan can filter on).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds

from tierwise.errors import UsageError
from tierwise.generate.basket import cuisine_tastes
from tierwise.generate.book import stream
from tierwise.generate.catalog import CUISINE_NAMES
from tierwise.generate.config import GenerateConfig
from tierwise.generate.master import Catalogue, products
from tierwise.generate.population import Population, draw_population


@dataclass
class World:
    """A book's world: configuration, population, catalogue, taste centres and customers."""

    book: Path
    cfg: GenerateConfig
    pop: Population
    cat: Catalogue
    centres: np.ndarray
    customers: pa.Table  # the lake's customers table (customer number = row)

    @property
    def end(self) -> int:
        """Day number of the last day of the book."""
        return self.cfg.first_day + self.cfg.book_days - 1


def open_world(book: Path) -> World:
    """Rebuild the world of the generated book at ``book`` (a ``tierwise generate --out``)."""
    manifest = book / "truth" / "manifest.json"
    try:
        gen = json.loads(manifest.read_text(encoding="utf-8"))["generator"]
        cfg = GenerateConfig(
            customers=int(gen["customers"]),
            months=int(gen["months"]),
            seed=int(gen["seed"]),
            end_date=dt.date.fromisoformat(gen["book_end"]),
            exports=False,
        )
    except (OSError, KeyError, ValueError) as err:
        raise UsageError(
            f"--book {book} is not a generated book: cannot read {manifest} ({err})",
            hint="give the --out folder of `tierwise generate`",
            path=str(book),
        ) from None
    pop = draw_population(cfg, stream(cfg, 0))
    first, end = cfg.first_day, cfg.first_day + cfg.book_days - 1
    cat = products(stream(cfg, 1), first, end)
    customers = ds.dataset(book / "lake" / "customers", format="parquet").to_table()
    customers = customers.slice(0, cfg.customers)  # real customers come first, in order
    return World(book, cfg, pop, cat, cuisine_tastes(cfg.seed, len(CUISINE_NAMES)), customers)

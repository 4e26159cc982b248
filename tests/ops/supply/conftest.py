"""A tiny generated book for the supply tests (one generation per session) and its demand
series over a handful of SKUs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from tierwise.generate import GenerateConfig, generate
from tierwise.ops.supply.series import held_tiers_from_grants, top_skus, weekly_demand

END = dt.date(2026, 10, 31)
BOOK = GenerateConfig(customers=150, months=12, seed=27, end_date=END, exports=False)


@pytest.fixture(scope="session")
def supply_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("supply-book")
    generate(BOOK, out)
    return out


def read(book: Path, table: str) -> pd.DataFrame:
    return pd.read_parquet(book / "lake" / table)


@pytest.fixture(scope="session")
def demand(supply_book: Path) -> pd.DataFrame:
    """Weekly demand of the book's 3 best-selling SKUs (40 weeks)."""
    lines = read(supply_book, "order_lines")
    return weekly_demand(
        lines,
        read(supply_book, "orders"),
        read(supply_book, "customers"),
        held_tiers_from_grants(read(supply_book, "benefit_grants")),
        as_of=END,
        weeks=40,
        default_tier="bronze",
        skus=top_skus(lines, 3),
    )

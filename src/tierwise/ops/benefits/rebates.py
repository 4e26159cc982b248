"""The dry run of a rebate change (R-OPS-3): what it would have cost per tier on recent history.

:func:`dry_run` is pure: given each customer's spend in a recent window, their current tier and
the rebate percent per tier, it returns the cost per tier (the rebate given away if the
customers bought as they did). :func:`recent_spend` reads the window's order amounts from the
lake. :func:`beside_realised` puts the rebate ledger's accruals of the periods after
publication beside each tier's dry-run cost. Returns are not netted out of the dry run yet
(docs/benefits.md, "not yet"); the ledger's accruals are (orders − refunds).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from tierwise.errors import DataError
from tierwise.lake import parquet_glob, require_table

CENT = Decimal("0.01")


@dataclass(frozen=True)
class TierCost:
    """The dry-run cost of a rebate for one tier."""

    tier: str
    pct: Decimal
    customers: int
    buyers: int
    spend: Decimal
    cost: Decimal


def dry_run(
    spend: Mapping[str, Decimal],
    tiers: Mapping[str, str | None],
    pct_by_tier: Mapping[str, Decimal],
) -> list[TierCost]:
    """Cost per tier of ``pct_by_tier`` (percent of spend) on ``spend`` (yuan per customer)."""
    for tier, pct in pct_by_tier.items():
        if not Decimal(0) < pct <= Decimal(100):
            raise DataError(
                f"a rebate of {pct} % for {tier} is not in (0, 100]",
                field="pct", value=str(pct), expected="0 < percent <= 100",
            )  # fmt: skip
    out = []
    for tier, pct in pct_by_tier.items():
        members = [c for c, t in tiers.items() if t == tier]
        total = sum((spend.get(c, Decimal(0)) for c in members), Decimal(0))
        buyers = sum(1 for c in members if spend.get(c, Decimal(0)) > 0)
        cost = (total * pct / Decimal(100)).quantize(CENT, ROUND_HALF_UP)
        out.append(TierCost(tier, pct, len(members), buyers, total.quantize(CENT), cost))
    return out


def recent_spend(lake: Path, start: dt.date, end: dt.date) -> dict[str, Decimal]:
    """Order amounts per customer with ``start <= order day < end``, from the lake."""
    import duckdb  # only when the lake is read (keeps `tierwise benefits --help` fast)

    require_table(lake, "orders")
    con = duckdb.connect()
    try:
        rows = con.execute(
            "SELECT customer_id, sum(amount) FROM read_parquet(?, hive_partitioning = false) "
            "WHERE order_time >= ? AND order_time < ? GROUP BY customer_id",
            [parquet_glob(lake, "orders"), start, end],
        ).fetchall()
    finally:
        con.close()
    return {str(c): Decimal(str(a)).quantize(CENT) for c, a in rows if a is not None}


@dataclass(frozen=True)
class Realised:
    """A tier's dry-run cost beside what the ledger accrued for it afterwards."""

    dry: TierCost
    realised: Decimal  # the ledger's accruals of the periods (every status), yuan
    gap: Decimal | None  # dry-run cost / realised − 1 (None: nothing realised)


def beside_realised(
    rows: Sequence[TierCost], ledger: Iterable[Mapping[str, Any]]
) -> list[Realised]:
    """Each dry-run row with the ledger's accrued amount for its tier (``ledger``: rows of
    ``rebate_store.ledger_summary``, with ``tier`` and ``amount``, of the periods to compare;
    accrued and paid rows both count, adjustments included)."""
    by_tier: dict[str | None, Decimal] = {}
    for r in ledger:
        by_tier[r["tier"]] = by_tier.get(r["tier"], Decimal(0)) + Decimal(r["amount"])
    out = []
    for row in rows:
        realised = by_tier.get(row.tier, Decimal(0)).quantize(CENT)
        gap = (row.cost / realised - 1).quantize(Decimal("0.0001")) if realised else None
        out.append(Realised(row, realised, gap))
    return out

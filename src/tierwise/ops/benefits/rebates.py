"""The dry run of a rebate change (R-OPS-3): what it would cost per tier.

:func:`dry_run` is pure: given each customer's spend forecast for the period, their current
tier and the rebate percent per tier, it returns the cost per tier. Two forecasts:

- ``recent``: the customers buy as they did in the last ``days`` (:func:`recent_spend`);
- ``season`` (:func:`season_forecast`): the same season a year back says how customers who
  bought like this in a window went on to buy in the next one. A customer's spend in the last
  ``days`` is scaled by the ratio (next window ÷ window) of the customers who, a year earlier,
  were at the same percentile of spend among that window's buyers. It carries the season, the
  churn and the regression to the mean of customers picked for a high recent spend (a top
  tier), and reads only orders before the dry run's day.

:func:`beside_realised` puts the rebate ledger's accruals of the periods after publication
beside each tier's dry-run cost. Returns are not netted out of the dry run yet
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


def first_order_day(lake: Path) -> dt.date | None:
    """The day of the lake's first order (``None``: no order)."""
    import duckdb

    require_table(lake, "orders")
    con = duckdb.connect()
    try:
        row = con.execute(
            "SELECT min(order_time) FROM read_parquet(?, hive_partitioning = false)",
            [parquet_glob(lake, "orders")],
        ).fetchone()
    finally:
        con.close()
    first = row[0] if row else None
    return first.date() if isinstance(first, dt.datetime) else first


@dataclass(frozen=True)
class SeasonWindows:
    """The windows of a ``season`` forecast for the ``days`` from ``start``."""

    start: dt.date  # the first day forecast (the dry run's day + 1)
    days: int

    @property
    def recent(self) -> tuple[dt.date, dt.date]:
        return self.start - dt.timedelta(days=self.days), self.start

    @property
    def before(self) -> tuple[dt.date, dt.date]:
        """The window a year back (the cohort is picked on it)."""
        a, b = self.recent
        return a - dt.timedelta(days=365), b - dt.timedelta(days=365)

    @property
    def after(self) -> tuple[dt.date, dt.date]:
        """The window that followed it a year back (the same season as the forecast)."""
        b = self.start - dt.timedelta(days=365)
        return b, b + dt.timedelta(days=self.days)


BINS = 20


def _bin(rank: int, n: int, bins: int) -> int:
    return min(rank * bins // max(n, 1), bins - 1)


def _ranks(spend: Mapping[str, Decimal]) -> dict[str, int]:
    """Each buyer's rank by spend, smallest first (ties share the lowest rank)."""
    buyers = sorted((v, c) for c, v in spend.items() if v > 0)
    out: dict[str, int] = {}
    first = 0
    for i, (v, c) in enumerate(buyers):
        if i and v != buyers[i - 1][0]:
            first = i
        out[c] = first
    return out


def season_ratios(
    before: Mapping[str, Decimal], after: Mapping[str, Decimal], bins: int = BINS
) -> list[Decimal]:
    """Per percentile band of the window a year back's buyers: their spend in the next window
    ÷ their spend in that window (1 for an empty band)."""
    ranks = _ranks(before)
    num = [Decimal(0)] * bins
    den = [Decimal(0)] * bins
    for c, r in ranks.items():
        b = _bin(r, len(ranks), bins)
        num[b] += after.get(c, Decimal(0))
        den[b] += before[c]
    return [(n / d) if d else Decimal(1) for n, d in zip(num, den, strict=True)]


def season_forecast(
    recent: Mapping[str, Decimal],
    before: Mapping[str, Decimal],
    after: Mapping[str, Decimal],
    bins: int = BINS,
) -> dict[str, Decimal]:
    """Each customer's spend forecast for the period (pure): their ``recent`` spend × the
    :func:`season_ratios` band of their percentile among the recent window's buyers."""
    ratios = season_ratios(before, after, bins)
    ranks = _ranks(recent)
    return {
        c: (recent[c] * ratios[_bin(r, len(ranks), bins)]).quantize(CENT, ROUND_HALF_UP)
        for c, r in ranks.items()
    }


def forecast_spend(
    lake: Path, as_of: dt.date, days: int, method: str = "season"
) -> tuple[dict[str, Decimal], str]:
    """Each customer's spend forecast for the ``days`` after ``as_of`` from the lake's orders up
    to ``as_of`` only, and the method used. ``method``: ``recent``, ``season`` (a
    :class:`DataError` when the lake does not reach a year and ``days`` back) or ``auto``
    (``season`` when the lake reaches back far enough, else ``recent``)."""
    if method not in ("recent", "season", "auto"):
        raise DataError(f"no dry-run method {method!r}", field="method", value=method,
                        expected="recent, season or auto")  # fmt: skip
    w = SeasonWindows(as_of + dt.timedelta(days=1), days)
    if method != "recent":
        first = first_order_day(lake)
        enough = first is not None and first <= w.before[0]
        if not enough and method == "season":
            raise DataError(
                f"the season dry run needs orders from {w.before[0]} (a year and {days} days "
                f"before {w.start}); the lake's first order is on {first}",
                hint="use the recent method (--method recent) or a shorter --days",
                field="method", value=method, expected=f"orders from {w.before[0]}",
            )  # fmt: skip
        if enough:
            recent = recent_spend(lake, *w.recent)
            before = recent_spend(lake, *w.before)
            after = recent_spend(lake, *w.after)
            return season_forecast(recent, before, after), "season"
    return recent_spend(lake, *w.recent), "recent"


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

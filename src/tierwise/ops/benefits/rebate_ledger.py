"""The rebate ledger's decisions (R-OPS-3): pure, no database, no clock.

- :func:`parse_period` reads ``2026-11`` (a month) or ``2026-Q4`` (a quarter);
- :func:`rate_for` picks the rebate a customer earns for a period: the ``rebate`` grant in force
  on the period's last day whose ``period`` parameter is the period's kind (the published
  tier's rate, downgrade grace included, as :mod:`tierwise.ops.benefits.decide` keeps it);
- :func:`accrue` turns the period's net sales (orders − refunds granted in the period) and
  that rate into the amount, rounded half up to the fen;
- :func:`reconcile` says how the ledger's rows for one customer and period must change so that
  they sum to the amount: re-accruing the same figures changes nothing (idempotent); an open
  (unpaid) row is updated; once rows are paid a difference becomes an ``adjustment`` row, so
  nothing paid is ever rewritten.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Literal

from tierwise.errors import DataError
from tierwise.ops.benefits.decide import ACTIVE, Grant

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
ACCRUED, PAID = "accrued", "paid"
ACCRUAL, ADJUSTMENT = "accrual", "adjustment"
_PERIOD = re.compile(r"^((?:19|20)\d{2})-(?:(0[1-9]|1[0-2])|Q([1-4]))$")


@dataclass(frozen=True)
class Period:
    """A rebate period: ``start`` (first day) to ``end`` (last day, inclusive)."""

    label: str
    kind: Literal["month", "quarter"]
    start: dt.date
    end: dt.date

    @property
    def stop(self) -> dt.date:
        """The first day after the period."""
        return self.end + dt.timedelta(days=1)


def _month_start(year: int, month: int) -> dt.date:
    return dt.date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def parse_period(text: str) -> Period:
    """``2026-11`` → November 2026; ``2026-Q4`` → October to December 2026."""
    m = _PERIOD.match(text.strip())
    if m is None:
        raise DataError(
            f"{text!r} is not a rebate period",
            field="period",
            value=text,
            expected="YYYY-MM (a month) or YYYY-Qn (a quarter), years 1900-2099",
        )
    year = int(m.group(1))
    if m.group(2):
        month, months, kind = int(m.group(2)), 1, "month"
        label = f"{year}-{month:02d}"
    else:
        month, months, kind = 3 * int(m.group(3)) - 2, 3, "quarter"
        label = f"{year}-Q{m.group(3)}"
    start = _month_start(year, month)
    end = _month_start(year, month + months) - dt.timedelta(days=1)
    return Period(label, kind, start, end)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Rate:
    """The rebate a customer earns for a period, and the grant it comes from."""

    pct: Decimal
    tier: str
    grant_id: int | None


def _pct(value: object, where: str) -> Decimal:
    try:
        pct = Decimal(str(value))
    except InvalidOperation:
        raise DataError(f"{where}: rebate pct {value!r} is not a number", field="pct") from None
    if not (pct.is_finite() and Decimal(0) < pct <= Decimal(100)):
        raise DataError(
            f"{where}: a rebate of {value} % is not in (0, 100]",
            field="pct",
            value=str(value),
            expected="0 < percent <= 100",
        )
    return pct


def in_force(g: Grant, day: dt.date) -> bool:
    """Whether ``g`` applied on ``day``, whatever its status now (an ended grant keeps the
    day it ended in ``valid_until``: a past period is accrued on the grants of its time)."""
    if g.valid_until is None:
        return g.status == ACTIVE and g.valid_from <= day
    return g.valid_from <= day < g.valid_until


def rate_for(grants: Iterable[Grant], period: Period) -> Rate | None:
    """The rebate grant in force on the period's last day for this kind of period (``None``:
    the customer earns no rebate for it). Two such grants (codes) add up."""
    found = [
        g
        for g in grants
        if g.kind == "rebate"
        and in_force(g, period.end)
        and str(g.params.get("period", "month")) == period.kind
    ]
    if not found:
        return None
    found.sort(key=lambda g: (g.valid_from, g.id))
    pct = sum((_pct(g.params.get("pct"), f"grant #{g.id}") for g in found), Decimal(0))
    return Rate(pct, found[-1].tier, found[-1].id)


@dataclass(frozen=True)
class Accrual:
    """What a customer earns for a period (the target the ledger must sum to)."""

    customer_id: str
    rate: Rate | None
    gross: Decimal
    refunds: Decimal

    @property
    def net(self) -> Decimal:
        return (self.gross - self.refunds).quantize(CENT)

    @property
    def amount(self) -> Decimal:
        """``pct`` % of the net sales (nothing on a net below zero), half up to the fen."""
        if self.rate is None or self.net <= 0:
            return ZERO
        return (self.net * self.rate.pct / Decimal(100)).quantize(CENT, ROUND_HALF_UP)


def accrue(customer_id: str, rate: Rate | None, gross: Decimal, refunds: Decimal) -> Accrual:
    """The accrual of one customer: amounts in yuan, checked (no negative sales or refunds)."""
    for name, v in (("gross", gross), ("refunds", refunds)):
        if not v.is_finite() or v < 0:
            raise DataError(
                f"customer {customer_id}: {name} {v} is negative",
                field=name,
                value=str(v),
                expected="yuan >= 0",
            )
    return Accrual(customer_id, rate, gross.quantize(CENT), refunds.quantize(CENT))


@dataclass(frozen=True)
class LedgerRow:
    """A row of the ledger as :func:`reconcile` sees it."""

    id: int
    amount: Decimal
    status: str


@dataclass(frozen=True)
class Change:
    """``insert`` a row of ``amount`` (an accrual or an adjustment), ``update`` the open row
    ``row_id`` to ``amount``, or ``delete`` it."""

    action: Literal["insert", "update", "delete"]
    amount: Decimal
    entry: str = ACCRUAL
    row_id: int | None = None


def reconcile(rows: Sequence[LedgerRow], target: Accrual) -> list[Change]:
    """The changes that make a customer's rows for a period sum to ``target.amount``.

    Paid rows are never touched: the open row (at most one) carries ``target − paid``; with no
    open row a non-zero difference is inserted (an ``accrual`` first, an ``adjustment`` after
    a payout). An open row with nothing left to carry after a payout is deleted. A row is
    written for a customer with sales and a rate even when the amount rounds to 0.00.
    """
    paid = sum((r.amount for r in rows if r.status == PAID), ZERO)
    open_rows = [r for r in rows if r.status == ACCRUED]
    delta = target.amount - paid
    has_paid = any(r.status == PAID for r in rows)
    if open_rows:
        row = open_rows[0]
        if delta == 0 and (has_paid or target.rate is None):
            return [Change("delete", ZERO, row_id=row.id)]
        return [Change("update", delta, row_id=row.id)]
    if has_paid:
        return [Change("insert", delta, ADJUSTMENT)] if delta != 0 else []
    if target.rate is None or (delta == 0 and target.gross == 0 and target.refunds == 0):
        return []
    return [Change("insert", delta, ACCRUAL)]


@dataclass(frozen=True)
class StatementLine:
    """One row of a customer's statement."""

    period: str
    period_start: dt.date
    period_end: dt.date
    entry: str
    tier: str | None
    pct: Decimal
    gross: Decimal
    refunds: Decimal
    net: Decimal
    amount: Decimal
    status: str
    payout_id: int | None


@dataclass(frozen=True)
class StatementTotals:
    accrued: Decimal  # every row
    paid: Decimal
    outstanding: Decimal  # accrued, not yet paid


def totals(lines: Iterable[StatementLine]) -> StatementTotals:
    """What a statement's total rows say (equal to the ledger's rows by construction)."""
    items = list(lines)
    accrued = sum((x.amount for x in items), ZERO)
    paid = sum((x.amount for x in items if x.status == PAID), ZERO)
    return StatementTotals(accrued, paid, accrued - paid)

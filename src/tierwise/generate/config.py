"""What to generate: the size, seed and span of a book, checked once at the boundary."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from tierwise.errors import UsageError
from tierwise.generate.calendar import day_number, months_before

DEFAULT_END_DATE = dt.date(2026, 10, 31)
HORIZON_DAYS = 183  # the simulated future kept apart in truth/ (next 90 and 180 days)
MAX_CUSTOMERS = 2_000_000
MAX_MONTHS = 60
# Customers are simulated in fixed batches; the batch size is part of the seed's meaning
# (it picks the random streams), so it is a constant, not a tuning knob.
BATCH_CUSTOMERS = 1024


@dataclass(frozen=True)
class GenerateConfig:
    """Parameters of one generated book.

    Parameters
    ----------
    customers:
        Number of outlets (customers), 1 .. 2 000 000.
    months:
        Length of the book in months, 1 .. 60 (2–3 years is typical).
    seed:
        Random seed; the same seed and parameters give a byte-identical output.
    end_date:
        Last day of the book; the truth horizon follows it.
    exports:
        Whether to write the dirty source-style exports beside the lake.
    """

    customers: int
    months: int
    seed: int = 0
    end_date: dt.date = DEFAULT_END_DATE
    exports: bool = True

    def __post_init__(self) -> None:
        if not 1 <= self.customers <= MAX_CUSTOMERS:
            raise UsageError(
                f"--customers must be between 1 and {MAX_CUSTOMERS:,}, got {self.customers}",
                hint="e.g. --customers 3000",
                value=self.customers,
            )
        if not 1 <= self.months <= MAX_MONTHS:
            raise UsageError(
                f"--months must be between 1 and {MAX_MONTHS}, got {self.months}",
                hint="a book of 24 to 36 months is typical",
                value=self.months,
            )
        if not 0 <= self.seed < 2**63:
            raise UsageError(f"--seed must be a non-negative integer, got {self.seed}")

    @property
    def start_date(self) -> dt.date:
        """First day of the book."""
        return months_before(self.end_date, self.months)

    @property
    def first_day(self) -> int:
        """Day number of the first day of the book."""
        return day_number(self.start_date)

    @property
    def book_days(self) -> int:
        """Number of days in the book (inclusive of both ends)."""
        return day_number(self.end_date) - self.first_day + 1

    @property
    def total_days(self) -> int:
        """Book plus the truth horizon."""
        return self.book_days + HORIZON_DAYS


def prepare_out(out: Path) -> Path:
    """Create ``out`` (or check it) and prove it is writable; a clear error otherwise."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".tierwise-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        raise UsageError(
            f"cannot write to --out {out}: {err.strerror or err}",
            hint="choose a folder you can write to",
            path=str(out),
        ) from None
    return out

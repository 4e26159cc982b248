"""Invoices and payments of a batch, following each customer's payment terms (账期).

Prepaid and cash-on-delivery customers are billed per delivery day, weekly customers on the
Monday after the week, monthly customers on the first of the next month. Late payers pay
days to weeks after the due date; some bills are paid in two instalments. Nothing issued or
paid after the end of the book is written (it was not knowable then).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tierwise.generate.orders import OrderBatch
from tierwise.generate.population import Population

_DUE_AFTER = np.array([0, 1, 7, 30])  # days from issue to due, by TERMS index


@dataclass
class InvoiceBatch:
    """Invoices (cust, issue, due, amount) and payments (invoice index, day, amount)."""

    cust: np.ndarray
    issue: np.ndarray
    due: np.ndarray
    amount: np.ndarray  # fen
    pay_invoice: np.ndarray
    pay_day: np.ndarray
    pay_amount: np.ndarray  # fen


def _billing(terms: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The billing period key and issue day of each order day under ``terms``."""
    week_monday = day - (day + 3) % 7  # Monday of the order's week (1970-01-01 was Thursday)
    month = day.astype("datetime64[D]").astype("datetime64[M]")
    next_month = (month + 1).astype("datetime64[D]").astype(np.int64)
    period = np.select([terms <= 1, terms == 2], [day, week_monday], month.astype(np.int64))
    issue = np.select([terms <= 1, terms == 2], [day, week_monday + 7], next_month)
    return period, issue


def simulate_invoices(
    pop: Population, orders: OrderBatch, end: int, rng: np.random.Generator
) -> InvoiceBatch:
    """Bill the book's ``orders`` and simulate how each bill was paid, up to day ``end``."""
    terms = pop.terms[orders.cust]
    period, issue = _billing(terms, orders.day)
    key = orders.cust * 1_000_000 + period  # day or month numbers stay below a million
    uniq, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    amount = (
        np.bincount(inverse, weights=orders.amount, minlength=len(uniq)).round().astype(np.int64)
    )
    cust = orders.cust[first]
    inv_issue = issue[first]
    inv_terms = terms[first]
    due = inv_issue + _DUE_AFTER[inv_terms]
    keep = inv_issue <= end
    cust, inv_issue, due, amount, inv_terms = (
        a[keep] for a in (cust, inv_issue, due, amount, inv_terms)
    )
    n = len(cust)
    late = (rng.random(n) < pop.late_rate[cust]) & (inv_terms > 0)  # prepaid cannot be late
    delay = np.where(
        late,
        np.ceil(rng.exponential(pop.late_days[cust])).astype(np.int64),
        -rng.integers(0, 3, n) * (inv_terms >= 2),  # periodic payers often pay early
    )
    paid = np.maximum(due + delay, inv_issue)
    split = (rng.random(n) < 0.1) & (inv_terms >= 2)
    first_part = np.where(split, np.round(amount * rng.uniform(0.3, 0.7, n)), amount).astype(
        np.int64
    )
    second_day = paid + rng.integers(3, 20, n)
    pay_invoice = np.concatenate([np.arange(n), np.flatnonzero(split)])
    pay_day = np.concatenate([np.where(split, np.minimum(paid, due), paid), second_day[split]])
    pay_amount = np.concatenate([first_part, (amount - first_part)[split]])
    ok = pay_day <= end
    order = np.lexsort((pay_day[ok], pay_invoice[ok]))
    return InvoiceBatch(
        cust, inv_issue, due, amount,
        pay_invoice[ok][order], pay_day[ok][order], pay_amount[ok][order],
    )  # fmt: skip

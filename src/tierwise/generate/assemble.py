"""Simulated batches to canonical Arrow tables, with the book's running id counters.

Ids are numbered in batch order, so they only depend on the seed and the configuration.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tierwise.generate.arrowkit import US_PER_DAY, canonical, dates, ids, money, pick, timestamps
from tierwise.generate.calendar import yyyymmdd
from tierwise.generate.finance import InvoiceBatch
from tierwise.generate.lines import RULES
from tierwise.generate.master import Catalogue
from tierwise.generate.orders import OrderBatch
from tierwise.generate.returns import REASONS, ReturnBatch
from tierwise.generate.service import RATINGS, RESOLUTIONS, TOPICS, TicketBatch
from tierwise.model.tables import CATEGORIES, CHANNELS


def customer_ids(cust: np.ndarray) -> pa.Array:
    """Customer number (0-based) to customer_id (C0000001)."""
    return ids("C", np.asarray(cust) + 1, 7)


@dataclass
class Counters:
    """Next sequence number of each id kind."""

    next: dict[str, int] = field(
        default_factory=lambda: {"order": 1, "return": 1, "invoice": 1, "payment": 1, "ticket": 1}
    )

    def take(self, kind: str, n: int) -> np.ndarray:
        """``n`` consecutive numbers for ``kind``."""
        start = self.next[kind]
        self.next[kind] = start + n
        return np.arange(start, start + n, dtype=np.int64)


def order_tables(
    orders: OrderBatch, cat: Catalogue, counters: Counters
) -> tuple[pa.Table, pa.Table, pa.Array]:
    """The orders and order_lines tables of a batch, and the order ids (to reference them)."""
    seq = counters.take("order", len(orders.cust))
    number = yyyymmdd(orders.day) * 100_000_000 + seq
    order_id = pc.binary_join_element_wise("SO", pc.cast(pa.array(number), pa.string()), "")
    orders_tbl = canonical(
        "orders",
        {
            "order_id": order_id,
            "customer_id": customer_ids(orders.cust),
            "order_time": timestamps(orders.time_us),
            "channel": pick(CHANNELS, orders.channel),
            "amount": money(orders.amount),
        },
    )
    owner = np.repeat(np.arange(len(orders.cust)), orders.n_lines)
    lines_tbl = canonical(
        "order_lines",
        {
            "order_id": pc.take(order_id, pa.array(owner)),
            "line_no": pa.array(orders.line_no, pa.int32()),
            "sku": pick(cat.sku, orders.sku),
            "category": pick(CATEGORIES, cat.category[orders.sku]),
            "quantity": pa.array(orders.quantity, pa.float64()),
            "unit_price": money(orders.unit_price),
            "amount": money(orders.line_amount),
            "cost": money(orders.line_cost),
            "list_price": money(orders.list_price),
            "price_rule": pick(RULES, orders.rule),
        },
    )
    return orders_tbl, lines_tbl, order_id


def returns_table(
    ret: ReturnBatch, orders: OrderBatch, order_id: pa.Array, counters: Counters
) -> pa.Table:
    """The returns table of a batch."""
    return canonical(
        "returns",
        {
            "return_id": ids("RT", counters.take("return", len(ret.order)), 10),
            "order_id": pc.take(order_id, pa.array(ret.order)),
            "customer_id": customer_ids(orders.cust[ret.order]),
            "return_time": timestamps(ret.time_us),
            "amount": money(ret.amount),
            "reason": pick(REASONS, ret.reason),
        },
    )


def finance_tables(inv: InvoiceBatch, counters: Counters) -> tuple[pa.Table, pa.Table]:
    """The invoices and payments tables of a batch."""
    invoice_id = ids("INV", counters.take("invoice", len(inv.cust)), 10)
    invoices = canonical(
        "invoices",
        {
            "invoice_id": invoice_id,
            "customer_id": customer_ids(inv.cust),
            "issue_date": dates(inv.issue),
            "due_date": dates(inv.due),
            "amount": money(inv.amount),
        },
    )
    payments = canonical(
        "payments",
        {
            "payment_id": ids("PAY", counters.take("payment", len(inv.pay_invoice)), 10),
            "invoice_id": pc.take(invoice_id, pa.array(inv.pay_invoice)),
            "customer_id": customer_ids(inv.cust[inv.pay_invoice]),
            "paid_date": dates(inv.pay_day),
            "amount": money(inv.pay_amount),
        },
    )
    return invoices, payments


def tickets_table(t: TicketBatch, counters: Counters) -> pa.Table:
    """The tickets table of a batch (open tickets have no resolved time nor resolution)."""
    is_open = pa.array(t.resolved_us < 0)
    null_ts = pa.scalar(None, pa.timestamp("us"))
    return canonical(
        "tickets",
        {
            "ticket_id": ids("TK", counters.take("ticket", len(t.cust)), 9),
            "customer_id": customer_ids(t.cust),
            "created_time": timestamps(t.created_us),
            "kind": pick(("complaint", "inquiry"), t.kind),
            "severity": pa.array(t.severity, pa.int32()),
            "topic": pick(TOPICS, t.topic),
            "resolved_time": pc.if_else(is_open, null_ts, timestamps(np.maximum(t.resolved_us, 0))),
            "resolution": pc.if_else(
                is_open,
                pa.scalar(None, pa.string()),
                pick(RESOLUTIONS, np.maximum(t.resolution, 0)),
            ),
        },
    )


def activity_table(
    cust: np.ndarray, day: np.ndarray, logins: np.ndarray, interactions: np.ndarray
) -> pa.Table:
    """The activity table of a batch."""
    return canonical(
        "activity",
        {
            "customer_id": customer_ids(cust),
            "date": dates(day),
            "logins": pa.array(logins, pa.int32()),
            "interactions": pa.array(interactions, pa.int32()),
        },
    )


def credit_table(
    cust: np.ndarray, day: np.ndarray, rating: np.ndarray, disputes: np.ndarray
) -> pa.Table:
    """The credit table of a batch."""
    return canonical(
        "credit",
        {
            "customer_id": customer_ids(cust),
            "report_date": dates(day),
            "rating": pick(RATINGS, rating),
            "legal_disputes": pa.array(disputes, pa.int32()),
        },
    )


def last_microsecond(day: int) -> int:
    """The last microsecond of ``day`` (inclusive end of the book)."""
    return (day + 1) * US_PER_DAY - 1

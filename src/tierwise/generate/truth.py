"""The ground truth kept apart from the lake: trajectories, future value, injected behaviours.

Later work scores itself against it: churn and value prediction against the horizon after
the book (next 90 and 180 days), outlier detection against the refund spikes and brushing
bursts, which are real behaviours present in the clean lake.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tierwise.generate.arrowkit import dates, money, pick, timestamps
from tierwise.generate.assemble import customer_ids
from tierwise.generate.calendar import from_day_number
from tierwise.generate.config import GenerateConfig
from tierwise.generate.orders import OrderBatch
from tierwise.generate.population import NEVER, TRAJECTORIES, Population
from tierwise.generate.returns import ReturnBatch


class TruthAccumulator:
    """Collects per-customer facts batch by batch."""

    def __init__(self, cfg: GenerateConfig, pop: Population) -> None:
        self.cfg = cfg
        self.pop = pop
        self.end = cfg.first_day + cfg.book_days - 1
        n = cfg.customers
        self.counts = {k: np.zeros(n, np.int64) for k in ("book", "next_90d", "next_180d")}
        self.spend = {k: np.zeros(n, np.int64) for k in ("book", "next_90d", "next_180d")}
        self.last_order = np.full(n, -1, np.int64)
        self.lost = np.zeros(n, np.int64)
        self.substituted = np.zeros(n, np.int64)
        self.brushing: list[dict[str, Any]] = []
        self.refund_spikes: list[dict[str, Any]] = []

    def add_orders(self, orders: OrderBatch, in_book: np.ndarray) -> None:
        """Count a batch's orders in the book and in each horizon window."""
        windows = {
            "book": in_book,
            "next_90d": ~in_book & (orders.day <= self.end + 90),
            "next_180d": ~in_book & (orders.day <= self.end + 180),
        }
        for key, mask in windows.items():
            np.add.at(self.counts[key], orders.cust[mask], 1)
            np.add.at(self.spend[key], orders.cust[mask], orders.amount[mask])
        np.maximum.at(self.last_order, orders.cust[in_book], orders.day[in_book])
        np.add.at(self.lost, orders.cust[in_book], orders.lost[in_book])
        np.add.at(self.substituted, orders.cust[in_book], orders.substituted[in_book])

    def add_anomalies(
        self, book: OrderBatch, order_id: pa.Array, ret: ReturnBatch, returns: pa.Table
    ) -> None:
        """Record the brushing bursts and refund spikes of a batch with their ids."""
        for c in np.unique(book.cust[book.brushing]).tolist():
            idx = np.flatnonzero(book.brushing & (book.cust == c))
            self.brushing.append(
                {
                    "customer_id": f"C{c + 1:07d}",
                    "order_ids": pc.take(order_id, pa.array(idx)).to_pylist(),
                    "first_order_time": str(timestamps(book.time_us[idx[:1]])[0].as_py()),
                }
            )
        spikes = np.flatnonzero(ret.spike)
        spike_cust = book.cust[ret.order[spikes]]
        for c in np.unique(spike_cust).tolist():
            rows = spikes[spike_cust == c]
            self.refund_spikes.append(
                {
                    "customer_id": f"C{c + 1:07d}",
                    "return_ids": returns["return_id"].take(pa.array(rows)).to_pylist(),
                    "order_ids": pc.take(order_id, pa.array(ret.order[rows])).to_pylist(),
                }
            )

    def table(self) -> pa.Table:
        """One row per customer: trajectory, churn, book totals and the future value."""
        pop, end = self.pop, self.end
        n = pop.n

        def day_or_null(d: np.ndarray, valid: np.ndarray) -> pa.Array:
            return pc.if_else(
                pa.array(valid), dates(np.where(valid, d, 0)), pa.scalar(None, pa.date32())
            )

        churn = pop.churn
        cols: dict[str, Any] = {
            "customer_id": customer_ids(np.arange(n)),
            "trajectory": pick(TRAJECTORIES, pop.trajectory),
            "signup_date": dates(pop.signup),
            "churn_date": day_or_null(churn, churn < NEVER),
            "pause_start": day_or_null(pop.gap_start, pop.gap_start < NEVER),
            "pause_end": day_or_null(pop.gap_end, pop.gap_end < NEVER),
            "churned_in_book": pa.array(churn <= end),
            "churned_in_horizon": pa.array((churn > end) & (churn <= end + 180)),
            "last_order_date": day_or_null(self.last_order, self.last_order >= 0),
        }
        for key in ("book", "next_90d", "next_180d"):
            cols[f"orders_{key}"] = pa.array(self.counts[key])
            cols[f"spend_{key}"] = money(self.spend[key])
        cols.update(
            lines_lost_stockout=pa.array(self.lost),
            lines_substituted=pa.array(self.substituted),
            late_payer=pa.array(pop.late_rate >= 0.3),
            complainer=pa.array(pop.complaint_rate >= 1.0),
            legal_dispute=pa.array(pop.dispute_day <= end),
            refund_spike=pa.array(
                np.isin(np.arange(n), [int(s["customer_id"][1:]) - 1 for s in self.refund_spikes])
            ),
            order_brushing=pa.array(
                np.isin(np.arange(n), [int(s["customer_id"][1:]) - 1 for s in self.brushing])
            ),
        )
        return pa.table(cols)

    def horizon(self) -> dict[str, str]:
        """The dates of the book and of the horizon, for the manifest."""
        return {
            "book_start": str(self.cfg.start_date),
            "book_end": str(from_day_number(self.end)),
            "horizon_end": str(from_day_number(self.end + 180)),
        }

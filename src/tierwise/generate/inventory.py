"""Warehouse inventory: daily demand, the stock ledger, purchase orders and receipts (库存/采购).

One warehouse per city serves that city's outlets. Every order line is a shipment from the
outlet's warehouse; a line a stock-out kept from its SKU (lost, or served by a sibling SKU) is
demand the warehouse could not serve. After the orders, the stock of every SKU × warehouse is
run day by day under a replenishment policy that is consistent with the stock-out calendar of
:mod:`tierwise.generate.supply`:

* deliveries come every ``CADENCE`` days (fresh goods every 2, frozen every 7, dry every 14) and
  bring the stock up to the next delivery's shipments plus ``SAFETY_DAYS`` of mean demand;
  each is a purchase order placed ``lead_time_days`` (the catalogue's supplier lead time)
  before it arrives;
* a stock-out episode of the SKU (the supplier's shortfall) starts with the warehouse empty:
  the deliveries before it bring no more than what ships until then (the buyer is rationed:
  the closing stock on the eve of the episode is 0, never negative), the deliveries due during it
  do not come, and the episode's purchase order (placed ``lead_time_days`` before the first
  day of the episode) arrives on the day after it ends; what still ships during the episode
  (an order's last line, rescued by a sibling that is short too) arrives as a partial receipt
  of that order on its day.

So every receipt arrives at least the lead time after its order, the stock is never
negative, and on every stock-out day the warehouse opens empty. The first day's opening stock
is the policy's level (capped so that an episode at the start begins empty).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tierwise.generate.arrowkit import canonical, dates, ids, money, pick
from tierwise.generate.geo import DISTRICTS, city_short
from tierwise.generate.master import Catalogue
from tierwise.generate.orders import OrderBatch
from tierwise.model.tables import CATEGORIES

WAREHOUSE_CITIES: tuple[str, ...] = tuple(dict.fromkeys(d.city for d in DISTRICTS))
WAREHOUSE_OF_DISTRICT = np.array([WAREHOUSE_CITIES.index(d.city) for d in DISTRICTS], np.int64)
WAREHOUSE_IDS = tuple(f"WH{i + 1:02d}" for i in range(len(WAREHOUSE_CITIES)))
WAREHOUSE_NAMES = tuple(f"{city_short(c)}仓" for c in WAREHOUSE_CITIES)
# Days between deliveries and safety stock in days of mean demand, by category (CATEGORIES).
_CADENCE = {"鲜肉": 2, "蔬菜": 2, "水产": 2, "火锅食材": 7, "速冻小吃": 7, "冻品": 7}
_SAFETY = {"鲜肉": 1.0, "蔬菜": 1.0, "水产": 1.0, "火锅食材": 3.0, "速冻小吃": 3.0, "冻品": 3.0}
CADENCE = np.array([_CADENCE.get(c, 14) for c in CATEGORIES], np.int64)
SAFETY_DAYS = np.array([_SAFETY.get(c, 5.0) for c in CATEGORIES])
_CHUNK = 4096  # SKU × warehouse pairs run together


class DemandAccumulator:
    """Per SKU × warehouse × day: shipped, substituted-in, lost and substituted-away quantity."""

    def __init__(self, cat: Catalogue, first_day: int, n_days: int) -> None:
        self.cat = cat
        self.first_day = first_day
        self.n_days = n_days
        self.n_wh = len(WAREHOUSE_CITIES)
        shape = (cat.n * self.n_wh, n_days)
        self.shipped = np.zeros(shape, np.float32)
        self.subst_in = np.zeros(shape, np.float32)
        self.lost = np.zeros(shape, np.float32)
        self.subst_out = np.zeros(shape, np.float32)

    def _add(self, into: np.ndarray, sku: np.ndarray, wh: np.ndarray, day: np.ndarray,
             qty: np.ndarray) -> None:  # fmt: skip
        col = day - self.first_day
        ok = (col >= 0) & (col < self.n_days)
        flat = (sku[ok] * self.n_wh + wh[ok]) * self.n_days + col[ok]
        uniq, inverse = np.unique(flat, return_inverse=True)
        into.reshape(-1)[uniq] += np.bincount(inverse, weights=qty[ok]).astype(np.float32)

    def add(self, orders: OrderBatch, district: np.ndarray) -> None:
        """Add a batch of orders (``district``: the population's district of each customer)."""
        wh_of = WAREHOUSE_OF_DISTRICT[district[orders.cust]]
        line_wh = np.repeat(wh_of, orders.n_lines)
        line_day = np.repeat(orders.day, orders.n_lines)
        self._add(self.shipped, orders.sku, line_wh, line_day, orders.quantity)
        sub = orders.line_substitute
        self._add(self.subst_in, orders.sku[sub], line_wh[sub], line_day[sub], orders.quantity[sub])
        u = orders.unmet
        u_wh, u_day = wh_of[u.order], orders.day[u.order]
        for mask, into in ((u.lost, self.lost), (~u.lost, self.subst_out)):
            self._add(into, u.sku[mask], u_wh[mask], u_day[mask], u.quantity[mask])


@dataclass
class Ledger:
    """The stock of every SKU × warehouse pair, day by day (rows = pairs, columns = days)."""

    received: np.ndarray
    closing: np.ndarray
    ordered: np.ndarray  # normal purchase order quantity, on the day it is due
    episode_po: np.ndarray  # bool: the day's receipt belongs to a stock-out episode's order
    opening: np.ndarray  # per pair: stock before the first day


def _sums(acc: DemandAccumulator) -> np.ndarray:
    """Total true demand of each pair over the span."""
    out: np.ndarray = (
        acc.shipped.sum(axis=1, dtype=np.float64)
        - acc.subst_in.sum(axis=1, dtype=np.float64)
        + acc.lost.sum(axis=1, dtype=np.float64)
        + acc.subst_out.sum(axis=1, dtype=np.float64)
    )
    return out


def run_ledger(acc: DemandAccumulator, out: np.ndarray) -> Ledger:
    """Run the replenishment policy (module docstring) against ``out`` (n_sku × n_days).

    A delivery on day ``t`` brings the next cadence's shipments plus safety stock minus the
    stock, but never more than ships before the next stock-out episode (which starts empty).
    """
    n_wh, days = acc.n_wh, acc.n_days
    pairs = acc.shipped.shape[0]
    sku_of = np.arange(pairs) // n_wh
    cadence = CADENCE[acc.cat.category][sku_of]
    ss = np.ceil(SAFETY_DAYS[acc.cat.category][sku_of] * _sums(acc) / days)
    offset = (np.arange(pairs) * 7919) % cadence  # deliveries of a city's SKUs spread over days
    # next episode start on or after each day (days = none), per SKU
    starts = out & ~np.concatenate([np.zeros((out.shape[0], 1), bool), out[:, :-1]], axis=1)
    ends = ~out & np.concatenate([np.zeros((out.shape[0], 1), bool), out[:, :-1]], axis=1)
    nxt = np.full(out.shape, days, np.int64)
    following = np.full(out.shape[0], days, np.int64)
    for t in range(days - 1, -1, -1):
        following = np.where(starts[:, t], t, following)
        nxt[:, t] = following
    received = np.zeros((pairs, days), np.float32)
    closing = np.zeros((pairs, days), np.float32)
    ordered = np.zeros((pairs, days), np.float32)
    opening = np.zeros(pairs)
    active = np.flatnonzero(acc.shipped.any(axis=1) | (ss > 0))  # the rest stay all zero
    day_idx = np.arange(days)
    for lo in range(0, len(active), _CHUNK):
        p = active[lo : lo + _CHUNK]
        sk, k, s = sku_of[p], cadence[p], ss[p]
        ship = acc.shipped[p].astype(np.float64)
        cum = np.concatenate([np.zeros((len(p), 1)), np.cumsum(ship, axis=1)], axis=1)
        # per day: shipments of the next cadence, and shipments before the next episode
        fwd = np.take_along_axis(cum, np.minimum(day_idx[None, :] + k[:, None], days), 1)
        fwd -= cum[:, :-1]
        nxt_c = nxt[sk]
        before = np.take_along_axis(cum, nxt_c, 1) - cum[:, :-1]
        before[nxt_c >= days] = np.inf
        out_c, ends_c = out[sk], ends[sk]
        due = ((day_idx[None, :] + offset[p][:, None]) % k[:, None] == 0) | ends_c
        c = np.maximum(np.minimum(fwd[:, 0] + s, before[:, 0]), 0)
        opening[p] = c
        rec = np.zeros((len(p), days))
        clo = np.zeros((len(p), days))
        for t in range(days):
            o = out_c[:, t]
            deliver = due[:, t] & ~o
            r = np.maximum(np.minimum(fwd[:, t] + s - c, before[:, t] - c), 0)
            r = np.where(o, ship[:, t], np.where(deliver, r, 0.0))
            c = c + r - ship[:, t]
            rec[:, t] = r
            clo[:, t] = c
        received[p] = rec
        closing[p] = clo
        ordered[p] = np.where(due & ~out_c, rec, 0)
    episode_po = (out | ends)[sku_of]
    return Ledger(received, closing, ordered, episode_po, opening)


def inventory_tables(
    acc: DemandAccumulator, out: np.ndarray, ledger: Ledger, po_prefix: str
) -> dict[str, pa.Table]:
    """The lake tables: inventory_snapshots, purchase_orders, receipts."""
    cat, n_wh, days, first = acc.cat, acc.n_wh, acc.n_days, acc.first_day
    pairs = ledger.closing.shape[0]
    sku_of, wh_of = np.arange(pairs) // n_wh, np.arange(pairs) % n_wh
    active = (acc.shipped.sum(axis=1) > 0) | (acc.lost.sum(axis=1) + acc.subst_out.sum(axis=1) > 0)
    lead = np.asarray(cat.table["lead_time_days"].to_numpy(), np.int64)
    supplier = cat.table["supplier"].to_pylist()

    # Snapshots: the opening stock, every month-end's close (月末盘点) and the last day's close.
    day_no = first + np.arange(days)
    month = day_no.astype("datetime64[D]").astype("datetime64[M]")
    snap_cols = np.flatnonzero(np.append(month[1:] != month[:-1], True))
    p_idx = np.flatnonzero(active)
    s_pair = np.concatenate([p_idx, np.repeat(p_idx, len(snap_cols))])
    s_day = np.concatenate([np.full(len(p_idx), first - 1), np.tile(day_no[snap_cols], len(p_idx))])
    s_qty = np.concatenate([ledger.opening[p_idx], ledger.closing[p_idx][:, snap_cols].ravel()])
    snapshots = canonical(
        "inventory_snapshots",
        {
            "snapshot_date": dates(s_day),
            "warehouse_id": pick(WAREHOUSE_IDS, wh_of[s_pair]),
            "warehouse_name": pick(WAREHOUSE_NAMES, wh_of[s_pair]),
            "sku": pick(cat.sku, sku_of[s_pair]),
            "on_hand": pa.array(s_qty, pa.float64()),
        },
    )

    # Purchase orders: one per normal delivery; one per stock-out episode (due on its first day).
    pr, dc = np.nonzero((ledger.ordered > 0) & ~ledger.episode_po)
    starts = out[sku_of] & ~np.concatenate([np.zeros((pairs, 1), bool), out[sku_of][:, :-1]], 1)
    ep_pair, ep_col = np.nonzero(starts & active[:, None])
    # each episode receipt (partial on a short day, the rest the day after) -> its episode
    rp, rc = np.nonzero((ledger.received > 0) & ledger.episode_po)
    ep_key = ep_pair * days + ep_col
    which = np.searchsorted(ep_key, rp * days + rc, side="right") - 1
    ep_qty = np.bincount(which, weights=ledger.received[rp, rc], minlength=len(ep_key))
    po_pair = np.concatenate([pr, ep_pair])
    po_due = np.concatenate([dc, ep_col]) + first
    po_qty = np.concatenate([ledger.ordered[pr, dc], ep_qty])
    keep = po_qty > 0
    po_pair, po_due, po_qty = po_pair[keep], po_due[keep], po_qty[keep]
    po_lead = lead[sku_of[po_pair]]
    order = np.lexsort((sku_of[po_pair], wh_of[po_pair], po_due - po_lead))
    po_pair, po_due, po_qty, po_lead = po_pair[order], po_due[order], po_qty[order], po_lead[order]
    po_ids = ids(po_prefix, np.arange(1, len(po_pair) + 1), 8)
    purchase_orders = canonical(
        "purchase_orders",
        {
            "po_id": po_ids,
            "supplier": pick(supplier, sku_of[po_pair]),
            "warehouse_id": pick(WAREHOUSE_IDS, wh_of[po_pair]),
            "sku": pick(cat.sku, sku_of[po_pair]),
            "order_date": dates(po_due - po_lead),
            "expected_date": dates(po_due),
            "quantity": pa.array(po_qty, pa.float64()),
            "unit_cost": money(np.round(cat.cost_fen[sku_of[po_pair]]).astype(np.int64)),
        },
    )

    # Receipts: normal ones belong to the order due that day; episode ones to the episode's.
    po_key = po_pair * (days + first + 1) + po_due
    by_key = np.argsort(po_key)
    nr, nc = np.nonzero((ledger.received > 0) & ~ledger.episode_po)
    r_pair = np.concatenate([nr, rp])
    r_col = np.concatenate([nc, rc])
    due = np.concatenate([nc, ep_col[which]]) + first
    r_po = by_key[np.searchsorted(po_key[by_key], r_pair * (days + first + 1) + due)]
    order = np.lexsort((r_po, r_col))
    r_pair, r_col, r_po = r_pair[order], r_col[order], r_po[order]
    receipts = canonical(
        "receipts",
        {
            "receipt_id": ids(po_prefix.replace("PO", "GR"), np.arange(1, len(r_po) + 1), 8),
            "po_id": pc.take(po_ids, pa.array(r_po)),
            "warehouse_id": pick(WAREHOUSE_IDS, wh_of[r_pair]),
            "sku": pick(cat.sku, sku_of[r_pair]),
            "received_date": dates(r_col + first),
            "quantity": pa.array(ledger.received[r_pair, r_col], pa.float64()),
        },
    )
    return {
        "inventory_snapshots": snapshots,
        "purchase_orders": purchase_orders,
        "receipts": receipts,
    }


def write_demand_truth(acc: DemandAccumulator, out: np.ndarray, ledger: Ledger, path: Path) -> int:
    """truth/inventory.parquet: true demand per SKU × warehouse × day (days with any movement).

    Written a slice of pairs at a time (bounded memory); returns the rows written.
    """
    n_wh, first = acc.n_wh, acc.first_day
    pairs = acc.shipped.shape[0]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    rows = 0
    with pq.ParquetWriter(tmp, _TRUTH_SCHEMA, compression="zstd") as writer:
        for lo in range(0, pairs, _CHUNK):
            hi = min(pairs, lo + _CHUNK)
            sl = slice(lo, hi)
            demand = acc.shipped[sl] - acc.subst_in[sl] + acc.lost[sl] + acc.subst_out[sl]
            pr, dc = np.nonzero((demand > 0) | (acc.shipped[sl] > 0) | (ledger.received[sl] > 0))
            pair = pr + lo
            sku_of, wh_of = pair // n_wh, pair % n_wh
            cols = {
                "date": dates(dc + first),
                "warehouse_id": pick(WAREHOUSE_IDS, wh_of),
                "sku": pick(acc.cat.sku, sku_of),
                "demand": demand[pr, dc],
                "shipped": acc.shipped[sl][pr, dc],
                "substituted_in": acc.subst_in[sl][pr, dc],
                "lost": acc.lost[sl][pr, dc],
                "substituted_out": acc.subst_out[sl][pr, dc],
                "received": ledger.received[sl][pr, dc],
                "closing": ledger.closing[sl][pr, dc],
                "stockout": out[sku_of, dc],
            }
            writer.write_table(pa.table(cols, schema=_TRUTH_SCHEMA))
            rows += len(pr)
    os.replace(tmp, path)
    return rows


_TRUTH_QTY = ("demand", "shipped", "substituted_in", "lost", "substituted_out", "received",
              "closing")  # fmt: skip
_TRUTH_SCHEMA = pa.schema(
    [("date", pa.date32()), ("warehouse_id", pa.string()), ("sku", pa.string())]
    + [(c, pa.float32()) for c in _TRUTH_QTY]
    + [("stockout", pa.bool_())]
)


def inventory(
    acc: DemandAccumulator, out: np.ndarray, truth: Path, po_prefix: str = "PO"
) -> dict[str, pa.Table]:
    """Run the ledger, write the demand truth to ``truth``; the lake tables."""
    ledger = run_ledger(acc, out)
    write_demand_truth(acc, out, ledger, truth)
    return inventory_tables(acc, out, ledger, po_prefix)


__all__ = [
    "CADENCE",
    "SAFETY_DAYS",
    "WAREHOUSE_CITIES",
    "WAREHOUSE_IDS",
    "DemandAccumulator",
    "Ledger",
    "inventory",
]

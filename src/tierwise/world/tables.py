"""What a simulation writes: the lake of the assigned world, its exports, and the truth tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.dataset as ds

from tierwise.generate import assemble
from tierwise.generate.arrowkit import canonical, dates, ids, money, pick
from tierwise.generate.basket import Baskets
from tierwise.generate.latent import Latent
from tierwise.generate.operations import managers_table, price_rules_table
from tierwise.generate.population import NEVER
from tierwise.generate.returns import ReturnBatch
from tierwise.generate.service import TicketBatch
from tierwise.lake import write_parquet_atomic
from tierwise.model.tables import TABLES
from tierwise.world.assign import Assignment
from tierwise.world.book import World
from tierwise.world.engine import BatchWorld, Window, WorldState
from tierwise.world.response import Effects

# World ids start far above a book's, so a book and its simulated future never share an id.
_WORLD_COUNTERS = {
    "order": 90_000_001, "return": 9_000_000_001, "invoice": 9_000_000_001,
    "payment": 9_000_000_001, "ticket": 900_000_001,
}  # fmt: skip


class LakeWriter:
    """Writes the assigned world's tables batch by batch, then the operations tables."""

    def __init__(self, out: Path, world: World, win: Window) -> None:
        self.out = out
        self.lake = out / "lake"
        self.world = world
        self.win = win
        self.counters = assemble.Counters(dict(_WORLD_COUNTERS))
        self.rows: dict[str, int] = {}
        self.coupons: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.rebates: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._order_id = pa.array([], pa.string())

    def _write(self, name: str, tbl: pa.Table, part: int = 0) -> None:
        write_parquet_atomic(tbl, self.lake / name / f"part-{part:05d}.parquet")
        self.rows[name] = self.rows.get(name, 0) + tbl.num_rows

    def service(self, b: int, w: BatchWorld, ret: ReturnBatch, tickets: TicketBatch) -> None:
        """The returns of batch ``b``'s orders and its outlets' tickets."""
        self._write(
            "returns", assemble.returns_table(ret, w.orders, self._order_id, self.counters), b
        )
        self._write("tickets", assemble.tickets_table(tickets, self.counters), b)

    def whole(self, tables: dict[str, pa.Table]) -> None:
        """Tables of the whole window at once (inventory snapshots, purchase orders, receipts)."""
        for name, tbl in tables.items():
            self._write(name, tbl)

    def batch(
        self, b: int, w: BatchWorld, eff: Effects, shown: np.ndarray, lo: int, hi: int
    ) -> None:
        """The orders, lines, bills and payments of batch ``b``."""
        orders_tbl, lines_tbl, order_id = assemble.order_tables(
            w.orders, self.world.cat, self.counters
        )
        self._order_id = order_id  # the returns of this batch (service) refer to these
        self._write("orders", orders_tbl, b)
        self._write("order_lines", lines_tbl, b)
        bills = w.bills
        invoice_id = ids("INV", self.counters.take("invoice", len(bills.cust)), 10)
        self._write(
            "invoices",
            canonical(
                "invoices",
                {
                    "invoice_id": invoice_id,
                    "customer_id": assemble.customer_ids(bills.cust),
                    "issue_date": dates(bills.issue),
                    "due_date": dates(bills.due),
                    "amount": money(bills.amount),
                },
            ),
            b,
        )
        paid = np.flatnonzero(bills.pay_day < NEVER)
        self._write(
            "payments",
            canonical(
                "payments",
                {
                    "payment_id": ids("PAY", self.counters.take("payment", len(paid)), 10),
                    "invoice_id": pc.take(invoice_id, pa.array(paid)),
                    "customer_id": assemble.customer_ids(bills.cust[paid]),
                    "paid_date": dates(bills.pay_day[paid]),
                    "amount": money(bills.amount[paid]),
                },
            ),
            b,
        )
        # Coupons: one per treated customer; the order it was redeemed on, if any.
        has = np.flatnonzero(eff.coupon_fen[lo:hi] > 0) + lo
        redeemed = np.flatnonzero(w.coupon_order > 0)
        order_of = np.full(hi - lo, -1)
        order_of[w.orders.cust[redeemed] - lo] = redeemed
        self.coupons.append(
            (has, pc.take(order_id, pa.array(np.maximum(order_of[has - lo], 0))).to_numpy(zero_copy_only=False),
             np.where(order_of[has - lo] >= 0, w.coupon_order[np.maximum(order_of[has - lo], 0)], 0))
        )  # fmt: skip
        got = np.flatnonzero(eff.rebate_pct[lo:hi] > 0)
        basis = w.metrics["revenue"][got] + w.rebate[got]
        self.rebates.append((got + lo, basis, w.rebate[got]))

    def operations(
        self,
        assignment: Assignment,
        eff: Effects,
        visits: tuple[np.ndarray, np.ndarray],
        answers: np.ndarray,
        score: np.ndarray,
    ) -> None:
        """Coupons, rebate accruals, campaign touches, visits, survey answers, managers, rules."""
        win, pop = self.win, self.world.pop
        label = assignment.label
        cust = (
            np.concatenate([c[0] for c in self.coupons]) if self.coupons else np.zeros(0, np.int64)
        )
        order_ids = (
            np.concatenate([c[1] for c in self.coupons]) if self.coupons else np.zeros(0, object)
        )
        used = (
            np.concatenate([c[2] for c in self.coupons]) if self.coupons else np.zeros(0, np.int64)
        )
        self._write(
            "coupons",
            canonical(
                "coupons",
                {
                    "coupon_id": ids("CP", np.arange(1, len(cust) + 1), 9),
                    "customer_id": assemble.customer_ids(cust),
                    "campaign_id": [str(v) for v in label[cust]],
                    "issued_date": dates(np.full(len(cust), win.start)),
                    "expires_date": dates(win.start + eff.coupon_days[cust] - 1),
                    "value": money(eff.coupon_fen[cust].astype(np.int64)),
                    "threshold": money(eff.coupon_threshold_fen[cust].astype(np.int64)),
                    "redeemed_order_id": pa.array(
                        [
                            o if u > 0 else None
                            for o, u in zip(order_ids.tolist(), used.tolist(), strict=True)
                        ],
                        pa.string(),
                    ),
                    "redeemed_amount": money(used.astype(np.int64)),
                },
            ),
        )
        r_cust = np.concatenate([r[0] for r in self.rebates])
        r_basis = np.concatenate([r[1] for r in self.rebates]).astype(np.int64)
        r_amount = np.concatenate([r[2] for r in self.rebates]).astype(np.int64)
        self._write(
            "rebate_accruals",
            canonical(
                "rebate_accruals",
                {
                    "customer_id": assemble.customer_ids(r_cust),
                    "period_start": dates(np.full(len(r_cust), win.start)),
                    "period_end": dates(np.full(len(r_cust), win.last)),
                    "basis": money(r_basis),
                    "percent": pa.array(eff.rebate_pct[r_cust], pa.float64()),
                    "amount": money(r_amount),
                },
            ),
        )
        camp = np.flatnonzero(eff.campaign > 0)
        every = eff.touch_every[camp]
        counts = (win.days + every - 1) // every
        t_cust = np.repeat(camp, counts)
        k = np.arange(len(t_cust)) - np.repeat(np.cumsum(counts) - counts, counts)
        self._write(
            "campaign_touches",
            canonical(
                "campaign_touches",
                {
                    "campaign_id": [str(v) for v in label[t_cust]],
                    "customer_id": assemble.customer_ids(t_cust),
                    "touch_date": dates(win.start + k * np.repeat(every, counts)),
                    "channel": pick(
                        ("app", "sms", "call"), np.where(pop.channel[t_cust] == 0, 0, 1)
                    ),
                },
            ),
        )
        v_cust, v_day = visits
        self._write(
            "visits",
            canonical(
                "visits",
                {
                    "visit_id": ids("VS", np.arange(1, len(v_cust) + 1), 9),
                    "customer_id": assemble.customer_ids(v_cust),
                    "manager_id": ids("AM", pop.manager[v_cust], 3),
                    "visit_date": dates(v_day),
                    "kind": pick(("visit", "call"), (pop.scale[v_cust] == 0).astype(np.int64)),
                },
            ),
        )
        sent = np.flatnonzero((pop.signup <= win.last) & (pop.churn > win.start))
        self._write(
            "survey_answers",
            canonical(
                "survey_answers",
                {
                    "survey_id": ids("SV", np.arange(1, len(sent) + 1), 9),
                    "customer_id": assemble.customer_ids(sent),
                    "sent_date": dates(np.full(len(sent), win.last)),
                    "answered": pa.array(answers[sent]),
                    "score": pc.if_else(
                        pa.array(answers[sent]),
                        pa.array(score[sent], pa.int32()),
                        pa.scalar(None, pa.int32()),
                    ),
                },
            ),
        )
        self._write(
            "account_managers",
            managers_table(pop, self.world.customers["city"].to_pylist(), self.world.cfg.seed),
        )
        self._write("price_rules", price_rules_table())

    def masters(self, book: Path) -> None:
        """Regions, products, customers and outlet locations, as in the book."""
        for name in ("regions", "products", "customers", "outlet_locations"):
            if not (book / "lake" / name).exists():  # a book generated before the table existed
                continue
            src = ds.dataset(book / "lake" / name, format="parquet").to_table()
            self._write(name, src)

    def finish(self, write_exports: bool = True) -> dict[str, int]:
        """Write the exports (UTF-8 CSV with the model's Chinese headers) and return row counts."""
        if not write_exports:
            return dict(sorted(self.rows.items()))
        exports = self.out / "exports"
        exports.mkdir(parents=True, exist_ok=True)
        written = [t for t in TABLES if self.rows.get(t)]  # an empty file would not ingest
        for name in written:
            tbl = ds.dataset(self.lake / name, format="parquet").to_table()
            zh = [TABLES[name].column(c).zh for c in tbl.column_names]
            pacsv.write_csv(tbl.rename_columns(zh), exports / f"{name}.csv")
        # A mapping for `tierwise ingest OUT/exports --mapping OUT/exports/mapping.yaml`:
        # referenced tables first (the order of the canonical declarations).
        (exports / "mapping.yaml").write_text(
            "# Mapping of the world's exports (tierwise world simulate); headers are the\n"
            "# model's Chinese labels, so only files and tables are listed.\nsources:\n"
            + "".join(f"  - {{file: {t}.csv, table: {t}}}\n" for t in written),
            encoding="utf-8",
        )
        return dict(sorted(self.rows.items()))


def effects_table(
    world: World,
    assignment: Assignment,
    y0: dict[str, np.ndarray],
    y1: dict[str, np.ndarray],
    metrics: tuple[str, ...],
    money_metrics: frozenset[str],
) -> pa.Table:
    """truth/effects.parquet: one row per customer and metric with both potential outcomes."""
    n = world.pop.n
    cust = assemble.customer_ids(np.arange(n))
    parts = []
    for m in metrics:
        scale = 100.0 if m in money_metrics else 1.0
        parts.append(
            pa.table(
                {
                    "customer_id": cust,
                    "arm": pa.array([str(a) for a in assignment.label], pa.string()),
                    "metric": pa.array([m] * n, pa.string()),
                    "y_control": pa.array(y0[m] / scale, pa.float64()),
                    "y_treated": pa.array(y1[m] / scale, pa.float64()),
                }
            )
        )
    return pa.concat_tables(parts)


def mean_effects(
    assignment: Assignment,
    y0: dict[str, np.ndarray],
    y1: dict[str, np.ndarray],
    metrics: tuple[str, ...],
    money_metrics: frozenset[str],
) -> dict[str, dict[str, float]]:
    """Mean of y_treated − y_control over each arm's customers (yuan for money)."""
    out: dict[str, dict[str, float]] = {}
    for arm, idx in assignment.arms:
        if not len(idx):
            continue
        out[arm.name] = {
            m: round(
                float(np.mean(y1[m][idx] - y0[m][idx])) / (100.0 if m in money_metrics else 1.0), 6
            )
            for m in metrics
        }
    return out


def assignment_table(world: World, assignment: Assignment) -> pa.Table:
    """truth/assignment.parquet: each customer's arm(s), treatment kinds (and tier, if read)."""
    n = world.pop.n
    kinds = np.full(n, "", dtype=object)
    for arm, idx in assignment.arms:
        if arm.treatment is not None:
            k = arm.treatment.kind
            kinds[idx] = np.where(kinds[idx] == "", k, kinds[idx] + "+" + k)
    cols = {
        "customer_id": assemble.customer_ids(np.arange(n)),
        "arm": pa.array([str(a) for a in assignment.label], pa.string()),
        "kinds": pa.array([str(k) for k in kinds], pa.string()),
    }
    if assignment.tiers is not None:  # the tiers an `of: tier` filter read
        cols["tier"] = pa.array([str(t) or None for t in assignment.tiers.code], pa.string())
    return pa.table(cols)


def latent_table(
    world: World,
    latent: Latent,
    s0: WorldState,
    s1: WorldState,
    tastes: np.ndarray,
    price_level: np.ndarray,
) -> pa.Table:
    """truth/latent.parquet: every customer's latent parameters in both worlds."""
    pop = world.pop
    n = pop.n

    def day_or_null(d: np.ndarray) -> pa.Array:
        ok = d < NEVER
        return pc.if_else(pa.array(ok), dates(np.where(ok, d, 0)), pa.scalar(None, pa.date32()))

    cols: dict[str, pa.Array] = {"customer_id": assemble.customer_ids(np.arange(n))}
    for k in range(tastes.shape[1]):
        cols[f"taste_{k}"] = pa.array(tastes[:, k], pa.float32())
    cols.update(
        price_level=pa.array(price_level),
        elasticity=pa.array(latent.elasticity),
        rebate_salience=pa.array(latent.salience),
        coupon_awareness=pa.array(latent.coupon_awareness),
        campaign_affinity=pa.array(latent.campaign_affinity),
        satisfaction_control=pa.array(s0.satisfaction),
        satisfaction_treated=pa.array(s1.satisfaction),
        late_rate=pa.array(pop.late_rate),
        late_days=pa.array(pop.late_days),
        credit_quality=pa.array(pop.credit_quality),
        churn_control=day_or_null(s0.churn),
        churn_treated=day_or_null(s1.churn),
        visits_per_30d=pa.array(s1.visits_per_30d),
    )
    return pa.table(cols)


def staples_table(b: Baskets, lo: int, hi: int, world: World, shown: np.ndarray) -> pa.Table:
    """truth/staples.parquet: each customer's staple slots (and recommended SKUs) and intervals."""
    rows, cols = np.nonzero(b.staple_sku >= 0)
    sku = b.staple_sku[rows, cols]
    start = b.staple_from[rows, cols]
    interval = b.interval_days[rows, cols]
    from_ok = start > -NEVER
    kind = np.where(cols < 40, "staple", np.where(cols < 46, "new_product", "recommended"))
    s_rows, s_cols = np.nonzero(shown >= 0)
    return pa.concat_tables(
        [
            pa.table(
                {
                    "customer_id": assemble.customer_ids(rows + lo),
                    "sku": pick(world.cat.sku, sku),
                    "kind": pa.array(kind.tolist(), pa.string()),
                    "interval_days": pa.array(np.round(interval, 2)),
                    "from_date": pc.if_else(
                        pa.array(from_ok),
                        dates(np.where(from_ok, start, 0)),
                        pa.scalar(None, pa.date32()),
                    ),
                }
            ),
            pa.table(
                {
                    "customer_id": assemble.customer_ids(s_rows + lo),
                    "sku": pick(world.cat.sku, shown[s_rows, s_cols]),
                    "kind": pa.array(["shown"] * len(s_rows), pa.string()),
                    "interval_days": pa.array(np.full(len(s_rows), np.nan)),
                    "from_date": pa.nulls(len(s_rows), pa.date32()),
                }
            ),
        ]
    )

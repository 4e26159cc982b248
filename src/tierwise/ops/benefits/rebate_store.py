"""The rebate ledger in the store (R-OPS-3): accrue a period, read the ledger, pay it.

- :func:`net_sales` reads a period's orders and refunds per customer from the lake;
- :func:`accrue_period` writes the period's accruals in one transaction from the rebate grants
  and those sales (the decisions are :mod:`tierwise.ops.benefits.rebate_ledger`'s); running it
  again with the same figures changes nothing;
- :func:`pay` moves accrued rows to paid in a payout or credit-note batch, each row exactly
  once (the update only takes rows still ``accrued``, so two batches never share a row);
- :func:`ledger_rows`, :func:`statement` and :func:`batch_lines` read it back;
  :mod:`tierwise.ops.benefits.rebate_files` writes statements and batches as CSV / Excel.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from tierwise.errors import ConflictError, DataError, NotFoundError
from tierwise.lake import parquet_glob, require_table
from tierwise.ops.benefits.decide import Grant
from tierwise.ops.benefits.rebate_ledger import (
    ACCRUED,
    CENT,
    PAID,
    ZERO,
    Accrual,
    LedgerRow,
    Period,
    StatementLine,
    accrue,
    rate_for,
    reconcile,
)
from tierwise.store.schema import BenefitGrant, CustomerProfile, RebateAccrual, RebatePayout

PayoutKind = Literal["payout", "credit_note"]
BATCH_KINDS: tuple[PayoutKind, ...] = ("payout", "credit_note")


def net_sales(lake: Path, period: Period) -> dict[str, tuple[Decimal, Decimal]]:
    """``(orders, refunds)`` in yuan per customer for the period: orders placed and refunds
    granted (``returns.return_time``) on its days. A refund counts in the period it is granted,
    so a return of last month's order lowers this month's net sales."""
    import duckdb  # only when a period is accrued (keeps `tierwise benefits --help` fast)

    require_table(lake, "orders")
    out: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    con = duckdb.connect()
    try:
        queries = [("orders", "order_time", 0)]
        try:
            require_table(lake, "returns")
            queries.append(("returns", "return_time", 1))
        except DataError:
            pass  # a book without returns: nothing to net
        for table, col, slot in queries:
            rows = con.execute(
                f"SELECT customer_id, sum(amount) FROM read_parquet(?, hive_partitioning = false) "
                f"WHERE {col} >= ? AND {col} < ? GROUP BY customer_id",
                [parquet_glob(lake, table), period.start, period.stop],
            ).fetchall()
            for cid, amount in rows:
                if amount is not None:
                    out[str(cid)][slot] = Decimal(str(amount)).quantize(CENT)
    finally:
        con.close()
    return {c: (v[0], v[1]) for c, v in out.items()}


@dataclass(frozen=True)
class AccrualReport:
    """What :func:`accrue_period` did."""

    period: str
    customers: int  # customers with a rebate for the period
    inserted: int
    updated: int
    deleted: int
    unchanged: int
    total: Decimal  # the period's ledger total after the accrual


def _rebate_grants(conn: Connection) -> dict[str, list[Grant]]:
    out: dict[str, list[Grant]] = defaultdict(list)
    rows = conn.execute(
        select(
            BenefitGrant.customer_id,
            BenefitGrant.id,
            BenefitGrant.code,
            BenefitGrant.kind,
            BenefitGrant.params,
            BenefitGrant.tier,
            BenefitGrant.valid_from,
            BenefitGrant.valid_until,
            BenefitGrant.status,
        ).where(BenefitGrant.kind == "rebate")
    )
    for r in rows:
        out[r.customer_id].append(
            Grant(r.id, r.code, r.kind, r.params, r.tier, r.valid_from, r.valid_until, r.status)
        )
    return out


def _values(a: Accrual) -> dict[str, Any]:
    return {
        "tier": a.rate.tier if a.rate else None,
        "grant_id": a.rate.grant_id if a.rate else None,
        "pct": a.rate.pct if a.rate else ZERO,
        "gross": a.gross,
        "refunds": a.refunds,
        "net": a.net,
    }


_FIGURES = ("tier", "grant_id", "pct", "gross", "refunds", "net")


def _same(old: Any, new: Any) -> bool:
    if isinstance(new, Decimal):
        return old is not None and Decimal(old) == new
    return bool(old == new)


def accrue_period(
    engine: Engine,
    period: Period,
    sales: Mapping[str, tuple[Decimal, Decimal]],
    *,
    now: dt.datetime,
) -> AccrualReport:
    """Accrue ``period`` for every customer holding a rebate grant for it, from ``sales``
    (``(orders, refunds)`` yuan per customer), in one transaction. Re-running it with the same
    figures changes nothing; with new figures (late refunds, a regrade) the open rows follow
    and paid rows stay as they were, a difference being an adjustment row."""
    with engine.begin() as conn:
        existing: dict[str, list[LedgerRow]] = defaultdict(list)
        figures: dict[int, dict[str, Any]] = {}  # an open row's figures, to skip a no-op
        stmt = select(*_COLS).where(RebateAccrual.period == period.label)
        if conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update()  # a concurrent payout waits, or this waits for it
        for r in conn.execute(stmt).mappings():
            existing[r["customer_id"]].append(LedgerRow(r["id"], Decimal(r["amount"]), r["status"]))
            figures[r["id"]] = {k: r[k] for k in (*_FIGURES, "amount")}
        grants = _rebate_grants(conn)
        targets: dict[str, Accrual] = {}
        for cid in sorted(set(grants) | set(existing)):
            rate = rate_for(grants.get(cid, ()), period)
            gross, refunds = sales.get(cid, (ZERO, ZERO))
            targets[cid] = accrue(cid, rate, gross, refunds)
        counts = {"insert": 0, "update": 0, "delete": 0}
        unchanged = 0
        inserts: list[dict[str, Any]] = []
        for cid, target in targets.items():
            changes = reconcile(existing.get(cid, []), target)
            for ch in changes:
                counts[ch.action] += 1
                if ch.action == "delete":
                    conn.execute(delete(RebateAccrual).where(RebateAccrual.id == ch.row_id))
                elif ch.action == "update":
                    assert ch.row_id is not None
                    new = {**_values(target), "amount": ch.amount}
                    if all(_same(figures[ch.row_id][k], v) for k, v in new.items()):
                        counts["update"] -= 1
                        unchanged += 1  # the same figures: the row is left as it is
                        continue
                    res = conn.execute(
                        update(RebateAccrual)
                        .where(RebateAccrual.id == ch.row_id, RebateAccrual.status == ACCRUED)
                        .values(amount=ch.amount, updated_at=now, **_values(target))
                    )
                    if res.rowcount != 1:  # pragma: no cover - the row lock prevents it
                        raise ConflictError(f"rebate row {ch.row_id} was paid meanwhile")
                else:
                    inserts.append(
                        {
                            "customer_id": cid,
                            "period": period.label,
                            "period_start": period.start,
                            "period_end": period.end,
                            "entry": ch.entry,
                            "amount": ch.amount,
                            "status": ACCRUED,
                            "payout_id": None,
                            "created_at": now,
                            "updated_at": now,
                            **_values(target),
                        }
                    )
            if not changes:
                unchanged += 1 if existing.get(cid) else 0
        if inserts:
            conn.execute(insert(RebateAccrual), inserts)
        total = conn.execute(
            select(func.coalesce(func.sum(RebateAccrual.amount), 0)).where(
                RebateAccrual.period == period.label
            )
        ).scalar_one()
    return AccrualReport(
        period.label,
        sum(1 for t in targets.values() if t.rate is not None),
        counts["insert"],
        counts["update"],
        counts["delete"],
        unchanged,
        Decimal(total).quantize(CENT),
    )


_COLS = (
    RebateAccrual.id,
    RebateAccrual.customer_id,
    RebateAccrual.period,
    RebateAccrual.period_start,
    RebateAccrual.period_end,
    RebateAccrual.entry,
    RebateAccrual.tier,
    RebateAccrual.grant_id,
    RebateAccrual.pct,
    RebateAccrual.gross,
    RebateAccrual.refunds,
    RebateAccrual.net,
    RebateAccrual.amount,
    RebateAccrual.status,
    RebateAccrual.payout_id,
    RebateAccrual.created_at,
    RebateAccrual.updated_at,
)


def ledger_rows(
    engine: Engine,
    *,
    period: str | None = None,
    customer_ids: Sequence[str] | None = None,
    status: str | None = None,
    account_manager: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Ledger rows (newest period first, then customer), filtered (``account_manager``: only
    the customers that manager looks after, from the API's read model)."""
    stmt = select(*_COLS).order_by(
        RebateAccrual.period_start.desc(), RebateAccrual.customer_id, RebateAccrual.id
    )
    if period is not None:
        stmt = stmt.where(RebateAccrual.period == period)
    if customer_ids is not None:
        stmt = stmt.where(RebateAccrual.customer_id.in_(list(customer_ids)))
    if status is not None:
        stmt = stmt.where(RebateAccrual.status == status)
    if account_manager is not None:
        stmt = stmt.where(
            RebateAccrual.customer_id.in_(
                select(CustomerProfile.customer_id).where(
                    CustomerProfile.account_manager == account_manager
                )
            )
        )
    if limit is not None:
        stmt = stmt.limit(limit).offset(offset)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(stmt).mappings()]


def ledger_summary(engine: Engine, period: str | None = None) -> list[dict[str, Any]]:
    """Per period × tier × status: rows, net sales and rebate (yuan)."""
    stmt = select(
        RebateAccrual.period,
        RebateAccrual.tier,
        RebateAccrual.status,
        func.count(),
        func.sum(RebateAccrual.amount),
    ).group_by(RebateAccrual.period, RebateAccrual.tier, RebateAccrual.status)
    if period is not None:
        stmt = stmt.where(RebateAccrual.period == period)
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return sorted(
        (
            {
                "period": p,
                "tier": t,
                "status": s,
                "rows": int(n),
                "amount": Decimal(a or 0).quantize(CENT),
            }
            for p, t, s, n, a in rows
        ),
        key=lambda r: (r["period"], r["tier"] or "", r["status"]),
    )


def statement(
    engine: Engine, customer_id: str, *, start: dt.date | None = None, end: dt.date | None = None
) -> list[StatementLine]:
    """A customer's ledger rows, oldest first, for the periods starting in ``[start, end]``."""
    stmt = (
        select(*_COLS)
        .where(RebateAccrual.customer_id == customer_id)
        .order_by(RebateAccrual.period_start, RebateAccrual.id)
    )
    if start is not None:
        stmt = stmt.where(RebateAccrual.period_start >= start)
    if end is not None:
        stmt = stmt.where(RebateAccrual.period_start <= end)
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return [
        StatementLine(
            r.period,
            r.period_start,
            r.period_end,
            r.entry,
            r.tier,
            Decimal(r.pct),
            Decimal(r.gross),
            Decimal(r.refunds),
            Decimal(r.net),
            Decimal(r.amount),
            r.status,
            r.payout_id,
        )
        for r in rows
    ]


@dataclass(frozen=True)
class Batch:
    """A payout or credit-note batch."""

    id: int
    kind: str
    period: str | None
    lines: int
    total: Decimal
    actor: str
    created_at: dt.datetime


def pay(
    engine: Engine,
    kind: PayoutKind,
    *,
    period: str | None,
    customer_ids: Sequence[str] | None = None,
    actor: str,
    now: dt.datetime,
) -> Batch:
    """Move the accrued rows (of ``period``, of ``customer_ids``, or all) to paid in a new
    batch. A row is paid exactly once: the update takes only rows still ``accrued``, so a
    second batch over the same rows finds nothing and is refused (409), nothing written."""
    if kind not in BATCH_KINDS:
        raise DataError(
            f"{kind!r} is not a kind of batch",
            field="kind",
            value=kind,
            expected=" or ".join(BATCH_KINDS),
        )
    with engine.begin() as conn:
        batch_id = int(
            conn.execute(
                insert(RebatePayout)
                .values(
                    kind=kind, period=period, lines=0, total=ZERO, actor=actor[:120], created_at=now
                )
                .returning(RebatePayout.id)
            ).scalar_one()
        )
        stmt = (
            update(RebateAccrual)
            .where(RebateAccrual.status == ACCRUED)
            .values(status=PAID, payout_id=batch_id, updated_at=now)
        )
        if period is not None:
            stmt = stmt.where(RebateAccrual.period == period)
        if customer_ids is not None:
            stmt = stmt.where(RebateAccrual.customer_id.in_(list(customer_ids)))
        conn.execute(stmt)
        n, total = conn.execute(
            select(func.count(), func.coalesce(func.sum(RebateAccrual.amount), 0)).where(
                RebateAccrual.payout_id == batch_id
            )
        ).one()
        if not n:
            raise ConflictError(
                "nothing to pay: no accrued rebate"
                + (f" for period {period}" if period else "")
                + (" for these customers" if customer_ids is not None else "")
                + " (every accrued row is paid once)",
                hint="accrue the period first (tierwise benefits rebate-accrue)",
                period=period,
            )
        total = Decimal(total).quantize(CENT)
        conn.execute(
            update(RebatePayout)
            .where(RebatePayout.id == batch_id)
            .values(lines=int(n), total=total)
        )
    return Batch(batch_id, kind, period, int(n), total, actor[:120], now)


def batches(engine: Engine, limit: int = 100) -> list[Batch]:
    """The latest batches, newest first."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(RebatePayout.__table__).order_by(RebatePayout.id.desc()).limit(limit)
        )
        return [
            Batch(r.id, r.kind, r.period, r.lines, Decimal(r.total), r.actor, r.created_at)
            for r in rows
        ]


def batch_lines(engine: Engine, batch_id: int) -> tuple[Batch, list[dict[str, Any]]]:
    """A batch and its rows (by customer, then period)."""
    with engine.connect() as conn:
        row = conn.execute(
            select(RebatePayout.__table__).where(RebatePayout.id == batch_id)
        ).one_or_none()
        if row is None:
            raise NotFoundError(f"no rebate batch {batch_id}", batch_id=batch_id)
        lines = conn.execute(
            select(*_COLS)
            .where(RebateAccrual.payout_id == batch_id)
            .order_by(RebateAccrual.customer_id, RebateAccrual.period_start, RebateAccrual.id)
        ).mappings()
        batch = Batch(
            row.id, row.kind, row.period, row.lines, Decimal(row.total), row.actor, row.created_at
        )
        return batch, [dict(r) for r in lines]

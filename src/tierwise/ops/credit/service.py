"""The credit module's store operations: accounts, the order check with its holds, payments,
finance overrides, and the dashboard's figures (R-OPS-4). Routes, pages and the CLI call these.

Every function runs on the caller's connection (one transaction per request).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pandas as pd
import pyarrow as pa
from sqlalchemy import Connection, func, insert, select, update

from tierwise.errors import ConflictError, NotFoundError, UsageError
from tierwise.ops.credit.check import (
    ZERO,
    Account,
    CheckResult,
    available_credit,
    check_order,
    holds_of,
)
from tierwise.ops.credit.policy import CreditPolicy
from tierwise.store.bulk import replace_table
from tierwise.store.schema import (
    AuditEntry,
    CreditAccount,
    CreditHold,
    CreditOverride,
    CreditTerms,
    CustomerTier,
)

MONEY = (
    "spend_90d", "unsettled", "prepaid_balance", "overdue_amount", "overdue_1_30",
    "overdue_31_60", "overdue_61_90", "overdue_over_90",
)  # fmt: skip


def write_accounts(
    conn: Connection, frame: pd.DataFrame, as_of: dt.date, model: str, now: dt.datetime
) -> int:
    """Replace every credit account by ``frame`` (customer_id, pd, reasons as JSON text,
    and the money columns); frozen amounts and payments since restart from zero."""
    n = len(frame)
    cols: dict[str, Any] = {
        "customer_id": pa.array(frame["customer_id"], pa.string()),
        "as_of": pa.array([as_of] * n, pa.date32()),
        "pd": pa.array(frame["pd"], pa.float64(), from_pandas=True),
        "model": pa.array([model] * n, pa.string()),
        "max_days_overdue": pa.array(frame["max_days_overdue"], pa.int64()),
        "frozen": pa.array([0.0] * n, pa.float64()),
        "paid_since": pa.array([0.0] * n, pa.float64()),
        "scored_at": pa.array([now] * n, pa.timestamp("us")),
    }
    for c in MONEY:
        cols[c] = pa.array(frame[c].astype("float64").round(2), pa.float64())
    if conn.dialect.name == "postgresql":
        cols["reasons"] = pa.array(frame["reasons"], pa.string())
    else:
        cols["reasons"] = pa.array([json.loads(r) for r in frame["reasons"]])
    return replace_table(conn, CreditAccount.__table__, pa.table(cols))  # type: ignore[arg-type]


def _known(conn: Connection, customer_id: str) -> bool:
    for model in (CreditAccount, CreditTerms, CustomerTier):
        q = select(model.customer_id).where(model.customer_id == customer_id)
        if conn.execute(q).first() is not None:
            return True
    return False


def load_account(conn: Connection, customer_id: str) -> Account:
    """The customer's account as the check reads it; NotFoundError for an unknown customer."""
    acc = _row(conn, CreditAccount, customer_id)
    terms = _row(conn, CreditTerms, customer_id)
    if acc is None and terms is None and not _known(conn, customer_id):
        raise NotFoundError(
            f"there is no customer {customer_id!r}",
            hint="check the customer id",
            customer=customer_id,
        )
    a = acc or {}
    t = terms or {}
    return Account(
        customer_id=customer_id,
        terms=t.get("terms", "prepaid"),  # no terms decided yet: nothing on credit
        credit_limit=t.get("credit_limit", ZERO),
        unsettled=a.get("unsettled", ZERO),
        prepaid_balance=a.get("prepaid_balance", ZERO),
        frozen=a.get("frozen", ZERO),
        paid_since=a.get("paid_since", ZERO),
        overdue_amount=a.get("overdue_amount", ZERO),
        max_days_overdue=a.get("max_days_overdue", 0),
    )


def _row(conn: Connection, model: Any, customer_id: str) -> dict[str, Any] | None:
    m = conn.execute(select(model).where(model.customer_id == customer_id)).mappings().first()
    return dict(m) if m is not None else None


def _sync_holds(
    conn: Connection, customer_id: str, kinds: dict[str, Any], now: dt.datetime, note: str
) -> None:
    """Open a hold of each kind in ``kinds`` not yet open; release open holds of other kinds."""
    open_rows = conn.execute(
        select(CreditHold.id, CreditHold.kind).where(
            CreditHold.customer_id == customer_id, CreditHold.released_at.is_(None)
        )
    ).all()
    have = {r.kind: r.id for r in open_rows}
    for kind, (over, reason) in kinds.items():
        if kind not in have:
            conn.execute(
                insert(CreditHold).values(
                    customer_id=customer_id, kind=kind, amount_over=over, detail=reason,
                    opened_at=now,
                )
            )  # fmt: skip
        else:
            conn.execute(
                update(CreditHold).where(CreditHold.id == have[kind]).values(amount_over=over)
            )
    gone = [i for k, i in have.items() if k not in kinds]
    if gone:
        conn.execute(
            update(CreditHold)
            .where(CreditHold.id.in_(gone))
            .values(released_at=now, released_by="system", release_note=note)
        )


def check(
    conn: Connection,
    policy: CreditPolicy,
    customer_id: str,
    amount: Decimal,
    now: dt.datetime,
) -> CheckResult:
    """The order check: allow (the amount is frozen against the credit) or hold, with the
    reasons; holds are opened and released to match; an approved override is used once."""
    if amount <= 0:
        raise UsageError(f"amount {amount} is not a positive order amount", hint="yuan, > 0")
    acc = load_account(conn, customer_id)
    ov = conn.execute(
        select(CreditOverride.id, CreditOverride.amount)
        .where(
            CreditOverride.customer_id == customer_id,
            CreditOverride.status == "approved",
            CreditOverride.amount >= amount,
        )
        .order_by(CreditOverride.amount)
        .limit(1)
    ).first()
    result = check_order(acc, policy, amount, ov.amount if ov else None)
    if result.overridden and ov is not None:
        conn.execute(
            update(CreditOverride)
            .where(CreditOverride.id == ov.id)
            .values(status="used", used_at=now)
        )
    if result.allow:
        conn.execute(
            update(CreditAccount)
            .where(CreditAccount.customer_id == customer_id)
            .values(frozen=CreditAccount.frozen + amount)
        )
    kinds = {h.kind: (h.amount_over, h.reason) for h in result.holds}
    if result.overridden:
        kinds = {}
    _sync_holds(conn, customer_id, kinds, now, "order within credit")
    return result


def record_payment(
    conn: Connection, policy: CreditPolicy, customer_id: str, amount: Decimal, now: dt.datetime
) -> Account:
    """A payment received since the snapshot: lowers the unsettled amount, releases the holds
    whose cause it clears (overdue paid, back within the limit)."""
    if amount <= 0:
        raise UsageError(f"amount {amount} is not a positive payment", hint="yuan, > 0")
    load_account(conn, customer_id)  # 404 for an unknown customer
    res = conn.execute(
        update(CreditAccount)
        .where(CreditAccount.customer_id == customer_id)
        .values(paid_since=CreditAccount.paid_since + amount)
    )
    if res.rowcount == 0:
        raise ConflictError(
            f"customer {customer_id!r} has no credit account yet",
            hint="run `tierwise credit score` first",
        )
    acc = load_account(conn, customer_id)
    still = {h.kind: (h.amount_over, h.reason) for h in holds_of(acc, policy, ZERO)}
    _sync_holds(conn, customer_id, still, now, "paid")
    return acc


def request_override(
    conn: Connection,
    policy: CreditPolicy,
    customer_id: str,
    amount: Decimal,
    reason: str,
    actor: str,
    role: str,
    now: dt.datetime,
) -> dict[str, Any]:
    """A finance override for one order of up to ``amount``: approved at once up to the
    policy's ``second_approver_above``, else pending a second finance user. Audited."""
    if amount <= 0:
        raise UsageError(f"amount {amount} is not a positive amount", hint="yuan, > 0")
    if not reason.strip():
        raise UsageError("an override needs a reason", hint="say why the order may pass")
    load_account(conn, customer_id)
    second = amount > Decimal(str(policy.holds.second_approver_above))
    status = "pending" if second else "approved"
    oid = conn.execute(
        insert(CreditOverride)
        .values(
            customer_id=customer_id, amount=amount, reason=reason, status=status,
            requested_by=actor, requested_at=now,
            approved_by=None if second else actor, approved_at=None if second else now,
        )
        .returning(CreditOverride.id)
    ).scalar_one()  # fmt: skip
    _audit(conn, now, actor, role, "credit.override", customer_id,
           {"override": oid, "amount": str(amount), "status": status, "reason": reason})  # fmt: skip
    return override_row(conn, oid)


def approve_override(
    conn: Connection, override_id: int, actor: str, role: str, now: dt.datetime
) -> dict[str, Any]:
    """The second approver: another finance user than the one who asked. Audited."""
    row = conn.execute(select(CreditOverride).where(CreditOverride.id == override_id)).first()
    if row is None:
        raise NotFoundError(f"there is no credit override {override_id}", override=override_id)
    o = row
    if o.status != "pending":
        raise ConflictError(f"override {override_id} is {o.status}, not pending approval")
    if o.requested_by == actor:
        raise ConflictError(
            f"override {override_id} needs a second approver other than {actor}",
            hint="another finance user approves it",
        )
    conn.execute(
        update(CreditOverride)
        .where(CreditOverride.id == override_id)
        .values(status="approved", approved_by=actor, approved_at=now)
    )
    _audit(conn, now, actor, role, "credit.override.approve", o.customer_id,
           {"override": override_id, "amount": str(o.amount)})  # fmt: skip
    return override_row(conn, override_id)


def override_row(conn: Connection, override_id: int) -> dict[str, Any]:
    q = select(CreditOverride).where(CreditOverride.id == override_id)
    return dict(conn.execute(q).mappings().one())


def _audit(
    conn: Connection, now: dt.datetime, actor: str, role: str, action: str, target: str,
    detail: dict[str, Any],
) -> None:  # fmt: skip
    conn.execute(
        insert(AuditEntry).values(
            at=now, actor=actor, role=role, action=action, target=target, detail=detail
        )
    )


def list_holds(
    conn: Connection, *, open_only: bool = True, limit: int = 200
) -> list[dict[str, Any]]:
    """Holds, newest first (open ones only by default)."""
    q = select(CreditHold).order_by(CreditHold.opened_at.desc(), CreditHold.id.desc()).limit(limit)
    if open_only:
        q = q.where(CreditHold.released_at.is_(None))
    return [dict(r) for r in conn.execute(q).mappings().all()]


def list_overrides(conn: Connection, *, limit: int = 200) -> list[dict[str, Any]]:
    q = select(CreditOverride.id).order_by(CreditOverride.id.desc()).limit(limit)
    return [override_row(conn, i) for (i,) in conn.execute(q).all()]


def terms_of(conn: Connection, customer_id: str) -> dict[str, Any]:
    """A customer's terms in force, pending stricter terms and the risk behind them."""
    acc = load_account(conn, customer_id)
    t = _row(conn, CreditTerms, customer_id)
    a = _row(conn, CreditAccount, customer_id)
    out: dict[str, Any] = {"customer_id": customer_id, "available_credit": available_credit(acc)}
    if t:
        out.update(t)
    if a:
        out["account"] = a
    return out


def dashboard(conn: Connection, today: dt.date, limit: int = 100) -> dict[str, Any]:
    """Exposure by tier × risk band, overdue ageing, open holds, the next run's term changes."""
    t, a = CreditTerms, CreditAccount
    rows = conn.execute(
        select(
            t.tier, t.band, func.count(), func.sum(a.unsettled), func.sum(t.credit_limit),
            func.sum(a.overdue_amount),
        )
        .select_from(t)
        .outerjoin(a, a.customer_id == t.customer_id)
        .group_by(t.tier, t.band)
        .order_by(t.tier, t.band)
    ).all()  # fmt: skip
    exposure = [
        {
            "tier": r[0],
            "band": r[1],
            "customers": r[2],
            "unsettled": r[3] or ZERO,
            "credit_limit": r[4] or ZERO,
            "overdue": r[5] or ZERO,
        }
        for r in rows
    ]
    ageing = conn.execute(
        select(
            func.sum(a.overdue_1_30), func.sum(a.overdue_31_60), func.sum(a.overdue_61_90),
            func.sum(a.overdue_over_90), func.count(),
        )
    ).one()  # fmt: skip
    pending = conn.execute(
        select(t.customer_id, t.tier, t.band, t.terms, t.pending_terms, t.pending_from)
        .where(t.pending_from.is_not(None))
        .order_by(t.pending_from, t.customer_id)
        .limit(limit)
    ).all()
    return {
        "exposure": exposure,
        "ageing": {
            "1_30": ageing[0] or ZERO,
            "31_60": ageing[1] or ZERO,
            "61_90": ageing[2] or ZERO,
            "over_90": ageing[3] or ZERO,
        },
        "accounts": ageing[4],
        "holds": list_holds(conn, limit=limit),
        "pending": [dict(r._mapping) for r in pending],
        "today": today,
    }

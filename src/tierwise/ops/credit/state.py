"""The credit module's state in the store, and its tier-writer hook (R-OPS-4).

:func:`recompute_terms` reads each customer's tier (``customer_tiers``), latest risk score
(``credit_accounts``) and terms in force (``credit_terms``), decides with the pure
:func:`tierwise.ops.credit.decide.decide_terms`, writes the new terms and their history, and
queues a ``credit.terms_changed`` webhook event per change for the ERP (the outbox). It runs
on the caller's connection, so :func:`install` makes it part of every tier write (a
publication or a real-time regrade): terms change in the same transaction as the tiers.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import Connection, delete, select

from tierwise.ops.credit.decide import decide_terms
from tierwise.ops.credit.policy import CreditPolicy
from tierwise.ops.retention import enqueue_events
from tierwise.store.bulk import insert_arrow, replace_table
from tierwise.store.schema import (
    CreditAccount,
    CreditTerms,
    CreditTermsChange,
    CustomerTier,
)
from tierwise.store.tier_writer import TierWrite, register_hook, unregister_hook

TERMS_EVENT = "credit.terms_changed"
HOOK = "credit"
_CHUNK = 5_000
_WRITTEN = ("new", "looser", "stricter", "notice")  # changes recorded in the history


def _frame(conn: Connection, stmt: Any, columns: list[str]) -> pd.DataFrame:
    rows = conn.execute(stmt).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=columns)


def _in_chunks(column: Any, customers: list[str] | None) -> Iterable[Any]:
    if customers is None:
        yield None
        return
    for i in range(0, len(customers), _CHUNK):
        yield column.in_(customers[i : i + _CHUNK])


def inputs(conn: Connection, customers: list[str] | None = None) -> pd.DataFrame:
    """The decision's input (columns of ``decide.INPUT`` plus ``cur_since`` and
    ``max_days_overdue``, ``risk``) for ``customers`` (``None``: everyone with a tier or a
    score)."""
    tiers, scores, terms = [], [], []
    for cond in _in_chunks(CustomerTier.customer_id, customers):
        qt = select(CustomerTier.customer_id, CustomerTier.tier)
        tiers.append(_frame(conn, qt if cond is None else qt.where(cond), ["customer_id", "tier"]))
    for cond in _in_chunks(CreditAccount.customer_id, customers):
        qs = select(
            CreditAccount.customer_id, CreditAccount.pd, CreditAccount.spend_90d,
            CreditAccount.max_days_overdue, CreditAccount.reasons,
        )  # fmt: skip
        cols = ["customer_id", "pd", "spend_90d", "max_days_overdue", "risk"]
        scores.append(_frame(conn, qs if cond is None else qs.where(cond), cols))
    for cond in _in_chunks(CreditTerms.customer_id, customers):
        q = select(
            CreditTerms.customer_id, CreditTerms.terms, CreditTerms.deposit_pct,
            CreditTerms.credit_limit, CreditTerms.pending_terms, CreditTerms.pending_from,
            CreditTerms.since,
        )  # fmt: skip
        cols = ["customer_id", "cur_terms", "cur_deposit_pct", "cur_limit", "pending_terms",
                "pending_from", "cur_since"]  # fmt: skip
        terms.append(_frame(conn, q if cond is None else q.where(cond), cols))
    df = pd.concat(tiers).merge(pd.concat(scores), on="customer_id", how="outer")
    df = df.merge(pd.concat(terms), on="customer_id", how="left")
    df["pd"] = df["pd"].astype("float64")
    df["spend_90d"] = df["spend_90d"].astype("float64").fillna(0.0)
    df["max_days_overdue"] = df["max_days_overdue"].fillna(0).astype("int64")
    df = df.astype({"cur_limit": "float64", "cur_deposit_pct": "float64"})
    df = df.replace({np.nan: None}).astype({"pd": "float64", "spend_90d": "float64"})
    return df.sort_values("customer_id", ignore_index=True)


def recompute_terms(
    conn: Connection,
    policy: CreditPolicy,
    as_of: dt.date,
    now: dt.datetime,
    *,
    customers: list[str] | None = None,
    source: str = "cli",
    run_id: str | None = None,
) -> dict[str, int]:
    """Decide and write the terms of ``customers`` (``None``: everyone); returns the count
    of each kind of change."""
    state = inputs(conn, customers)
    if state.empty:
        return {}
    state["defaulted"] = state["max_days_overdue"] > policy.holds.overdue_days
    decided = decide_terms(state, policy, as_of)
    changed = decided["change"].isin(["new", "looser", "stricter"])
    since = pd.Series(
        [as_of if c else s for c, s in zip(changed, state["cur_since"], strict=True)],
        dtype=object,
    )
    reasons = [
        json.dumps({**json.loads(r), "risk": risk or []}, ensure_ascii=False, default=str)
        for r, risk in zip(decided["reasons"], state["risk"], strict=True)
    ]
    table = pa.table(
        {
            "customer_id": pa.array(decided["customer_id"], pa.string()),
            "tier": pa.array(decided["tier"], pa.string()),
            "band": pa.array(decided["band"], pa.string()),
            "pd": pa.array(decided["pd"], pa.float64(), from_pandas=True),
            "terms": pa.array(decided["terms"], pa.string()),
            "deposit_pct": pa.array(decided["deposit_pct"], pa.float64()),
            "credit_limit": pa.array(decided["credit_limit"], pa.float64()),
            "pending_terms": pa.array(decided["pending_terms"], pa.string()),
            "pending_from": pa.array(decided["pending_from"], pa.date32()),
            "since": pa.array(since, pa.date32()),
            "reasons": pa.array(reasons, pa.string()),
            "policy": pa.array([policy.name] * len(decided), pa.string()),
            "updated_at": pa.array([now] * len(decided), pa.timestamp("us")),
        }
    )
    terms_table = CreditTerms.__table__
    if customers is None:
        replace_table(conn, terms_table, _json(conn, table))  # type: ignore[arg-type]
    else:
        for cond in _in_chunks(CreditTerms.customer_id, customers):
            conn.execute(delete(CreditTerms).where(cond))
        insert_arrow(conn, terms_table, table, json_columns=("reasons",))  # type: ignore[arg-type]
    written = decided["change"].isin(_WRITTEN).to_numpy()
    hist = _history(decided[written], state[written], reasons, written, as_of, now, source, run_id)
    insert_arrow(conn, CreditTermsChange.__table__, hist, json_columns=("reasons",))  # type: ignore[arg-type]
    events = [
        (TERMS_EVENT, {"customer_id": r["customer_id"], "from": r["from_terms"],
                       "to": r["to_terms"], "change": r["change"],
                       "effective": r["effective"].isoformat(),
                       "deposit_pct": r["deposit_pct"], "credit_limit": r["credit_limit"]})
        for r in hist.select(["customer_id", "from_terms", "to_terms", "change", "effective",
                              "deposit_pct", "credit_limit"]).to_pylist()
    ]  # fmt: skip
    if events:
        enqueue_events(conn, events, now)
    counts = decided["change"].value_counts()
    return {str(k): int(v) for k, v in counts.items()}


def _json(conn: Connection, table: pa.Table) -> pa.Table:
    """replace_table takes JSON text on PostgreSQL and objects on SQLite (as insert_arrow
    with ``json_columns``)."""
    if conn.dialect.name == "postgresql":
        return table
    i = table.schema.get_field_index("reasons")
    parsed = [json.loads(v) for v in table["reasons"].to_pylist()]
    return table.set_column(i, "reasons", pa.array(parsed))


def _history(
    decided: pd.DataFrame,
    state: pd.DataFrame,
    reasons: list[str],
    mask: np.ndarray,
    as_of: dt.date,
    now: dt.datetime,
    source: str,
    run_id: str | None,
) -> pa.Table:
    n = len(decided)
    notice = (decided["change"] == "notice").to_numpy()
    to_terms = np.where(notice, decided["pending_terms"], decided["terms"])
    effective = [p if nt else as_of for nt, p in zip(notice, decided["pending_from"], strict=True)]
    return pa.table(
        {
            "customer_id": pa.array(decided["customer_id"], pa.string()),
            "from_terms": pa.array(state["cur_terms"], pa.string()),
            "to_terms": pa.array(to_terms, pa.string()),
            "change": pa.array(decided["change"], pa.string()),
            "deposit_pct": pa.array(decided["deposit_pct"], pa.float64()),
            "credit_limit": pa.array(decided["credit_limit"], pa.float64()),
            "effective": pa.array(effective, pa.date32()),
            "decided_at": pa.array([now] * n, pa.timestamp("us")),
            "source": pa.array([source] * n, pa.string()),
            "run_id": pa.array([run_id] * n, pa.string()),
            "reasons": pa.array([r for r, m in zip(reasons, mask, strict=True) if m], pa.string()),
        }
    )


def install(policy: CreditPolicy | None) -> None:
    """Make credit terms follow every tier write (``None``: stop). A publication recomputes
    everyone's terms; a real-time regrade those of the regraded customers."""
    if policy is None:
        unregister_hook(HOOK)
        return

    def hook(conn: Connection, write: TierWrite) -> None:
        customers = None if write.source == "run" else write.customers.to_pylist()
        if customers == []:
            return
        recompute_terms(
            conn, policy, write.now.date(), write.now, customers=customers,
            source=write.source, run_id=write.run_id,
        )  # fmt: skip

    register_hook(HOOK, hook)

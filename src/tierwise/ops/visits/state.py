"""Visit cadences in the store and the tier-writer hook (R-OPS-8).

:func:`recompute_cadence` reads each customer's tier (``customer_tiers``), signup day
(``customer_profiles``), churn-warning tag (``customer_tags``) and last visit
(``visit_cadences``), decides with the pure :func:`tierwise.ops.visits.cadence.decide_cadence`
and replaces their cadence rows. It runs on the caller's connection: :func:`sync_cadence`,
registered with the one tier writer by :mod:`tierwise.pipeline`, makes a tier change move the
customer's cadence in the same transaction. The tags and signup days it reads are those in the
store at that moment (a publication refreshes the profiles after its tier write, so a new
warning reaches the cadence at the next tier write or the next ``tierwise visits plan``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
from sqlalchemy import Connection, delete, select

from tierwise.ops.visits.cadence import decide_cadence
from tierwise.ops.visits.policy import VisitPolicy, cached_policy
from tierwise.settings import get_settings
from tierwise.store.bulk import insert_arrow
from tierwise.store.schema import CustomerProfile, CustomerTag, CustomerTier, VisitCadence
from tierwise.store.tier_writer import TierWrite

HOOK = "visits"
_CHUNK = 5_000
_policy_path: Path | None = None


def outlet_locations(lake: Path) -> dict[str, tuple[float, float]]:
    """Outlet coordinates (latitude, longitude) from the lake's ``outlet_locations`` table
    (empty when the lake has none)."""
    from tierwise.lake import has_table, table_dir

    if not has_table(lake, "outlet_locations"):
        return {}
    import pyarrow.dataset as ds

    t = ds.dataset(table_dir(lake, "outlet_locations"), format="parquet").to_table(
        columns=["customer_id", "latitude", "longitude"]
    )
    return {
        str(c): (float(a), float(o))
        for c, a, o in zip(*(t[k].to_pylist() for k in t.column_names), strict=True)
        if c is not None and a is not None and o is not None
    }


def use_policy(path: Path | None) -> None:
    """The visit policy the hook applies (``None``: the settings' ``visit_policy``, else
    ``policies/operations/visits.yaml``)."""
    global _policy_path
    _policy_path = path


def _frame(conn: Connection, stmt: Any, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame([tuple(r) for r in conn.execute(stmt).all()], columns=columns)


def _where(column: Any, customers: list[str] | None) -> Iterable[Any]:
    if customers is None:
        yield None
        return
    for i in range(0, len(customers), _CHUNK):
        yield column.in_(customers[i : i + _CHUNK])


def _read(conn: Connection, stmt: Any, column: Any, customers: list[str] | None,
          names: list[str]) -> pd.DataFrame:  # fmt: skip
    parts = [
        _frame(conn, stmt if cond is None else stmt.where(cond), names)
        for cond in _where(column, customers)
    ]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=names)


def inputs(conn: Connection, policy: VisitPolicy, customers: list[str] | None) -> pd.DataFrame:
    """The decision's input (``cadence.INPUT``) for ``customers`` (``None``: everyone with
    a tier)."""
    tiers = _read(conn, select(CustomerTier.customer_id, CustomerTier.tier),
                  CustomerTier.customer_id, customers, ["customer_id", "tier"])  # fmt: skip
    ids = tiers["customer_id"].tolist()
    prof = _read(conn, select(CustomerProfile.customer_id, CustomerProfile.signup_date),
                 CustomerProfile.customer_id, ids, ["customer_id", "signup_date"])  # fmt: skip
    tagq = select(CustomerTag.customer_id).where(CustomerTag.tag == policy.churn_warning.tag)
    tagged = set(_read(conn, tagq, CustomerTag.customer_id, ids, ["customer_id"])["customer_id"])
    last = _read(conn, select(VisitCadence.customer_id, VisitCadence.last_visit,
                              VisitCadence.next_due, VisitCadence.every_days),
                 VisitCadence.customer_id, ids,
                 ["customer_id", "last_visit", "cur_next_due", "cur_every_days"])  # fmt: skip
    df = tiers.merge(prof, on="customer_id", how="left").merge(last, on="customer_id", how="left")
    df["warned"] = df["customer_id"].isin(tagged)
    return df.sort_values("customer_id", ignore_index=True)


def recompute_cadence(
    conn: Connection,
    policy: VisitPolicy,
    as_of: dt.date,
    now: dt.datetime,
    *,
    customers: list[str] | None = None,
) -> int:
    """Decide and write the cadence of ``customers`` (``None``: everyone with a tier);
    returns the number of rows written."""
    state = inputs(conn, policy, customers)
    if state.empty:
        return 0
    decided = decide_cadence(state, policy, as_of)
    n = len(decided)
    last = pd.to_datetime(state["last_visit"], errors="coerce").dt.date
    table = pa.table(
        {
            "customer_id": pa.array(decided["customer_id"], pa.string()),
            "tier": pa.array(decided["tier"], pa.string(), from_pandas=True),
            "channel": pa.array(decided["channel"], pa.string()),
            "every_days": pa.array(decided["every_days"], pa.int64()),
            "next_due": pa.array(decided["next_due"], pa.date32()),
            "reason": pa.array(decided["reason"], pa.string()),
            "last_visit": pa.array(last, pa.date32(), from_pandas=True),
            "policy": pa.array([policy.name] * n, pa.string()),
            "updated_at": pa.array([now] * n, pa.timestamp("us")),
        }
    )
    ids = decided["customer_id"].tolist()
    if customers is None:
        conn.execute(delete(VisitCadence))
    else:
        for cond in _where(VisitCadence.customer_id, ids):
            conn.execute(delete(VisitCadence).where(cond))
    insert_arrow(conn, VisitCadence.__table__, table)  # type: ignore[arg-type]
    return n


def sync_cadence(conn: Connection, write: TierWrite) -> None:
    """The tier-writer hook: a publication recomputes every cadence, a real-time regrade
    those of the regraded customers, in the tier write's transaction."""
    customers = None if write.source == "run" else write.customers.to_pylist()
    if customers == []:
        return
    policy = cached_policy(_policy_path or get_settings().visit_policy)
    recompute_cadence(conn, policy, write.now.date(), write.now, customers=customers)

"""Each customer's visit cadence and next due day (pure, vectorised; R-OPS-8).

:func:`decide_cadence` turns tier state into the module's state: the tier's channel and
interval, and the day the next visit is due, with the reason:

- ``cadence``: the last visit + the tier's interval; a customer never visited gets a first
  day spread over one interval by a hash of their id (so a new policy does not put everyone
  on the same Monday), kept while their interval stays the same (so deciding again on a
  later day does not push an unvisited customer's first visit forward);
- ``churn_warning``: tagged, not visited in ``repeat_days``: due within ``within_days``
  (or sooner, if the cadence is already due);
- ``onboarding``: signed up less than ``new_days`` ago, never visited: due ``within_days``
  after the signup (or sooner).

A warning or an onboarding visit is in person whatever the tier's channel.
:func:`capacity_shortfall` says, per manager, how many visits a working day the cadence asks
for beyond the manager's capacity.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd

from tierwise.ops.visits.policy import VisitPolicy

#: the decision's input: one row per customer (``cur_next_due`` and ``cur_every_days``, the
#: cadence in the store, are optional)
INPUT = ("customer_id", "tier", "signup_date", "warned", "last_visit")
#: what it decides
OUTPUT = ("customer_id", "tier", "channel", "every_days", "next_due", "reason")


def _days(values: pd.Series) -> np.ndarray:
    """Dates (``None`` allowed) as datetime64[D] (NaT for none)."""
    return pd.to_datetime(values, errors="coerce").to_numpy().astype("datetime64[D]")


def spread(customer_ids: pd.Series, every: np.ndarray) -> np.ndarray:
    """A stable offset in ``[0, every)`` days per customer (pandas' fixed-key hash of the
    id: the same on every run and machine)."""
    h = pd.util.hash_pandas_object(customer_ids.astype(str), index=False).to_numpy()
    out: np.ndarray = (h >> np.uint64(1)).astype(np.int64) % np.maximum(every, 1)
    return out


def decide_cadence(state: pd.DataFrame, policy: VisitPolicy, as_of: dt.date) -> pd.DataFrame:
    """The cadence and next due day of each customer in ``state`` (columns :data:`INPUT`).

    Returns the columns :data:`OUTPUT` in the order of ``state``; ``next_due`` as dates.
    """
    n = len(state)
    if n == 0:
        return pd.DataFrame({c: [] for c in OUTPUT})
    tiers = state["tier"].astype(object).where(state["tier"].notna(), None).tolist()
    known = {t: policy.of(t) for t in set(tiers)}
    channel = np.array([known[t].channel for t in tiers], dtype=object)
    every = np.array([known[t].every_days for t in tiers], dtype=np.int64)
    today = np.datetime64(as_of, "D")
    last = _days(state["last_visit"])
    never = np.isnat(last)
    first = today + spread(state["customer_id"], every).astype("timedelta64[D]")
    if "cur_next_due" in state and "cur_every_days" in state:
        cur = _days(state["cur_next_due"])
        same = state["cur_every_days"].to_numpy(dtype="float64", na_value=np.nan) == every
        first = np.where(~np.isnat(cur) & same, cur, first)
    due = np.where(never, first, last + every.astype("timedelta64[D]"))
    reason = np.full(n, "cadence", dtype=object)

    cw = policy.churn_warning
    warned = state["warned"].fillna(False).to_numpy(dtype=bool)
    stale = never | (last <= today - np.timedelta64(cw.repeat_days, "D"))
    w_due = today + np.timedelta64(cw.within_days, "D")
    w = warned & stale
    due = np.where(w, np.minimum(due, w_due), due)
    reason[w] = "churn_warning"

    ob = policy.onboarding
    signup = _days(state["signup_date"])
    new = never & ~np.isnat(signup) & (signup > today - np.timedelta64(ob.new_days, "D"))
    o_due = signup + np.timedelta64(ob.within_days, "D")
    o = new & ~w
    due = np.where(o, np.minimum(due, o_due), due)
    reason[o] = "onboarding"
    channel[w | o] = "visit"

    return pd.DataFrame(
        {
            "customer_id": state["customer_id"].to_numpy(),
            "tier": tiers,
            "channel": channel,
            "every_days": every,
            "next_due": pd.DatetimeIndex(due.astype("datetime64[ns]")).date,
            "reason": reason,
        }
    )


def capacity_shortfall(
    cadence: pd.DataFrame, capacity: Mapping[str, int], policy: VisitPolicy
) -> pd.DataFrame:
    """Visits a working day each manager's cadence asks for, against their capacity.

    ``cadence`` has ``manager_id``, ``channel`` and ``every_days``; returns one row per
    manager (``manager_id, customers, needed_per_day, capacity, shortfall_per_day``), those
    short first. A manager missing from ``capacity`` has the policy's ``visits_per_day``.
    """
    v = cadence[(cadence["channel"] == "visit") & cadence["manager_id"].notna()]
    per_week = 7.0 / len(policy.capacity.working_days)
    g = (
        v.assign(rate=per_week / v["every_days"].astype("float64"))
        .groupby("manager_id")
        .agg(customers=("customer_id", "size"), needed_per_day=("rate", "sum"))
        .reset_index()
    )
    default = policy.capacity.visits_per_day
    g["capacity"] = [int(capacity.get(m, default)) for m in g["manager_id"]]
    g["needed_per_day"] = g["needed_per_day"].round(2)
    g["shortfall_per_day"] = (g["needed_per_day"] - g["capacity"]).clip(lower=0).round(2)
    return g.sort_values(["shortfall_per_day", "manager_id"], ascending=[False, True],
                         ignore_index=True)  # fmt: skip

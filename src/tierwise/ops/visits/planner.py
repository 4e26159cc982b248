"""Who is visited on a day: capacity-limited assignment to account managers (pure; R-OPS-8).

:func:`plan_day` takes the customers due on or before the day (their cadence's next due day,
missed visits included: a visit not done leaves the customer due) and gives each manager at
most their capacity, highest priority first. Priority is the value at risk (LTV × churn
probability from the published predictions), then the days overdue, then the id; a customer
without predictions counts as 0 at risk. What does not fit is **overflow**, kept with its rank
and reason (``capacity``, ``no_manager``, ``not_a_working_day``), never dropped silently: the
customer stays due and comes first by the same ranking the next working day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd

from tierwise.ops.visits.policy import VisitPolicy

#: the planner's input: one row per customer due
DUE = ("customer_id", "manager_id", "tier", "next_due", "reason", "value_at_risk")


def plan_day(
    due: pd.DataFrame, capacity: Mapping[str, int], day: dt.date, policy: VisitPolicy
) -> pd.DataFrame:
    """Assign the customers of ``due`` (columns :data:`DUE`) due by ``day`` to their managers.

    Returns the rows due by ``day`` with ``days_overdue``, ``rank`` (1 = first in the
    manager's line), ``planned`` (bool) and ``overflow`` (why not planned, or ``None``),
    sorted by manager and rank. A manager missing from ``capacity`` has the policy's
    ``visits_per_day``.
    """
    d = due[pd.to_datetime(due["next_due"]).dt.date <= day].copy()
    if d.empty:
        return d.assign(
            days_overdue=pd.Series(dtype="int64"),
            rank=pd.Series(dtype="int64"),
            planned=pd.Series(dtype=bool),
            overflow=pd.Series(dtype=object),
        )
    d["value_at_risk"] = d["value_at_risk"].astype("float64").fillna(0.0)
    d["days_overdue"] = [(day - x).days for x in pd.to_datetime(d["next_due"]).dt.date]
    d["_m"] = d["manager_id"].fillna("")
    d = d.sort_values(
        ["_m", "value_at_risk", "days_overdue", "customer_id"],
        ascending=[True, False, False, True],
        ignore_index=True,
    )
    d["rank"] = d.groupby("_m").cumcount() + 1
    default = policy.capacity.visits_per_day
    cap = np.array([int(capacity.get(m, default)) if m else 0 for m in d["_m"]])
    working = day.isoweekday() in policy.capacity.working_days
    planned = (d["rank"].to_numpy() <= cap) & working & (d["_m"] != "").to_numpy()
    d["planned"] = planned
    overflow = np.where(
        d["_m"] == "", "no_manager", np.where(working, "capacity", "not_a_working_day")
    ).astype(object)
    overflow[planned] = None
    d["overflow"] = overflow
    return d.drop(columns="_m")

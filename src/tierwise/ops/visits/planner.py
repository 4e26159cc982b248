"""Who is visited on a day: capacity-limited assignment to account managers (pure; R-OPS-8).

:func:`plan_day` takes the customers due on or before the day (their cadence's next due day,
missed visits included: a visit not done leaves the customer due) and gives each manager at
most their capacity, highest priority first. Priority is the value at risk (LTV × churn
probability from the published predictions), then the days overdue, then the id; a customer
without predictions counts as 0 at risk. What does not fit is **overflow**, kept with its rank
and reason (``capacity``, ``no_manager``, ``not_a_working_day``), never dropped silently: the
customer stays due and comes first by the same ranking the next working day.

**Territory** (optional): with each manager's territory (``account_managers.territory``, a
city) and each customer's city, what does not fit with the customer's own manager (over
capacity) or has no manager is offered, highest value at risk first, to another manager
whose territory is the customer's city and who has capacity left that day (the one with the
most left; ties by id). Such a visit is planned with the covering manager (``manager_id``)
and keeps the customer's own manager in ``covered_for`` (``""``: none). Without a manager of
that territory with room, the row stays overflow as before.
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
    due: pd.DataFrame,
    capacity: Mapping[str, int],
    day: dt.date,
    policy: VisitPolicy,
    *,
    territory: Mapping[str, str] | None = None,
    city: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Assign the customers of ``due`` (columns :data:`DUE`) due by ``day`` to their managers.

    Returns the rows due by ``day`` with ``days_overdue``, ``rank`` (1 = first in the
    manager's line), ``planned`` (bool) and ``overflow`` (why not planned, or ``None``),
    sorted by manager and rank. A manager missing from ``capacity`` has the policy's
    ``visits_per_day``. ``territory`` (manager → city) and ``city`` (customer → city):
    overflow covered by a manager of the customer's territory with room (module docstring);
    the result then has ``covered_for``.
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
    d["covered_for"] = None
    if territory and city and working:
        _cover(d, capacity, default, territory, city)
    return d.drop(columns="_m")


def _cover(
    d: pd.DataFrame,
    capacity: Mapping[str, int],
    default: int,
    territory: Mapping[str, str],
    city: Mapping[str, str],
) -> None:
    """Plan overflow (capacity, no manager) with a manager of the customer's territory who
    has room left, highest value at risk first (in place)."""
    used = d.loc[d["planned"]].groupby("_m").size().to_dict()
    by_city: dict[str, list[str]] = {}
    for m, c in sorted(territory.items()):
        if c:
            by_city.setdefault(str(c), []).append(m)
    left = {m: int(capacity.get(m, default)) - int(used.get(m, 0)) for m in territory}
    risk = d["value_at_risk"].to_numpy(dtype=float)
    late = d["days_overdue"].to_numpy(dtype=int)
    ids = d["customer_id"].astype(str).tolist()
    own_of = d["_m"].astype(str).tolist()
    todo = [int(i) for i in np.flatnonzero(~d["planned"].to_numpy(dtype=bool))]
    order = sorted(todo, key=lambda i: (-risk[i], -late[i], ids[i]))
    for i in order:
        where = city.get(ids[i])
        own = own_of[i]
        room = [m for m in by_city.get(str(where), []) if m != own and left.get(m, 0) > 0]
        if not where or not room:
            continue
        m = min(room, key=lambda x: (-left[x], x))  # the most room left, then the id
        left[m] -= 1
        row = d.index[i]
        d.loc[row, ["covered_for", "manager_id", "planned", "overflow", "rank"]] = [
            own,
            m,
            True,
            None,
            int(capacity.get(m, default)) - left[m],
        ]

"""Weekly demand series per SKU × warehouse × tier (R-OPS-9), from the lake's order lines.

Tables (pure; the caller reads the lake):

``held_tiers`` — customer_id, tier, valid_from, valid_until (exclusive end). One row per
customer and period in which the customer held the tier. From the lake's ``benefit_grants``
(:func:`held_tiers_from_grants`) or from the store's tier history.

``demand`` (grain sku × warehouse_id × tier × ds) — category, sku, warehouse_id, tier,
ds (Monday of the ISO week, a pandas Timestamp), y (quantity shipped that week, in the SKU's
unit), amount (yuan, float; the weights of WRMSSE). Every series runs over every week of the
window, weeks without demand at 0, so each series has the same length.

A line belongs to the tier its customer held on the order's day; a customer without a held
tier that day is in ``default_tier``. So a customer moving up or churning moves their later
demand to another tier's series, and the tier series change with the tier history.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from tierwise.errors import DataError
from tierwise.generate.inventory import WAREHOUSE_CITIES, WAREHOUSE_IDS

HELD_COLUMNS = ("customer_id", "tier", "valid_from", "valid_until")
DEMAND_COLUMNS = ("category", "sku", "warehouse_id", "tier", "ds", "y", "amount")
# One warehouse per city serves that city's outlets (docs/generator.md, "Inventory").
WAREHOUSE_OF_CITY = dict(zip(WAREHOUSE_CITIES, WAREHOUSE_IDS, strict=True))


def _require(frame: pd.DataFrame, name: str, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"{name}: missing column(s) {missing}",
            hint=f"available columns: {sorted(map(str, frame.columns))}",
        )


def held_tiers_from_grants(grants: pd.DataFrame) -> pd.DataFrame:
    """The tier each customer held per grant period (``benefit_grants``: one row per customer,
    tier and period, whatever the number of benefits granted)."""
    _require(grants, "benefit_grants", HELD_COLUMNS)
    held = grants.loc[:, list(HELD_COLUMNS)].drop_duplicates(["customer_id", "valid_from"])
    return held.sort_values(["customer_id", "valid_from"]).reset_index(drop=True)


def week_start(days: pd.Series) -> pd.Series:
    """Monday of the week of each day (as a Timestamp at midnight)."""
    d = pd.to_datetime(days).dt.normalize()
    return d - pd.to_timedelta(d.dt.day_of_week, unit="D")


def tier_on(lines: pd.DataFrame, held: pd.DataFrame, *, default_tier: str) -> pd.Series:
    """The tier the customer of each line (customer_id, day) held on that day."""
    out = pd.Series(default_tier, index=lines.index, dtype=object)
    if held.empty:
        return out
    h = held.assign(
        valid_from=pd.to_datetime(held["valid_from"]).astype("datetime64[ns]"),
        valid_until=pd.to_datetime(held["valid_until"]).astype("datetime64[ns]"),
    ).sort_values("valid_from")
    left = lines.loc[:, ["customer_id", "day"]].assign(_row=np.arange(len(lines)))
    left["day"] = left["day"].astype("datetime64[ns]")
    left = left.sort_values("day")
    m = pd.merge_asof(
        left,
        h.loc[:, ["customer_id", "tier", "valid_from", "valid_until"]],
        left_on="day",
        right_on="valid_from",
        by="customer_id",
        direction="backward",
    )
    ok = m["tier"].notna() & (m["day"] < m["valid_until"])
    vals = out.to_numpy(copy=True)
    vals[m.loc[ok, "_row"].to_numpy()] = m.loc[ok, "tier"].to_numpy()
    return pd.Series(vals, index=lines.index, dtype=object)


def weekly_demand(
    lines: pd.DataFrame,
    orders: pd.DataFrame,
    customers: pd.DataFrame,
    held: pd.DataFrame,
    *,
    as_of: dt.date,
    weeks: int,
    default_tier: str,
    skus: list[str] | None = None,
) -> pd.DataFrame:
    """The ``demand`` table of the ``weeks`` whole weeks before the week of ``as_of``.

    Parameters
    ----------
    lines, orders, customers
        The lake's ``order_lines``, ``orders`` and ``customers`` (city → warehouse).
    held
        ``held_tiers``; a customer without a held tier on a day is in ``default_tier``.
    as_of
        The week containing it is left out (it is not over).
    skus
        Keep these SKUs only (default: all).
    """
    _require(lines, "order_lines", ("order_id", "sku", "category", "quantity", "amount"))
    _require(orders, "orders", ("order_id", "customer_id", "order_time"))
    _require(customers, "customers", ("customer_id", "city"))
    _require(held, "held_tiers", HELD_COLUMNS)
    end = pd.Timestamp(as_of) - pd.Timedelta(days=pd.Timestamp(as_of).weekday())
    start = end - pd.Timedelta(weeks=weeks)
    o = orders.loc[:, ["order_id", "customer_id", "order_time"]].copy()
    o["day"] = pd.to_datetime(o["order_time"]).dt.normalize().astype("datetime64[ns]")
    o = o[(o["day"] >= start) & (o["day"] < end)]
    df = lines.loc[:, ["order_id", "sku", "category", "quantity", "amount"]].merge(o, on="order_id")
    if skus is not None:
        df = df[df["sku"].isin(skus)]
    city = customers.set_index("customer_id")["city"]
    df["warehouse_id"] = df["customer_id"].map(city).map(WAREHOUSE_OF_CITY)
    df = df[df["warehouse_id"].notna()].reset_index(drop=True)
    df["tier"] = tier_on(df, held, default_tier=default_tier)
    df["ds"] = week_start(df["day"])
    df["amount"] = df["amount"].astype(float)
    keys = ["category", "sku", "warehouse_id", "tier"]
    g = (
        df.groupby([*keys, "ds"], observed=True)
        .agg(y=("quantity", "sum"), amount=("amount", "sum"))
        .reset_index()
    )
    series = g.loc[:, keys].drop_duplicates()
    weeks_idx = pd.DataFrame(
        {"ds": pd.date_range(start, end, freq="7D", inclusive="left").astype("datetime64[ns]")}
    )
    grid = series.merge(weeks_idx, how="cross")
    full = grid.merge(g, on=[*keys, "ds"], how="left").fillna({"y": 0.0, "amount": 0.0})
    full = full.astype({"y": float, "amount": float})
    return full.sort_values([*keys, "ds"]).reset_index(drop=True).loc[:, list(DEMAND_COLUMNS)]


def top_skus(lines: pd.DataFrame, n: int) -> list[str]:
    """The ``n`` SKUs with the largest sales in yuan (ties by SKU code)."""
    sales = lines.assign(amount=lines["amount"].astype(float)).groupby("sku")["amount"].sum()
    ranked = sales.reset_index().sort_values(["amount", "sku"], ascending=[False, True])
    return ranked["sku"].head(n).tolist()

"""Supply runs in the store (R-OPS-9, issue 27): read the lake, make the day's plan
(:func:`tierwise.ops.supply.plan.make_plan`), allocate that day's order lines from the stock
on hand (:func:`tierwise.ops.supply.allocate.allocate`) and keep it all, in one transaction:
forecast vs actual per category / tier, levels and stock cover, the proposed purchase orders,
the allocations with their reasons and what was left out. Readers give the tables back as
frames for the API, the console and the CLI; :func:`write_proposal` writes the proposal as
CSV or Excel (one sheet per supplier)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine, func, insert, select

from tierwise.errors import NotFoundError, UsageError
from tierwise.lake import require_table
from tierwise.ops.supply.allocate import allocate
from tierwise.ops.supply.forecast import ForecastConfig
from tierwise.ops.supply.plan import LAKE_TABLES, SupplyPlan, make_plan
from tierwise.ops.supply.policy import SupplyPolicy
from tierwise.ops.supply.series import WAREHOUSE_OF_CITY, held_tiers_from_grants, tier_on
from tierwise.store.schema import (
    Base,
    CustomerTier,
    SupplyAllocation,
    SupplyExclusion,
    SupplyForecast,
    SupplyLevel,
    SupplyOrderLine,
    SupplyRun,
    TierChange,
)

SHOWN_LEVELS = ("total", "category", "tier", "category_tier")  # kept for forecast vs actual
TABLES = {
    "forecasts": SupplyForecast,
    "levels": SupplyLevel,
    "proposal": SupplyOrderLine,
    "allocations": SupplyAllocation,
    "exclusions": SupplyExclusion,
}


def read_lake(lake: Path) -> dict[str, pd.DataFrame]:
    """The lake tables a supply run reads (a missing one: a clear error)."""
    return {t: pd.read_parquet(require_table(lake, t)) for t in LAKE_TABLES}


FOREVER = dt.date(2200, 1, 1)  # open end (pandas timestamps stop in 2262)


def held_tiers_from_store(engine: Engine) -> pd.DataFrame:
    """The tier history the tier writer kept (``tier_changes``, each change from its
    effective day, and each customer's current tier from its ``since`` day) as ``held``
    periods: a tier is held until the customer's next change. A change to no tier (churned,
    ungraded) ends the period; the customer is then in the policy's default tier."""
    with engine.connect() as conn:
        changes = conn.execute(
            select(TierChange.customer_id, TierChange.to_tier, TierChange.effective)
        ).all()
        current = conn.execute(
            select(CustomerTier.customer_id, CustomerTier.tier, CustomerTier.since)
        ).all()
    ev = pd.DataFrame(
        [*changes, *current], columns=["customer_id", "tier", "valid_from"]
    ).drop_duplicates(["customer_id", "valid_from"], keep="first")
    ev = ev.sort_values(["customer_id", "valid_from"]).reset_index(drop=True)
    nxt = ev.groupby("customer_id")["valid_from"].shift(-1)
    ev["valid_until"] = nxt.where(nxt.notna(), FOREVER)
    held = ev[ev["tier"].notna()].loc[:, ["customer_id", "tier", "valid_from", "valid_until"]]
    return held.reset_index(drop=True)


def day_lines(
    lake: dict[str, pd.DataFrame], held: pd.DataFrame, day: dt.date, default_tier: str
) -> pd.DataFrame:
    """The order lines of ``day`` with their customer's tier and warehouse."""
    o = lake["orders"].loc[:, ["order_id", "customer_id", "order_time"]].copy()
    o["day"] = pd.to_datetime(o["order_time"]).dt.normalize().astype("datetime64[ns]")
    o = o[o["day"] == pd.Timestamp(day)]
    city = lake["customers"].set_index("customer_id")["city"]
    o["warehouse_id"] = o["customer_id"].map(city).map(WAREHOUSE_OF_CITY)
    o = o[o["warehouse_id"].notna()]
    lines = lake["order_lines"].loc[:, ["order_id", "sku", "quantity"]].merge(o, on="order_id")
    lines = lines.reset_index(drop=True)
    lines["tier"] = tier_on(lines, held, default_tier=default_tier)
    return lines


def run_plan(
    engine: Engine,
    lake: dict[str, pd.DataFrame],
    policy: SupplyPolicy,
    *,
    as_of: dt.date,
    actor: str,
    now: dt.datetime,
    cfg: ForecastConfig | None = None,
    held: pd.DataFrame | None = None,
) -> tuple[int, SupplyPlan, pd.DataFrame]:
    """Plan ``as_of`` and keep it: ``(run_id, plan, allocations)``. ``held``: the customers'
    tier periods (default: the lake's benefit grant periods; :func:`held_tiers_from_store`
    for the tier writer's history)."""
    if held is None:
        held = held_tiers_from_grants(lake["benefit_grants"])
    plan = make_plan(lake, policy, as_of=as_of, cfg=cfg, held=held)
    lines = day_lines(lake, held, as_of, policy.default_tier)
    alloc = allocate(lines, plan.positions, policy)

    hist = plan.demand.assign(total="total")
    actual_rows = []
    for level, cols in (
        ("total", ["total"]), ("category", ["category"]), ("tier", ["tier"]),
        ("category_tier", ["category", "tier"]),
    ):  # fmt: skip
        g = hist.groupby([*cols, "ds"])["y"].sum().reset_index()
        g["series"] = g[cols].astype(str).agg("/".join, axis=1)
        actual_rows.append(g.assign(level=level).loc[:, ["level", "series", "ds", "y"]])
    actual = pd.concat(actual_rows)
    fc = plan.forecasts[plan.forecasts["level"].isin(SHOWN_LEVELS)].copy()
    fc["series"] = fc["unique_id"].str.removeprefix("total/")
    fc.loc[fc["level"] == "total", "series"] = "total"
    series_rows = actual.merge(
        fc.loc[:, ["level", "series", "ds", "forecast"]], on=["level", "series", "ds"], how="outer"
    )

    lv = plan.levels.merge(
        plan.positions.loc[:, ["sku", "warehouse_id", "on_hand", "position"]],
        on=["sku", "warehouse_id"],
        how="left",
    )
    lv["cover_days"] = lv["on_hand"] / lv["mean_daily"].where(lv["mean_daily"] > 0)

    prop = plan.proposal.drop(columns="order_date")
    for col in ("unit_cost", "amount"):
        prop[col] = pd.Series(
            [Decimal(str(v)).quantize(Decimal("0.01")) for v in prop[col]],
            index=prop.index,
            dtype=object,
        )
    series_rows = series_rows.rename(columns={"y": "actual"}).assign(week=series_rows["ds"].dt.date)
    exclusions = pd.concat(
        [
            plan.flagged.assign(kind="no_lead_time"),
            plan.quarantine.loc[:, ["sku", "warehouse_id", "reason"]].assign(kind="negative_stock"),
        ]
    )
    with engine.begin() as conn:
        run_id = int(
            conn.execute(
                insert(SupplyRun)
                .values(
                    as_of=as_of,
                    policy=policy.name,
                    skus=int(plan.demand["sku"].nunique()),
                    series=int(plan.forecasts["unique_id"].nunique()),
                    created_at=now,
                    created_by=actor,
                )
                .returning(SupplyRun.id)
            ).scalar_one()
        )
        for model, frame in (
            (SupplyForecast, series_rows),
            (SupplyLevel, lv),
            (SupplyOrderLine, prop),
            (SupplyAllocation, alloc),
            (SupplyExclusion, exclusions),
        ):
            rows = _records(frame, model, run_id)
            if rows:
                conn.execute(insert(model), rows)
    return run_id, plan, alloc


def _records(frame: pd.DataFrame, model: type[Base], run_id: int) -> list[dict[str, Any]]:
    """The rows of ``frame`` for ``model``'s table (its columns only; NaN → NULL)."""
    cols = [c.name for c in model.__table__.columns if c.name not in ("run_id", "id")]
    sub = frame.loc[:, cols]
    sub = sub.astype(object).where(sub.notna(), None)
    return [{"run_id": run_id, **{str(k): v for k, v in r.items()}} for r in sub.to_dict("records")]


def runs(engine: Engine, limit: int = 50) -> pd.DataFrame:
    """The latest runs, newest first, with their proposal's line count and amount."""
    lines = (
        select(
            SupplyOrderLine.run_id,
            func.count().label("order_lines"),
            func.sum(SupplyOrderLine.amount).label("amount"),
        )
        .group_by(SupplyOrderLine.run_id)
        .subquery()
    )
    q = (
        select(
            SupplyRun.id.label("run_id"),
            SupplyRun.as_of,
            SupplyRun.policy,
            SupplyRun.skus,
            SupplyRun.series,
            SupplyRun.created_at,
            SupplyRun.created_by,
            func.coalesce(lines.c.order_lines, 0).label("order_lines"),
            func.coalesce(lines.c.amount, 0).label("amount"),
        )
        .outerjoin(lines, lines.c.run_id == SupplyRun.id)
        .order_by(SupplyRun.id.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(q).mappings().all())


def latest_run(engine: Engine) -> int | None:
    with engine.connect() as conn:
        return conn.execute(select(func.max(SupplyRun.id))).scalar()


def run_table(engine: Engine, run_id: int, table: str) -> pd.DataFrame:
    """One of the run's tables (``forecasts``, ``levels``, ``proposal``, ``allocations``,
    ``exclusions``) as a frame, without the run id."""
    if table not in TABLES:
        raise UsageError(f"unknown supply table {table!r}", hint=f"one of {sorted(TABLES)}")
    model = TABLES[table]
    with engine.connect() as conn:
        if conn.execute(select(SupplyRun.id).where(SupplyRun.id == run_id)).first() is None:
            raise NotFoundError(f"no supply run {run_id}", hint="see `tierwise supply runs`")
        cols = [c for c in model.__table__.columns if c.name not in ("run_id", "id")]
        rows = (
            conn.execute(select(*cols).where(model.__table__.c.run_id == run_id)).mappings().all()
        )
    return pd.DataFrame(rows, columns=[c.name for c in cols])


def write_proposal(proposal: pd.DataFrame, path: Path) -> Path:
    """The proposal as CSV (UTF-8 with BOM, for Excel) or ``.xlsx`` (one sheet per
    supplier, named by its first 31 characters)."""
    if path.suffix.lower() == ".xlsx":
        with pd.ExcelWriter(path, engine="openpyxl") as xl:
            if proposal.empty:
                proposal.to_excel(xl, sheet_name="proposal", index=False)
            for i, (supplier, g) in enumerate(proposal.groupby("supplier", sort=True)):
                g.to_excel(xl, sheet_name=f"{i + 1}-{supplier}"[:31], index=False)
    else:
        proposal.to_csv(path, index=False, encoding="utf-8-sig")
    return path

"""The purchase book the recommenders read: order lines as (customer, day, sku, quantity).

Declared here before the code that fills it (CONVENTIONS 3):

``lines`` (grain: one row per order line; only orders with ``order_time <= as_of``)
    ``customer_id`` str, ``order_id`` str, ``day`` date (the order's day), ``sku`` str,
    ``quantity`` float (the product's unit), ``amount`` float (yuan, analytics only).
``products`` (grain: one row per sku)
    ``sku``, ``name``, ``category``, ``unit_price``, ``unit_cost`` (yuan, floats: analytics).
``customers`` (grain: one row per customer)
    ``customer_id``, ``cuisine``, ``business_type``, ``province``, ``tier`` (None when the
    customer has no published tier).

:class:`Book` holds them with integer codes for customers and SKUs (the recommenders work on
sparse matrices). :func:`load_book` is the only function that touches the lake.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, cast

import numpy as np
import pandas as pd
import scipy.sparse as sp

from tierwise.errors import DataError
from tierwise.lake import LakeLocation, parquet_glob, require_table

LINE_COLUMNS = ("customer_id", "order_id", "day", "sku", "quantity")
PRODUCT_COLUMNS = ("sku", "name", "category", "unit_price", "unit_cost")
CUSTOMER_COLUMNS = ("customer_id", "cuisine", "business_type", "province")


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``df`` as dicts (values typed Any: pandas' stubs cannot say more)."""
    return cast(list[dict[str, Any]], df.to_dict(orient="records"))


def _require(df: pd.DataFrame, cols: tuple[str, ...], table: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise DataError(
            f"{table} lacks column(s) {', '.join(missing)}",
            hint=f"available: {', '.join(map(str, df.columns))}",
            table=table,
            column=missing[0],
        )


@dataclass
class Book:
    """Order lines up to ``as_of`` with the catalogue and the customers' segments.

    ``customers`` lists every customer a recommendation may be asked for, including those
    without any line (they get the cold-start list). Codes: ``users`` / ``items`` give the
    row / column of each customer / SKU in :attr:`matrix`.
    """

    lines: pd.DataFrame
    products: pd.DataFrame
    customers: pd.DataFrame
    as_of: dt.date
    users: pd.Index = field(init=False)
    items: pd.Index = field(init=False)

    def __post_init__(self) -> None:
        _require(self.lines, LINE_COLUMNS, "order_lines")
        _require(self.products, PRODUCT_COLUMNS, "products")
        _require(self.customers, CUSTOMER_COLUMNS, "customers")
        if "tier" not in self.customers.columns:
            self.customers = self.customers.assign(tier=None)
        self.products = self.products.drop_duplicates("sku").reset_index(drop=True)
        self.customers = self.customers.drop_duplicates("customer_id").reset_index(drop=True)
        lines = self.lines
        lines = lines[pd.to_datetime(lines["day"]).dt.date <= self.as_of]
        unknown = ~lines["sku"].isin(self.products["sku"])
        if unknown.any():
            bad = lines.loc[unknown].iloc[0]
            raise DataError(
                f"order line of {bad['order_id']} names sku {bad['sku']!r}, not in products",
                table="order_lines",
                column="sku",
                value=str(bad["sku"]),
                expected="a products.sku",
            )
        self.users = pd.Index(
            pd.unique(pd.concat([self.customers["customer_id"], lines["customer_id"]])),
            name="customer_id",
        )
        self.items = pd.Index(self.products["sku"], name="sku")
        self.lines = lines.assign(
            u=self.users.get_indexer(pd.Index(lines["customer_id"])).astype(np.int32),
            i=self.items.get_indexer(pd.Index(lines["sku"])).astype(np.int32),
            day=pd.to_datetime(lines["day"]).dt.normalize(),
        ).reset_index(drop=True)

    @property
    def n_users(self) -> int:
        return len(self.users)

    @property
    def n_items(self) -> int:
        return len(self.items)

    @cached_property
    def counts(self) -> sp.csr_matrix:
        """Customers × SKUs: in how many orders each customer bought each SKU."""
        per = self.lines.drop_duplicates(["u", "order_id", "i"])
        m = sp.coo_matrix(
            (np.ones(len(per), np.float32), (per["u"].to_numpy(), per["i"].to_numpy())),
            shape=(self.n_users, self.n_items),
        ).tocsr()
        m.sum_duplicates()
        return m

    @cached_property
    def segments(self) -> pd.DataFrame:
        """Each customer's segment keys, aligned with :attr:`users` (unknown customers: None)."""
        seg = self.customers.set_index("customer_id").reindex(self.users)
        return seg[["cuisine", "business_type", "province", "tier"]].astype(object)

    @cached_property
    def margin_rate(self) -> np.ndarray:
        """(price - cost) / price per SKU, aligned with :attr:`items` (0 without a price)."""
        price = self.products["unit_price"].astype(float).to_numpy()
        cost = self.products["unit_cost"].astype(float).to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(price > 0, (price - cost) / price, 0.0)
        return np.clip(rate, -1.0, 1.0)

    def until(self, cutoff: dt.date) -> Book:
        """The same book as it was known on ``cutoff`` (a backtest's training side)."""
        return Book(
            self.lines[list(self.lines.columns.difference(["u", "i"]))],
            self.products,
            self.customers,
            cutoff,
        )


def load_book(
    lake: LakeLocation, as_of: dt.date, tiers: dict[str, str] | None = None, con: Any = None
) -> Book:
    """Read the lake's order lines up to ``as_of``, products and customers into a :class:`Book`.

    ``tiers`` (customer id → tier code, e.g. the published ``customer_tiers``) fills the
    customers' tier; without it every tier is None.
    """
    import duckdb

    for t in ("orders", "order_lines", "products", "customers"):
        require_table(lake, t)
    db = con if con is not None else duckdb.connect()
    end = dt.datetime.combine(as_of, dt.time.max)
    lines = db.execute(
        f"""
        SELECT o.customer_id, o.order_id, CAST(o.order_time AS DATE) AS day, l.sku,
               CAST(l.quantity AS DOUBLE) AS quantity, CAST(l.amount AS DOUBLE) AS amount
        FROM read_parquet('{parquet_glob(lake, "order_lines")}') l
        JOIN read_parquet('{parquet_glob(lake, "orders")}') o USING (order_id)
        WHERE o.order_time <= ?
        """,
        [end],
    ).df()
    products = db.execute(
        f"""SELECT sku, name, category, unit, CAST(unit_price AS DOUBLE) AS unit_price,
                   CAST(unit_cost AS DOUBLE) AS unit_cost
            FROM read_parquet('{parquet_glob(lake, "products")}')"""
    ).df()
    customers = db.execute(
        f"""SELECT customer_id, cuisine, business_type, province
            FROM read_parquet('{parquet_glob(lake, "customers")}')"""
    ).df()
    customers["tier"] = customers["customer_id"].map(tiers or {})
    customers["tier"] = customers["tier"].astype(object).where(customers["tier"].notna(), None)
    return Book(lines, products, customers, as_of)

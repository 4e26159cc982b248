"""A lake from nothing but transactions (customer, time, amount), for the backtest.

Public transaction sets such as CDNOW have no master data. The policy engine reads the
``customers`` table for every grading (the entity list, tenure), so this writes one row per
customer with placeholder master data ("unknown" texts, zero credit, the first order's day as
the signup date) next to the ``orders``. Only order features are meaningful on such a lake;
a policy whose rules read master, line, finance or activity features grades on placeholders.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa

from tierwise.errors import DataError
from tierwise.lake import table_dir, write_parquet_atomic
from tierwise.model.arrow import arrow_schema
from tierwise.model.tables import CUSTOMERS, ORDERS

_TEXT = "unknown"


def write_orders_lake(transactions: pd.DataFrame, lake: Path) -> tuple[int, int]:
    """Write ``customers`` and ``orders`` tables under ``lake`` from ``transactions``.

    Parameters
    ----------
    transactions
        Columns ``customer_id``, ``order_time`` (date or timestamp) and ``amount``.
    lake
        Lake folder to write (its ``customers`` and ``orders`` files are replaced).

    Returns
    -------
    tuple[int, int]
        Customers and orders written.
    """
    missing = {"customer_id", "order_time", "amount"} - set(transactions.columns)
    if missing:
        raise DataError(
            "the transactions lack column(s) " + ", ".join(sorted(missing)),
            hint="give customer_id, order_time and amount",
        )
    tx = transactions.reset_index(drop=True)
    orders = pd.DataFrame(
        {
            "order_id": [f"T{i:09d}" for i in range(len(tx))],
            "customer_id": tx["customer_id"].astype(str),
            "order_time": pd.to_datetime(tx["order_time"]).astype("datetime64[us]"),
            "channel": "online",
            "amount": tx["amount"].astype("float64").round(2),
        }
    )
    first = orders.groupby("customer_id")["order_time"].min().dt.date
    customers = pd.DataFrame(dict.fromkeys(CUSTOMERS.names, _TEXT), index=first.index)
    customers["customer_id"] = first.index
    customers["account_id"] = first.index
    customers["signup_date"] = first.to_numpy()
    customers["contract_amount"] = None
    customers["credit_limit"] = 0.0
    customers["special_needs"] = None
    customers["channel"] = "online"
    for name, frame, table in (("customers", customers, CUSTOMERS), ("orders", orders, ORDERS)):
        data = pa.Table.from_pandas(frame, preserve_index=False)
        data = data.select(list(table.names)).cast(arrow_schema(table))
        write_parquet_atomic(data, table_dir(lake, name) / "part-00000.parquet")
    return len(customers), len(orders)


def read_cdnow(path: str | Path) -> pd.DataFrame:
    """CDNOW transactions (``CDNOW_master.txt`` / ``CDNOW_sample.txt``: whitespace-separated
    master id, customer id, yyyymmdd date, CDs, dollars) as customer_id, order_time, amount.

    The files ship inside the ``lifetimes`` wheel (a dev dependency, ../shared/INFRA.md);
    they are read where they are installed, never copied into the repository.
    """
    raw = pd.read_csv(
        path,
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "cds", "amount"],
        dtype={"customer_id": "int64", "date": "string"},
    )
    raw["order_time"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    return raw[["customer_id", "order_time", "amount"]]

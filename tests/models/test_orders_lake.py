"""An orders-only lake (CDNOW) that the policy engine can grade."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from tierwise.errors import DataError
from tierwise.models.orders_lake import write_orders_lake


def test_customers_and_orders_in_the_canonical_schema(
    cdnow_transactions: pd.DataFrame, tmp_path: Path
) -> None:
    n_customers, n_orders = write_orders_lake(cdnow_transactions, tmp_path)
    assert (n_customers, n_orders) == (2357, len(cdnow_transactions))
    customers = pq.read_table(tmp_path / "customers").to_pandas().set_index("customer_id")
    orders = pq.read_table(tmp_path / "orders").to_pandas()
    assert orders["order_id"].is_unique
    first = cdnow_transactions.groupby("customer_id")["order_time"].min()
    assert customers.loc["1", "signup_date"] == first.loc[1].date() == date(1997, 1, 1)
    assert float(orders["amount"].astype(float).sum()) == pytest.approx(
        cdnow_transactions["amount"].sum(), abs=0.01 * len(orders)
    )


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="lack column\\(s\\) amount"):
        write_orders_lake(
            pd.DataFrame({"customer_id": [1], "order_time": ["2025-01-01"]}), tmp_path
        )

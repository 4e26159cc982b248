"""Write the CDNOW sample (2,357 customers, 1997-01..1998-06) as an orders-only lake.

The data is read from inside the installed ``lifetimes`` wheel (a dev dependency,
../shared/INFRA.md) and written to the folder given, never into the repository::

    uv run --frozen python -m bench.cdnow_lake /tmp/cdnow-lake
    uv run --frozen tierwise evaluate --lake /tmp/cdnow-lake --as-of 1997-12-31 --as-of 1998-03-31
"""

from __future__ import annotations

import sys
from importlib.resources import files
from pathlib import Path

import pandas as pd

from tierwise.models.orders_lake import read_cdnow, write_orders_lake


def cdnow_transactions() -> pd.DataFrame:
    """CDNOW_sample.txt: customer_id, order_time, amount (dollars)."""
    return read_cdnow(str(files("lifetimes") / "datasets" / "CDNOW_sample.txt"))


def main(argv: list[str]) -> None:
    if len(argv) != 1:
        sys.exit("usage: python -m bench.cdnow_lake LAKE_FOLDER")
    customers, orders = write_orders_lake(cdnow_transactions(), Path(argv[0]))
    print(f"wrote {customers:,} customers and {orders:,} orders to {argv[0]}")


if __name__ == "__main__":
    main(sys.argv[1:])

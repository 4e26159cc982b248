"""The customer master export (customers.xlsx, sheet 客户档案) with duplicate customers.

About 3 % of customers are registered a second time under a name variant and their own
source id, some time after the true record; the orders writer later attributes part of the
true customer's orders to the duplicate id.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from tierwise.generate.calendar import day_number, from_day_number
from tierwise.generate.exports.files import write_xlsx, zh_headers
from tierwise.generate.exports.names import VARIANTS
from tierwise.generate.names import phones
from tierwise.generate.population import NEVER

DUP_SHARE = 0.03
FILE = "customers.xlsx"
SHEET = "客户档案"


def duplicate_customers(
    customers: pa.Table, end: int, rng: np.random.Generator
) -> tuple[list[dict[str, Any]], np.ndarray, list[list[Any]]]:
    """Pick the customers registered twice and build their duplicate rows.

    Returns
    -------
    pairs, dup_from, rows
        One manifest record per duplicate; for every customer the day its duplicate was
        registered (``NEVER`` if none); the duplicate rows in the canonical column order.
    """
    n = customers.num_rows
    k = round(n * DUP_SHARE) if n >= 20 else int(n >= 2)
    chosen = np.sort(rng.choice(n, k, replace=False)) if k else np.zeros(0, np.int64)
    dup_from = np.full(n, NEVER, dtype=np.int64)
    records = customers.take(pa.array(chosen)).to_pylist()
    pairs, rows = [], []
    n_accounts = len(set(customers["account_id"].to_pylist()))
    names = list(VARIANTS)
    for j, (c, rec) in enumerate(zip(chosen.tolist(), records, strict=True)):
        picked = sorted(rng.choice(len(names), int(rng.integers(1, 3)), replace=False).tolist())
        variants = [names[i] for i in picked]
        dup = dict(rec)
        for v in variants:
            if v == "suffix":
                dup["account_name"] = VARIANTS[v](dup["account_name"], rng)
            else:
                dup["name"] = VARIANTS[v](dup["name"], rng)
                if v == "traditional":
                    dup["account_name"] = VARIANTS[v](dup["account_name"], rng)
        signup = day_number(rec["signup_date"])
        registered = max(signup, int(rng.integers(min(signup, end - 31), end - 30)))
        dup_from[c] = registered
        dup["customer_id"] = f"C{n + j + 1:07d}"
        if rec["business_type"] == "single":  # a single store registered again is a new account
            dup["account_id"] = f"A{n_accounts + j + 1:07d}"
        dup["signup_date"] = from_day_number(registered)
        if rng.random() < 0.4:  # another contact registered the second account
            dup["phone"] = phones(rng, 1)[0]
        pairs.append(
            {
                "dup_id": dup["customer_id"],
                "true_id": rec["customer_id"],
                "variants": variants,
                "name": dup["name"],
                "true_name": rec["name"],
                "account_name": dup["account_name"],
                "true_account_name": rec["account_name"],
                "row": n + j + 1,
            }
        )
        rows.append([dup[c] for c in customers.column_names])
    return pairs, dup_from, rows


def write_customers(path: Path, customers: pa.Table, dup_rows: list[list[Any]]) -> int:
    """Write customers.xlsx: the master rows, then the duplicates registered later."""
    cols = customers.column_names
    rows = [[rec[c] for c in cols] for rec in customers.to_pylist()] + dup_rows
    write_xlsx(path, SHEET, zh_headers("customers", cols), rows)
    return len(rows)

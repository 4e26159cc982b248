"""Which features a book can compute: a feature whose inputs the lake lacks is unavailable
(R-DAT-2, R-FEA-8).

A distributor's own exports often carry only what grading needs (an order's customer, time
and amount; a customer's id). A feature reading a table the lake does not have, or a column
with no value in any row of a table that has rows, would silently be 0 (a missing table is
served empty with the canonical schema); instead it is *unavailable*. A table loaded with
no rows (an empty invoices export) is a known zero: its features are available: the quality report and the explanations say so, and a policy
that uses one is refused at grading time with the list of missing inputs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tierwise.errors import PolicyError
from tierwise.features.build import GROUP_TABLES, groups_for
from tierwise.features.catalog import CATALOG
from tierwise.lake import LakeLocation, parquet_glob, table_files

#: canonical columns a feature reads, beyond the tables of its group (``table.column``)
COLUMNS: dict[str, tuple[str, ...]] = {
    "business_type": ("customers.business_type",),
    "cuisine": ("customers.cuisine",),
    "scale": ("customers.scale",),
    "channel": ("customers.channel",),
    "region_id": ("customers.region_id",),
    "tenure_days": ("customers.signup_date",),
    "contract_amount": ("customers.contract_amount",),
    "has_special_needs": ("customers.special_needs",),
    "delivery_cost": ("customers.region_id",),
    "competition_index": ("customers.region_id",),
    "gross_margin_lookback": ("order_lines.cost",),
    "gross_margin_rate": ("order_lines.cost",),
    "return_rate": ("returns.amount",),
    "complaint_rate": ("tickets.kind",),
}
#: tables whose absence leaves nothing to compute (grading needs them: see features.sources)
_ALWAYS = {"customers", "orders"}


@dataclass(frozen=True)
class BookInputs:
    """What a lake holds: the tables it has (files, maybe with no rows: a known zero), and
    the columns with at least one value in tables that have rows."""

    tables: frozenset[str]
    columns: frozenset[str]  # "table.column", of the columns in COLUMNS only
    empty: frozenset[str] = frozenset()  # tables present with no rows

    def missing(self, feature: str) -> list[str]:
        """The inputs of ``feature`` this book lacks ("invoices (not in the lake)", ...)."""
        out: list[str] = []
        for g in groups_for([feature]):
            for t in GROUP_TABLES[g]:
                if t not in self.tables and t not in _ALWAYS:
                    out.append(f"{t} (not in the lake)")
        for col in COLUMNS.get(feature, ()):
            table = col.split(".")[0]
            if table not in self.tables:
                out.append(f"{table} (not in the lake)")
            elif table not in self.empty and col not in self.columns:
                out.append(f"{col} (no values)")
        return list(dict.fromkeys(out))

    def unavailable(self, names: Iterable[str] | None = None) -> dict[str, list[str]]:
        """Each unavailable feature among ``names`` (default: the catalog) → its missing inputs."""
        wanted = CATALOG if names is None else [n for n in names if n in CATALOG]
        out = {}
        for n in wanted:
            miss = self.missing(n)
            if miss:
                out[n] = miss
        return out


def book_inputs(lake: LakeLocation) -> BookInputs | None:
    """Read which tables and columns of a local lake have data (None for a remote lake:
    Spark reads those, and every feature is taken as available; None too for a lake without
    customers or orders, which grading refuses with its own error)."""
    if not isinstance(lake, Path) or not all(table_files(lake, t) for t in _ALWAYS):
        return None  # a remote lake, or one without customers/orders: open_lake says so
    import duckdb

    from tierwise.model.tables import TABLES

    tables: set[str] = set()
    columns: set[str] = set()
    empty: set[str] = set()
    # only the columns a feature's availability reads (COLUMNS), each probed for one row with
    # a value (LIMIT 1 stops the scan there), and the row count from the files' metadata:
    # counting the values of every column of every table cast to text took 3.5 s of a 10 M
    # line grading's 7 s (issue 28: found by bench_grading against the hand-written SQL)
    needed: dict[str, list[str]] = {}
    for cols in COLUMNS.values():
        for tc in cols:
            table, col = tc.split(".")
            needed.setdefault(table, []).append(col)
    con = duckdb.connect()
    try:
        for name in TABLES:
            if not table_files(lake, name):
                continue
            src = f"read_parquet('{parquet_glob(lake, name)}', union_by_name = true)"
            tables.add(name)
            row = con.execute(f"SELECT count(*) FROM {src}").fetchone()
            if row is None or not row[0]:
                empty.add(name)
                continue
            for c in dict.fromkeys(needed.get(name, ())):
                value = f"nullif(trim(CAST(\"{c}\" AS VARCHAR)), '')"
                hit = con.execute(f"SELECT 1 FROM {src} WHERE {value} IS NOT NULL LIMIT 1")
                if hit.fetchone() is not None:
                    columns.add(f"{name}.{c}")
    finally:
        con.close()
    return BookInputs(frozenset(tables), frozenset(columns), frozenset(empty))


def require_available(
    policy_name: str, names: Iterable[str], lake: LakeLocation
) -> dict[str, list[str]]:
    """Refuse a policy that reads a feature this book cannot compute.

    Returns
    -------
    dict
        Every unavailable feature of the catalog → its missing inputs (recorded with the run,
        shown by the explanations); empty for a remote lake.

    Raises
    ------
    PolicyError
        Naming every unavailable feature the policy uses and the inputs each one lacks.
    """
    inputs = book_inputs(lake)
    if inputs is None:
        return {}
    missing = inputs.unavailable(names)
    if missing:
        listed = "; ".join(f"{f} needs {', '.join(m)}" for f, m in missing.items())
        raise PolicyError(
            f"policy {policy_name} uses features this book cannot compute: {listed}",
            hint="ingest the missing tables or columns, or grade with a policy that does not "
            "use them (policies/rfm-transactions.yaml needs only orders)",
            unavailable=missing,
        )
    return inputs.unavailable()


def unavailable_note(lake: LakeLocation) -> str | None:
    """One line for a data-quality report: the features this lake cannot compute and their
    missing inputs (issue 19), or None when every feature is available."""
    inputs = book_inputs(lake)
    missing = inputs.unavailable() if inputs is not None else {}
    if not missing:
        return None
    return f"{len(missing)} features unavailable (missing inputs): " + "; ".join(
        f"{k} ({', '.join(v)})" for k, v in missing.items()
    )

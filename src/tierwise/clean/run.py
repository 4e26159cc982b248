"""``tierwise clean``: the raw lake in, the clean lake out (R-DAT-3).

Steps, each counted in the report:

1. every table: exact duplicate rows dropped; rows repeating a grain key with other values
   kept once (the first) and counted as conflicts;
2. customers: names, phones and addresses standardized (省/市/区 from the regions table);
   duplicates found with Splink and merged into one surviving id; the link table
   ``LAKE/_clean/customer_links.parquet`` keeps every source id with its survivor;
3. every table with a ``customer_id``: ids remapped to the survivor (activity of merged
   customers summed per day, one credit report per customer and day);
4. flags: ``LAKE/_flags/refund_outliers.parquet`` and ``LAKE/_flags/order_brushing.parquet``.

Each output file is written to a temporary name and renamed, so an interrupted clean leaves
the previous clean lake readable.
"""

from __future__ import annotations

import os
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from tierwise.clean.address import Gazetteer, split_address
from tierwise.clean.dedupe import DedupeParams, cluster, find_duplicates, prepare
from tierwise.clean.names import (
    contact_name_problem,
    display_name,
    normalize_phone,
    phone_problem,
)
from tierwise.clean.outliers import (
    FLAG_SCHEMA,
    BrushingParams,
    RefundParams,
    order_brushing,
    refund_outliers,
)
from tierwise.clean.regions import Place, bundled_region_codes
from tierwise.errors import DataError
from tierwise.ingest.prefetch import prefetch
from tierwise.ingest.validate import SQL_TYPES
from tierwise.model.arrow import arrow_schema
from tierwise.model.tables import TABLES

CLEAN_FILE = "part-0.parquet"
MATCH_COLUMNS = ("name", "account_name", "phone", "address")  # what duplicates are found by
Step = Callable[[str], None]


@dataclass
class CleanResult:
    """Counts of what the clean run did, per table and overall."""

    tables: dict[str, dict[str, int]] = field(default_factory=dict)
    customers_in: int = 0
    customers_out: int = 0
    merged: int = 0
    flags: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "tables": self.tables,
            "customers_in": self.customers_in,
            "customers_out": self.customers_out,
            "merged": self.merged,
            "flags": self.flags,
            "notes": self.notes,
        }


def _files(raw: Path, table: str) -> list[str]:
    d = raw / table
    return sorted(str(p) for p in d.rglob("*.parquet")) if d.is_dir() else []


def write_atomic_stream(reader: pa.RecordBatchReader, schema: pa.Schema, target: Path) -> int:
    """Stream batches into ``target`` (temp file then rename); return the row count."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    n = 0
    try:
        with pq.ParquetWriter(tmp, schema, compression="zstd") as w:
            # The query behind the reader runs a batch ahead in another thread while this
            # one compresses and writes (both release the GIL).
            for rb in prefetch(iter(reader)):
                cols = [rb.column(f.name).cast(f.type) for f in schema]
                w.write_batch(pa.record_batch(cols, schema=schema))
                n += rb.num_rows
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return n


def _standard_customers(cust: pd.DataFrame, gazetteer: Gazetteer | None) -> pd.DataFrame:
    out = cust.copy()
    addr = [
        split_address(a, p, c, d, gazetteer)
        for a, p, c, d in zip(
            cust["address"], cust["province"], cust["city"], cust["district"], strict=True
        )
    ]
    out["province"] = [a.province for a in addr]
    out["city"] = [a.city for a in addr]
    out["district"] = [a.district for a in addr]
    out["address"] = [a.street for a in addr]
    out["name"] = [display_name(n) for n in cust["name"]]
    out["account_name"] = [display_name(n) for n in cust["account_name"]]
    out["contact_name"] = [display_name(n) for n in cust["contact_name"]]
    out["phone"] = [normalize_phone(p) or p for p in cust["phone"]]
    return out


def grain_dedupe(
    con: duckdb.DuckDBPyConnection, table: str, source: str, name: str
) -> tuple[int, int, int]:
    """Create view ``name``: the rows of ``source``, one per grain key.

    Keys are first counted by their 64-bit hash alone (a hash aggregation of one integer
    column, far cheaper than grouping whole rows); rows whose hash is unique pass through
    untouched. Only the rows of repeated hashes (duplicates, and the rare hash collision) are
    grouped on the real key, keeping each key's smallest variant so the choice is
    reproducible, and telling exact duplicates from conflicting rows.

    Returns
    -------
    rows_in, exact_duplicates, grain_conflicts
    """
    t = TABLES[table]
    grain = ", ".join(f'"{g}"' for g in t.grain)
    others = [c for c in t.names if c not in t.grain]
    packed = "struct_pack(" + ", ".join(f'"{c}" := "{c}"' for c in others) + ")"
    h = f"hash({grain})"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {name}_cand AS "
        f"SELECT {h} AS _h FROM {source} GROUP BY _h HAVING count(*) > 1"
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {name}_multi AS "
        f"SELECT {grain}, min(_s) AS _s, count(DISTINCT _s) AS _variants, count(*) AS _n "
        f"FROM (SELECT {grain}, {packed} AS _s FROM {source} "
        f"WHERE {h} IN (SELECT _h FROM {name}_cand)) GROUP BY {grain}"
    )
    names = ", ".join(f'"{c}"' for c in t.names)
    unpacked = ", ".join(f'"{c}"' if c in t.grain else f'_s."{c}" AS "{c}"' for c in t.names)
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {name} AS "
        f"SELECT {names} FROM {source} WHERE {h} NOT IN (SELECT _h FROM {name}_cand) "
        f"UNION ALL SELECT {unpacked} FROM {name}_multi"
    )
    (n_in,) = con.execute(f"SELECT count(*) FROM {source}").fetchone()  # type: ignore[misc]
    multi_rows, variants, multi_keys = con.execute(
        f"SELECT coalesce(sum(_n), 0), coalesce(sum(_variants), 0), count(*) "
        f"FROM {name}_multi WHERE _n > 1"
    ).fetchone()  # type: ignore[misc]
    return int(n_in), int(multi_rows - variants), int(variants - multi_keys)


def drop_dedupe(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Drop the view :func:`grain_dedupe` made and the two tables behind it."""
    con.execute(f"DROP VIEW {name}; DROP TABLE {name}_cand; DROP TABLE {name}_multi")


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def _flag_contacts(cust: pd.DataFrame, res: CleanResult, examples: int = 20) -> None:
    """Count malformed contact fields; the values are kept (issue 17, R-DAT-4)."""
    found: dict[str, list[str]] = {}
    for cid, phone, contact in zip(
        cust["customer_id"], cust["phone"], cust["contact_name"], strict=True
    ):
        for flag, why in (
            ("malformed_phone", phone_problem(phone)),
            ("malformed_contact_name", contact_name_problem(contact)),
        ):
            if why is not None:
                found.setdefault(flag, []).append(f"{cid}: {why}")
    for flag in ("malformed_phone", "malformed_contact_name"):
        rows = found.get(flag, [])
        res.flags[flag] = len(rows)
        if rows:
            res.notes.append(
                f"{flag}: {len(rows)} customers kept with the value as given, e.g. "
                + "; ".join(rows[:examples])
            )


def _codes_from_text(cust: pd.DataFrame, res: CleanResult, examples: int = 5) -> None:
    """Without a regions table: district codes from the shipped GB/T 2260 list, official
    names where the text names one district; ambiguous or unknown text kept as it is
    (R-DAT-3, issue 19)."""
    codes = bundled_region_codes()
    seen: dict[tuple[object, object, object], Place | None] = {}
    resolved, left = 0, Counter[str]()
    ids, provinces, cities, districts = [], [], [], []
    for r, p, c, d in zip(
        cust["region_id"], cust["province"], cust["city"], cust["district"], strict=True
    ):
        key = (p, c, d)
        if key not in seen:
            seen[key] = codes.resolve(p, c, d) if isinstance(d, str) and d else None
        place = None if isinstance(r, str) and r else seen[key]
        if place is None:
            ids.append(r if isinstance(r, str) and r else None)
            provinces.append(p)
            cities.append(c)
            districts.append(d)
            if not (isinstance(r, str) and r) and isinstance(d, str) and d:
                left["/".join(str(x) for x in key if isinstance(x, str) and x)] += 1
            continue
        resolved += 1
        ids.append(place.region_id)
        provinces.append(place.province)
        cities.append(place.city)
        districts.append(place.district)
    cust["region_id"], cust["province"] = ids, provinces
    cust["city"], cust["district"] = cities, districts
    if resolved:
        res.notes.append(
            f"{resolved} region codes resolved from province/city/district text "
            "(GB/T 2260 list shipped with Tierwise; no regions table)"
        )
    if left:
        res.notes.append(
            f"{sum(left.values())} customers' district text names no single district "
            "(unknown, or ambiguous without the city): kept as text without a code, e.g. "
            + "; ".join(f"{k} ({n})" for k, n in left.most_common(examples))
        )


def _clean_customers(
    con: duckdb.DuckDBPyConnection,
    raw: Path,
    lake: Path,
    present: list[str],
    res: CleanResult,
    dedupe: DedupeParams,
    say: Step,
) -> None:
    """Standardize and de-duplicate customers; write them and the link table."""
    say("customers: standardize")
    res.customers_in, _, _ = grain_dedupe(con, "customers", "raw_customers", "agg_customers")
    cust = con.execute("SELECT * FROM agg_customers").fetch_df()  # the table's column order
    drop_dedupe(con, "agg_customers")
    gaz = None
    if "regions" in present:
        places = con.execute("SELECT province, city, district FROM raw_regions").fetchall()
        gaz = Gazetteer([(str(p), str(c), str(d)) for p, c, d in places])
    # Only the id is required (R-DAT-2): an outlet without an account is its own account.
    cust["account_id"] = cust["account_id"].fillna(cust["customer_id"])
    nothing_to_match = bool(cust[list(MATCH_COLUMNS)].isna().all().all())
    cust = _standard_customers(cust, gaz)
    if "regions" in present:
        # Region text resolved to the district code where the regions table knows it
        # (R-DAT-3); left as text (region_id empty) where it does not.
        codes = {
            (str(p), str(c), str(d)): str(r)
            for r, p, c, d in con.execute(
                "SELECT region_id, province, city, district FROM raw_regions"
            ).fetchall()
        }
        before = cust["region_id"].where(cust["region_id"].notna() & (cust["region_id"] != ""))
        found = [
            r if isinstance(r, str) else codes.get((p, c, d))
            for r, p, c, d in zip(
                before, cust["province"], cust["city"], cust["district"], strict=True
            )
        ]
        resolved = sum(
            1 for r, f in zip(before, found, strict=True) if not isinstance(r, str) and f
        )
        if resolved:
            res.notes.append(f"{resolved} region codes resolved from province/city/district text")
        cust["region_id"] = found
    else:
        _codes_from_text(cust, res)
    if nothing_to_match:
        res.notes.append("customers have no name, phone or address: no duplicate search (ids kept)")
        pairs = find_duplicates(prepare(cust.iloc[:0], gaz), dedupe)
    else:
        say("customers: find duplicates (Splink)")
        pairs = find_duplicates(prepare(cust, gaz), dedupe)
    order_counts: dict[str, int] = {}
    if "orders" in present:
        order_counts = dict(
            con.execute("SELECT customer_id, count(*) FROM raw_orders GROUP BY 1").fetchall()
        )
    signup = dict(zip(cust["customer_id"], cust["signup_date"], strict=True))
    # The record entered first survives (a duplicate is a later re-entry); then the busier.
    priority: dict[str, tuple[object, ...]] = {
        c: (str(signup.get(c)), -order_counts.get(c, 0), c) for c in cust["customer_id"]
    }
    links = cluster(list(cust["customer_id"]), pairs, priority)
    survivors = set(links.loc[links.source_id == links.customer_id, "customer_id"])
    res.merged = int(len(links) - len(survivors))
    cust_out = cust[cust["customer_id"].isin(survivors)]
    res.customers_out = len(cust_out)
    _flag_contacts(cust_out, res)
    con.register("links_df", links)
    con.execute("CREATE TABLE customer_links AS SELECT * FROM links_df")
    links_schema = pa.schema(
        [
            pa.field("source_id", pa.string(), nullable=False),
            pa.field("customer_id", pa.string(), nullable=False),
            pa.field("match_probability", pa.float64(), nullable=False),
            pa.field("cluster_size", pa.int32(), nullable=False),
        ]
    )
    write_atomic_stream(
        pa.Table.from_pandas(links, preserve_index=False).to_reader(),
        links_schema,
        lake / "_clean" / "customer_links.parquet",
    )
    cust_schema = arrow_schema(TABLES["customers"])
    cust_tbl = pa.Table.from_pandas(cust_out[list(cust_schema.names)], preserve_index=False)
    write_atomic_stream(cust_tbl.to_reader(), cust_schema, lake / "customers" / CLEAN_FILE)
    con.register("customers_arrow", cust_tbl)
    con.execute("CREATE TABLE customers AS SELECT * FROM customers_arrow")
    res.tables["customers"] = {
        "rows_in": res.customers_in,
        "rows_out": res.customers_out,
        "merged_duplicates": res.merged,
    }


def clean(
    raw: Path,
    lake: Path,
    *,
    dedupe: DedupeParams | None = None,
    refunds: RefundParams | None = None,
    brushing: BrushingParams | None = None,
    step: Step | None = None,
) -> CleanResult:
    """Clean the raw lake into the clean lake.

    Parameters
    ----------
    raw:
        The raw lake written by ``tierwise ingest``.
    lake:
        The clean lake to write (each table's ``part-0.parquet`` replaced).
    dedupe, refunds, brushing:
        Parameters of the duplicate model and the outlier detectors.
    step:
        Called with the name of each step as it starts (progress display).
    """
    say = step or (lambda _s: None)
    if not any(_files(raw, t) for t in TABLES):
        raise DataError(
            f"the raw lake at {raw} has no tables",
            hint="run `tierwise ingest` first, or pass --raw",
            lake=str(raw),
        )
    res = CleanResult()
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    try:
        present = [t for t in TABLES if _files(raw, t)]
        for t in present:
            files = "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in _files(raw, t)) + "]"
            con.execute(
                f"CREATE VIEW raw_{t} AS SELECT * FROM read_parquet({files}, union_by_name = true)"
            )
        if "customers" in present and not _count(con, "raw_customers"):
            raise DataError(
                f"the customers table of the raw lake at {raw} is empty: nothing to clean",
                hint="ingest a customers file with rows (tierwise ingest), then clean again",
                table="customers",
                lake=str(raw),
            )
        if "customers" not in present and "orders" in present:
            # A transaction log alone (R-DAT-2): the customers are the orders' customer ids,
            # with no master data (the features that need it are unavailable).
            nulls = ", ".join(
                f'CAST(NULL AS {SQL_TYPES[c.type]}) AS "{c.name}"'
                for c in TABLES["customers"].columns
                if c.name != "customer_id"
            )
            con.execute(
                f"CREATE VIEW raw_customers AS SELECT customer_id, {nulls} "
                "FROM (SELECT DISTINCT customer_id FROM raw_orders) ORDER BY customer_id"
            )
            present.insert(0, "customers")
            res.notes.append(
                "no customers in the raw lake: customers taken from the orders' customer ids, "
                "without master data"
            )
        if "customers" in present:
            _clean_customers(con, raw, lake, present, res, dedupe or DedupeParams(), say)
        else:
            res.notes.append("no customers in the raw lake: no de-duplication, ids kept")
            con.execute(
                "CREATE TABLE customer_links (source_id VARCHAR, customer_id VARCHAR, "
                "match_probability DOUBLE, cluster_size INTEGER)"
            )
        # 3. other tables: one row per grain key, customer ids remapped to survivors
        for t in present:
            if t == "customers":
                continue
            say(f"{t}: drop duplicates, remap merged customers")
            table = TABLES[t]
            n_in, n_exact, n_conflicts = grain_dedupe(con, t, f"raw_{t}", f"agg_{t}")
            n_keys = n_in - n_exact - n_conflicts
            query = f"SELECT * FROM agg_{t}"  # the table's column order
            if "customer_id" in table.names:
                cols = ", ".join(
                    'coalesce(l.customer_id, r."customer_id") AS "customer_id"'
                    if c == "customer_id"
                    else f'r."{c}"'
                    for c in table.names
                )
                query = (
                    f"SELECT {cols} FROM ({query}) r "
                    f"LEFT JOIN customer_links l ON l.source_id = r.customer_id"
                )
                if t == "activity":
                    query = (
                        "SELECT customer_id, date, CAST(sum(logins) AS INTEGER) AS logins, "
                        "CAST(sum(interactions) AS INTEGER) AS interactions "
                        f"FROM ({query}) GROUP BY customer_id, date"
                    )
                elif t == "credit":
                    query = (
                        f"SELECT * FROM ({query}) QUALIFY row_number() OVER "
                        "(PARTITION BY customer_id, report_date ORDER BY rating DESC) = 1"
                    )
            if t in ("orders", "returns"):
                con.execute(f"CREATE TABLE {t} AS {query}")
                query = f"SELECT * FROM {t}"
            n_out = write_atomic_stream(
                con.execute(query).fetch_record_batch(262_144),
                arrow_schema(table),
                lake / t / CLEAN_FILE,
            )
            drop_dedupe(con, f"agg_{t}")
            res.tables[t] = {
                "rows_in": int(n_in),
                "exact_duplicates_dropped": n_exact,
                "grain_conflicts_dropped": n_conflicts,
                "merged_customer_rows_combined": int(n_keys - n_out),
                "rows_out": n_out,
            }
        # 4. flags
        if "orders" in present and "returns" in present:
            say("flags: abnormal refunds")
            flags = refund_outliers(con, refunds or RefundParams())
            res.flags["refund_outlier"] = flags.num_rows
            write_atomic_stream(
                flags.to_reader(), FLAG_SCHEMA, lake / "_flags" / "refund_outliers.parquet"
            )
        if "orders" in present and "customers" in present:
            say("flags: order brushing")
            flags = order_brushing(con, brushing or BrushingParams())
            res.flags["order_brushing"] = flags.num_rows
            write_atomic_stream(
                flags.to_reader(), FLAG_SCHEMA, lake / "_flags" / "order_brushing.parquet"
            )
    finally:
        con.close()
    # The features this book cannot grade on are added to the notes by the caller
    # (features.availability.unavailable_note): clean sits below features in the layers.
    return res

"""Dirty chunks of orders.csv, with their manifest entries; duplicated rows for any file.

A dirty-chunk function takes a batch's clean table and returns the string table to append,
the manifest entries (rows relative to the chunk, 0-based; the writer adds the file offset)
and how many values of each format were written.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tierwise.generate.arrowkit import US_PER_DAY
from tierwise.generate.exports import dirt
from tierwise.generate.exports.formats import (
    AMOUNT_STYLES,
    TIME_STYLES,
    format_amounts,
    format_times,
    pick_styles,
)
from tierwise.generate.exports.values import (
    AMOUNT_SHARES,
    MISATTRIBUTE,
    ORDER_RATES,
    TIME_SHARES,
    Chunk,
    fen_of,
    iso_times,
    plain_amounts,
    style_counts,
    us_of,
)


def dirty_orders(
    t: pa.Table, rng: np.random.Generator, dup_from: np.ndarray, dup_ids: dict[int, str], yen: str
) -> Chunk:
    """Orders with mixed formats, malformed rows, duplicated rows and misattributed orders."""
    n = t.num_rows
    oid = t["order_id"].combine_chunks()
    ids = oid.to_pylist()
    cust = np.asarray(pc.cast(pc.utf8_slice_codeunits(t["customer_id"], 1), pa.int64())) - 1
    us, fen = us_of(t["order_time"]), fen_of(t["amount"])
    rows = dirt.choose_rows(rng, n, ORDER_RATES)
    t_style, a_style = pick_styles(rng, n, TIME_SHARES), pick_styles(rng, n, AMOUNT_SHARES)
    times, amounts = format_times(us, t_style), format_amounts(fen, a_style, yen)
    cid = t["customer_id"].combine_chunks()
    e: list[dict[str, Any]] = []
    r = rows["bad_date"]
    times, found = dirt.corrupt_logged(
        rng,
        times,
        r,
        dirt.BAD_DATES,
        kind="bad_date",
        file="orders.csv",
        ids=[ids[i] for i in r],
        column="下单时间",
        true_value=iso_times(us[r]),
    )
    e += found
    r = rows["future_date"]
    future = us[r] + rng.integers(2, 5, len(r)) * 365 * US_PER_DAY
    fut = format_times(future, t_style[r]).to_pylist()
    times = dirt.replace(times, r, fut)
    e += dirt.entries(
        "future_date",
        "orders.csv",
        r,
        [ids[i] for i in r],
        column="下单时间",
        value=fut,
        true_value=iso_times(us[r]),
    )
    r = rows["bad_amount"]
    amounts, found = dirt.corrupt_logged(
        rng,
        amounts,
        r,
        dirt.BAD_AMOUNTS,
        kind="bad_amount",
        file="orders.csv",
        ids=[ids[i] for i in r],
        column="订单金额",
        true_value=plain_amounts(fen[r]),
    )
    e += found
    r = rows["negative_amount"]
    neg = plain_amounts(-fen[r])
    amounts = dirt.replace(amounts, r, neg)
    e += dirt.entries(
        "negative_amount",
        "orders.csv",
        r,
        [ids[i] for i in r],
        column="订单金额",
        value=neg,
        true_value=plain_amounts(fen[r]),
    )
    r = rows["missing_id"]
    true_c = cid.take(pa.array(r)).to_pylist()
    cid = dirt.replace(cid, r, [None] * len(r))
    e += dirt.entries(
        "missing_id",
        "orders.csv",
        r,
        [ids[i] for i in r],
        column="客户编号",
        value="",
        true_value=true_c,
    )
    touched = np.concatenate([v for k, v in rows.items() if k != "duplicate_row"])
    mis = (us // US_PER_DAY >= dup_from[cust]) & (rng.random(n) < MISATTRIBUTE)
    mis[touched] = False
    r = np.flatnonzero(mis)
    new = [dup_ids[c] for c in cust[r].tolist()]
    e += dirt.entries(
        "misattributed_order",
        "orders.csv",
        r,
        [ids[i] for i in r],
        column="客户编号",
        value=new,
        true_value=cid.take(pa.array(r)).to_pylist(),
    )
    cid = dirt.replace(cid, r, new)
    out = pa.table(
        {
            "order_id": oid,
            "customer_id": cid,
            "order_time": times,
            "channel": t["channel"],
            "amount": amounts,
        }
    )
    formats = {"下单时间": style_counts(t_style, TIME_STYLES, np.concatenate([rows["bad_date"], rows["future_date"]])),
               "订单金额": style_counts(a_style, AMOUNT_STYLES, np.concatenate([rows["bad_amount"], rows["negative_amount"]]))}  # fmt: skip
    table, e = with_duplicates(out, e, rows["duplicate_row"], ids, "orders.csv")
    return table, e, formats


def with_duplicates(
    out: pa.Table, e: list[dict[str, Any]], rows: np.ndarray, ids: list[Any], file: str
) -> tuple[pa.Table, list[dict[str, Any]]]:
    """Insert the duplicated rows and renumber every entry to its written position."""
    source, copies, originals = dirt.duplicate_rows(out.num_rows, rows)
    position = np.searchsorted(source, np.arange(out.num_rows))  # first occurrence of a row
    for entry in e:
        entry["row"] = int(position[entry["row"]])
    e += dirt.entries(
        "duplicate_row",
        file,
        copies,
        [ids[source[i]] for i in copies],
        original_row=originals.tolist(),
    )
    return out.take(pa.array(source)), e

"""Dirty chunks of order_lines.csv and returns.csv, with their manifest entries."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tierwise.generate.exports import dirt
from tierwise.generate.exports.files import as_text
from tierwise.generate.exports.formats import (
    AMOUNT_STYLES,
    TIME_STYLES,
    format_amounts,
    format_times,
    pick_styles,
)
from tierwise.generate.exports.orders import with_duplicates
from tierwise.generate.exports.values import (
    AMOUNT_SHARES,
    LINE_RATES,
    ORPHAN_SEQ,
    RETURN_RATES,
    TIME_SHARES,
    Chunk,
    fen_of,
    iso_times,
    plain_amounts,
    style_counts,
    us_of,
)


def dirty_lines(t: pa.Table, rng: np.random.Generator, orphan_start: int, yen: str) -> Chunk:
    """Order lines with mixed amount formats, malformed rows, duplicates and orphan lines.

    Orphan lines copy a real line under an order number that exists nowhere (sequence
    numbers from ``ORPHAN_SEQ + orphan_start`` on).
    """
    n = t.num_rows
    text = as_text(t)
    fen = fen_of(t["amount"])
    oid = t["order_id"].combine_chunks()
    ids = oid.to_pylist()
    rows = dirt.choose_rows(rng, n, LINE_RATES)
    a_style = pick_styles(rng, n, AMOUNT_SHARES)
    amounts = format_amounts(fen, a_style, yen)
    e: list[dict[str, Any]] = []
    r = rows["bad_amount"]
    amounts, found = dirt.corrupt_logged(
        rng,
        amounts,
        r,
        dirt.BAD_AMOUNTS,
        kind="bad_amount",
        file="order_lines.csv",
        ids=[ids[i] for i in r],
        column="金额",
        true_value=plain_amounts(fen[r]),
    )
    e += found
    r = rows["missing_id"]
    line_no = t["line_no"].to_pylist()
    e += dirt.entries(
        "missing_id",
        "order_lines.csv",
        r,
        [None] * len(r),
        column="订单编号",
        value="",
        line_no=[line_no[i] for i in r],
        true_value=[ids[i] for i in r],
    )
    oid = dirt.replace(oid, r, [None] * len(r))
    out = text.set_column(text.column_names.index("amount"), "amount", amounts)
    out = out.set_column(0, "order_id", oid)
    # Orphans are inserted like duplicates, then given an order number that does not exist.
    orphans = rows["orphan_line"]
    both = np.sort(np.concatenate([rows["duplicate_row"], orphans]))
    table, e = with_duplicates(out, e, both, ids, "order_lines.csv")
    source, copies, _ = dirt.duplicate_rows(n, both)
    is_orphan = np.isin(source[copies], orphans)
    fake_pos = copies[is_orphan]
    day = pc.utf8_slice_codeunits(
        pa.array([ids[i] or "SO20250101" for i in source[fake_pos]], pa.string()), 2, 10
    ).to_pylist()
    fakes = [f"SO{d}{ORPHAN_SEQ + orphan_start + k:08d}" for k, d in enumerate(day)]
    table = table.set_column(
        0, "order_id", dirt.replace(table["order_id"].combine_chunks(), fake_pos, list(fakes))
    )
    fake_of = dict(zip(fake_pos.tolist(), fakes, strict=True))
    kept = []
    for entry in e:
        if entry["kind"] == "duplicate_row" and entry["row"] in fake_of:
            entry.update(kind="orphan_line", id=fake_of[entry["row"]], true_value=None)
            entry["copied_row"] = entry.pop("original_row")
        kept.append(entry)
    formats = {"金额": style_counts(a_style, AMOUNT_STYLES, rows["bad_amount"])}
    return table, kept, formats


def dirty_returns(t: pa.Table, rng: np.random.Generator) -> Chunk:
    """Returns with mixed time and amount formats and a few malformed values."""
    n = t.num_rows
    text = as_text(t)
    ids = t["return_id"].to_pylist()
    us, fen = us_of(t["return_time"]), fen_of(t["amount"])
    rows = dirt.choose_rows(rng, n, RETURN_RATES)
    t_style, a_style = pick_styles(rng, n, TIME_SHARES), pick_styles(rng, n, AMOUNT_SHARES)
    times, amounts = format_times(us, t_style), format_amounts(fen, a_style)
    e: list[dict[str, Any]] = []
    r = rows["bad_date"]
    times, found = dirt.corrupt_logged(
        rng,
        times,
        r,
        dirt.BAD_DATES,
        kind="bad_date",
        file="returns.csv",
        ids=[ids[i] for i in r],
        column="退货时间",
        true_value=iso_times(us[r]),
    )
    e += found
    r = rows["bad_amount"]
    amounts, found = dirt.corrupt_logged(
        rng,
        amounts,
        r,
        dirt.BAD_AMOUNTS,
        kind="bad_amount",
        file="returns.csv",
        ids=[ids[i] for i in r],
        column="退款金额",
        true_value=plain_amounts(fen[r]),
    )
    e += found
    out = text.set_column(text.column_names.index("return_time"), "return_time", times)
    out = out.set_column(out.column_names.index("amount"), "amount", amounts)
    formats = {"退货时间": style_counts(t_style, TIME_STYLES, rows["bad_date"]),
               "退款金额": style_counts(a_style, AMOUNT_STYLES, rows["bad_amount"])}  # fmt: skip
    return out, e, formats

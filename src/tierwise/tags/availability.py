"""Which tags a book can compute (R-DAT-2, R-FEA-8, issue 20).

A lake without, say, coupons or NPS surveys (a transaction-log-only book) still gets every
other tag; the tags reading what it lacks are *unavailable*: their values in the snapshot are
empty (not 0 or false: "no coupons were redeemed" and "we do not know" differ), and the
snapshot's ``meta.json`` lists them with their missing inputs, so health, the 360° view and
audiences can say so. The rule for features is :mod:`tierwise.features.availability`'s (a
table not in the lake, or a column with no value); a tag input is unavailable when its table
is not in the lake. A table with no rows is a known zero: its tags are available.
"""

from __future__ import annotations

from collections.abc import Sequence

from tierwise.features.availability import BookInputs
from tierwise.features.catalog import CATALOG as FEATURES
from tierwise.tags.catalog import Tag, input_names
from tierwise.tags.compute import order_custom
from tierwise.tags.inputs import INPUT_CATALOG

_ALWAYS = {"customers", "orders"}  # a lake without them is refused before any tag


def missing_inputs(book: BookInputs, name: str) -> list[str]:
    """What input ``name`` (a feature or a tag input) lacks in ``book``; empty: available."""
    if name in INPUT_CATALOG:
        table = INPUT_CATALOG[name].table
        ok = table in book.tables or table in _ALWAYS
        return [] if ok else [f"{table} (not in the lake)"]
    return book.missing(name) if name in FEATURES else []


def unavailable_inputs(book: BookInputs) -> dict[str, list[str]]:
    """Every input of the catalogue this book cannot compute → its missing inputs."""
    out = {n: missing_inputs(book, n) for n in input_names()}
    return {n: m for n, m in out.items() if m}


def unavailable_tags(
    book: BookInputs, tags: Sequence[Tag], custom: Sequence[Tag] = ()
) -> dict[str, list[str]]:
    """Every tag of ``tags`` and ``custom`` this book cannot compute → what it lacks.

    A user-defined tag reading an unavailable tag is unavailable too (``tag <code>``)."""
    inputs = unavailable_inputs(book)
    out: dict[str, list[str]] = {}
    for t in [*tags, *order_custom(custom)]:
        miss: list[str] = []
        for i in t.inputs:
            if i in out:
                miss.append(f"tag {i}")
            miss += inputs.get(i, [])
        if miss:
            out[t.code] = list(dict.fromkeys(miss))
    return out

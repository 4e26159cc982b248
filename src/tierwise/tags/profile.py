"""One customer's tags for the 360° view, and the health table, read from snapshots."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
from sqlalchemy import Engine

from tierwise.errors import NotFoundError
from tierwise.tags.catalog import GROUPS, TAGS, Tag
from tierwise.tags.compute import input_column
from tierwise.tags.health import tag_health
from tierwise.tags.service import custom_tags
from tierwise.tags.snapshot import Snapshot, list_snapshots, snapshot_for


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1000 else f"{v:,.0f}"
    return "—" if v is None else str(v)


def why(tag: Tag, row: dict[str, Any]) -> str:
    """The rule (or bands) and the inputs' values: ``orders_30d >= 8 (orders_30d = 11)``."""
    vals = ", ".join(f"{i} = {_fmt(row.get(input_column(i), row.get(i)))}" for i in tag.inputs)
    if tag.kind == "band":
        return f"{tag.source} = {_fmt(row.get(input_column(tag.source)))}; {tag.definition}"
    return f"{tag.definition} ({vals})" if vals else tag.definition


def customer_tags(
    home: Path, engine: Engine, customer_id: str, on: dt.date | None = None, *, every: bool = False
) -> list[dict[str, Any]]:
    """The customer's tags grouped like the catalogue: value, computed at, why.

    Flags that are false are left out unless ``every``; so are values that are empty.
    """
    snap = snapshot_for(home, on)
    con = duckdb.connect()
    cur = con.execute(
        f"SELECT * FROM read_parquet('{snap.file}') WHERE entity_id = ?", [customer_id]
    )
    names = [d[0] for d in cur.description]
    found = cur.fetchone()
    if found is None:
        raise NotFoundError(
            f"customer {customer_id!r} is not in the tag snapshot as of {snap.as_of}",
            customer_id=customer_id,
        )
    row = dict(zip(names, found, strict=True))
    custom = [t for t in custom_tags(engine) if t.code in snap.custom]
    out = []
    for g, (zh, en) in GROUPS.items():
        items = []
        for t in [*TAGS, *custom]:
            if t.group != g or t.code not in row:
                continue
            v = row[t.code]
            if not every and (v is None or v is False):
                continue
            items.append(
                {
                    "code": t.code,
                    "name_zh": t.name_zh,
                    "name_en": t.name_en,
                    "kind": t.kind,
                    "value": round(v, 6) if isinstance(v, float) else v,
                    "computed_at": snap.meta["computed_at"],
                    "as_of": snap.meta["as_of"],
                    "refresh": t.refresh,
                    "why": (
                        "unavailable: " + ", ".join(snap.unavailable[t.code])
                        if t.code in snap.unavailable
                        else why(t, row)
                    ),
                    "unavailable": snap.unavailable.get(t.code),
                }
            )
        if items:
            out.append({"group": g, "name_zh": zh, "name_en": en, "tags": items})
    return out


def health_rows(
    home: Path, engine: Engine, on: dt.date | None = None
) -> tuple[list[dict[str, Any]], Snapshot, Snapshot | None]:
    """Health of every tag in the snapshot of ``on`` against the snapshot before it."""
    snap = snapshot_for(home, on)
    before = [s for s in list_snapshots(home) if s.as_of < snap.as_of]
    prev = before[-1] if before else None
    tags = [*TAGS, *[t for t in custom_tags(engine) if t.code in snap.custom]]
    return tag_health(snap, tags, prev), snap, prev

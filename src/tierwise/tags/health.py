"""Tag health: coverage, distribution and stability between two snapshots, per tag.

``coverage`` is the share of customers the tag applies to: a flag that is true, a band, text
or number with a value. ``stability`` is the share of customers present in both snapshots
whose value did not change. A tag whose coverage is 0 (or fell by more than half since the
previous snapshot) is flagged: the point is to see a tag that silently went empty. A tag the
book cannot compute (its table is not in the lake) is flagged ``unavailable`` instead.

Computed by DuckDB over the snapshot's Parquet file (one scan, one aggregate per tag).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb

from tierwise.tags.catalog import Tag
from tierwise.tags.snapshot import Snapshot


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _applies(t: Tag, col: str) -> str:
    return f"coalesce({col}, false)" if t.kind == "flag" else f"{col} IS NOT NULL"


def tag_health(
    snap: Snapshot, tags: Sequence[Tag], previous: Snapshot | None = None, *, top: int = 6
) -> list[dict[str, Any]]:
    """One row per tag of ``tags`` present in ``snap``: coverage, distribution, stability."""
    con = duckdb.connect()
    con.execute("SET threads=2")
    cols = {
        r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{snap.file}')").fetchall()
    }
    present = [t for t in tags if t.code in cols]
    n = con.execute(f"SELECT count(*) FROM read_parquet('{snap.file}')").fetchone()[0]  # type: ignore[index]
    aggs = [f"avg(CASE WHEN {_applies(t, _q(t.code))} THEN 1.0 ELSE 0.0 END)" for t in present]
    cover = (
        con.execute(f"SELECT {', '.join(aggs)} FROM read_parquet('{snap.file}')").fetchone()
        if aggs
        else ()
    )
    stable: Sequence[Any] = [None] * len(present)
    prev_cover: Sequence[Any] = [None] * len(present)
    if previous is not None:
        pcols = {
            r[0]
            for r in con.execute(
                f"DESCRIBE SELECT * FROM read_parquet('{previous.file}')"
            ).fetchall()
        }
        both = [t for t in present if t.code in pcols]
        if both:
            sel = ", ".join(
                f"avg(CASE WHEN a.{_q(t.code)} IS NOT DISTINCT FROM b.{_q(t.code)} THEN 1.0 ELSE 0.0 END)"
                for t in both
            )
            row = con.execute(
                f"SELECT {sel} FROM read_parquet('{snap.file}') a "
                f"JOIN read_parquet('{previous.file}') b USING (entity_id)"
            ).fetchone()
            pc = con.execute(
                "SELECT "
                + ", ".join(
                    f"avg(CASE WHEN {_applies(t, _q(t.code))} THEN 1.0 ELSE 0.0 END)" for t in both
                )
                + f" FROM read_parquet('{previous.file}')"
            ).fetchone()
            by = {t.code: (row[i], pc[i]) for i, t in enumerate(both)}  # type: ignore[index]
            stable = [by.get(t.code, (None, None))[0] for t in present]
            prev_cover = [by.get(t.code, (None, None))[1] for t in present]
    out = []
    for i, t in enumerate(present):
        col = _q(t.code)
        if t.kind in ("band", "text"):
            dist = con.execute(
                f"SELECT {col}, count(*) FROM read_parquet('{snap.file}') "
                f"WHERE {col} IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {top}"
            ).fetchall()
            distribution: dict[str, Any] = {str(k): int(v) for k, v in dist}
        elif t.kind == "number":
            lo, med, hi, mean = con.execute(
                f"SELECT min({col}), median({col}), max({col}), avg({col}) "
                f"FROM read_parquet('{snap.file}')"
            ).fetchone()  # type: ignore[misc]
            distribution = {"min": lo, "median": med, "max": hi, "mean": mean}
        else:
            c = float(cover[i]) if cover else 0.0
            distribution = {"true": round(c * n), "false": n - round(c * n)}
        c = float(cover[i]) if cover else 0.0
        p = prev_cover[i]
        warn = None
        if t.code in snap.unavailable:  # the book lacks its inputs: empty by design
            warn = "unavailable"
        elif c == 0:
            warn = "empty"
        elif p is not None and p > 0 and c < p / 2:
            warn = "coverage halved"
        out.append(
            {
                "code": t.code,
                "group": t.group,
                "kind": t.kind,
                "name_zh": t.name_zh,
                "name_en": t.name_en,
                "coverage": round(c, 6),
                "previous_coverage": None if p is None else round(float(p), 6),
                "stability": None if stable[i] is None else round(float(stable[i]), 6),
                "distribution": distribution,
                "warning": warn,
                "unavailable": snap.unavailable.get(t.code),
            }
        )
    return out

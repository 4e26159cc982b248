"""The API's read model: ``customer_profiles`` (+ ``customer_tags``, ``customer_layers``).

One denormalized row per customer so that ``GET /customers/{id}`` is a primary-key lookup:
master data from the lake's ``customers`` table, the published tier from ``customer_tiers``,
and the grading details of the current run (status, tags, layers, segment, upgrade path,
features, explanation) from ``$TIERWISE_HOME/runs/<run_id>/`` when that run wrote them
(:mod:`tierwise.grading.layout`). Rebuilt as a whole, in one transaction, by
:func:`refresh_profiles`; the publish path, ``tierwise serve`` at start and
``tierwise profiles refresh`` call it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
from sqlalchemy import Connection, Engine, select

from tierwise.lake import require_table
from tierwise.store.bulk import read_arrow, replace_table
from tierwise.store.schema import Base, Run, latest_published

_T = Base.metadata.tables
MASTER_COLUMNS = (
    "customer_id",
    "account_id",
    "account_name",
    "name",
    "business_type",
    "cuisine",
    "scale",
    "province",
    "city",
    "district",
    "address",
    "region_id",
    "channel",
    "signup_date",
    "contract_amount",
    "payment_terms",
    "credit_limit",
    "account_manager",
    "contact_name",
    "phone",
    "special_needs",
)
_MONEY = ("contract_amount", "credit_limit")
_STATE = pa.schema(
    [
        ("customer_id", pa.string()),
        ("tier", pa.string()),
        ("score", pa.float64()),
        ("run_id", pa.string()),
        ("since", pa.date32()),
    ]
)
# Columns of a run's assignments that are not per-customer details
_NOT_DETAILS = {"entity_id", "run_id", "as_of", "tier_rank", "eligible"}

Explainer = Callable[[Mapping[str, Any], Mapping[str, Any]], list[dict[str, Any]]]
"""(assignment row, feature row) → reasons as JSON-able dicts (code, params, text)."""


@dataclass(frozen=True)
class RefreshSummary:
    customers: int
    graded: int
    run_id: str | None
    details: bool  # whether the run's assignment details (tags, layers ...) were found


def _clean(v: Any) -> Any:
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, date | datetime):
        return v.isoformat()
    return v


def run_details(run_dir: Path) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Assignment rows and feature rows of a finished grading run, by entity id."""
    assignments: dict[str, dict[str, Any]] = {}
    features: dict[str, dict[str, Any]] = {}
    from tierwise.grading.handoff import has_details, read_assignments, read_features

    has_assignments, has_features = has_details(run_dir)
    if has_assignments:
        for row in read_assignments(run_dir).to_pylist():
            assignments[str(row["entity_id"])] = row
    if has_features:
        for row in read_features(run_dir).to_pylist():
            eid = str(row.pop("entity_id"))
            features[eid] = {k: _clean(v) for k, v in row.items()}
    return assignments, features


def split_details(row: Mapping[str, Any]) -> dict[str, Any]:
    """One assignment row → status, segment, tags, layers, upgrade (the profile's columns)."""
    tags = sorted(k.removeprefix("tag_") for k, v in row.items() if k.startswith("tag_") and v)
    layers = {
        k.removeprefix("layer_"): v
        for k, v in row.items()
        if k.startswith("layer_") and v is not None
    }
    if row.get("rfm_segment") is not None:
        layers["rfm_segment"] = row["rfm_segment"]
    upgrade: dict[str, Any] = {}
    if "next_tier" in row:
        upgrade["next_tier"] = row.get("next_tier")
        upgrade["gap_score"] = _clean(row.get("gap_score"))
        upgrade["needs"] = {
            k.removeprefix("need_"): _clean(v)
            for k, v in row.items()
            if k.startswith("need_") and _clean(v) is not None
        }
    return {
        "status": row.get("status"),
        "segment": row.get("segment"),
        "tags": tags,
        "layers": layers,
        "upgrade": upgrade,
    }


def read_master(lake: Path) -> pa.Table:
    """The lake's customers table, restricted to the profile's master columns."""
    data = ds.dataset(str(require_table(lake, "customers")), format="parquet").to_table(
        columns=list(MASTER_COLUMNS)
    )
    for col in _MONEY:
        i = data.schema.get_field_index(col)
        data = data.set_column(i, col, pc.cast(data[col], pa.float64()))
    return data


def current_run_id(engine: Engine) -> str | None:
    """Id of the latest published run in the store, if any."""
    with engine.connect() as conn:
        return conn.execute(latest_published(Run.id)).scalar_one_or_none()


def refresh_profiles(
    engine: Engine,
    lake: Path,
    runs: Path | None,
    *,
    now: datetime,
    explainer: Explainer | None = None,
) -> RefreshSummary:
    """Rebuild the read model from the lake, the published state and the current run.

    Parameters
    ----------
    engine:
        The operational store.
    lake:
        The lake whose ``customers`` table holds the master data.
    runs:
        Folder of grading runs (``$TIERWISE_HOME/runs``); the current run's assignments and
        features are read from ``runs/<run_id>/`` when present.
    now:
        Stamped on every row as ``refreshed_at``.
    explainer:
        Turns an assignment row and a feature row into reasons; none until grading supplies it.
    """
    master = read_master(lake)
    run_id = current_run_id(engine)
    with engine.connect() as conn:
        state = read_arrow(conn, _T["customer_tiers"], _STATE)
        # the latest model predictions' CLV is the profile's LTV (tierwise.models.publish)
        pt = _T["customer_predictions"]
        preds = conn.execute(select(pt.c.customer_id, pt.c.clv)).all()
    tiers = {r["customer_id"]: r for r in state.to_pylist()}
    ltv: dict[str, float | None] = {str(r[0]): r[1] for r in preds}
    details: dict[str, dict[str, Any]] = {}
    feats: dict[str, dict[str, Any]] = {}
    if runs is not None and run_id is not None and (runs / run_id).is_dir():
        details, feats = run_details(runs / run_id)
        if explainer is None:
            explainer = run_explainer(runs / run_id)

    rows: list[dict[str, Any]] = []
    tag_rows: list[dict[str, str]] = []
    layer_rows: list[dict[str, str]] = []
    graded = 0
    for m in master.to_pylist():
        cid = m["customer_id"]
        st = tiers.get(cid)
        a = details.get(cid) or details.get(m["account_id"] or "")
        f = feats.get(cid) or feats.get(m["account_id"] or "") or {}
        d = split_details(a) if a else {"tags": [], "layers": {}, "upgrade": {}}
        if st is not None and st["tier"] is not None:
            graded += 1
        spend = f.get("spend_365d")
        explanation = explainer(a, f) if (explainer and a) else []
        rows.append(
            {
                **m,
                "run_id": st["run_id"] if st else None,
                "status": d.get("status") or ("graded" if st and st["tier"] else None),
                "tier": st["tier"] if st else None,
                "score": st["score"] if st else None,
                "tier_since": st["since"] if st else None,
                "segment": d.get("segment"),
                "spend_365d": float(spend) if isinstance(spend, int | float) else None,
                "ltv": ltv.get(cid),
                "tags": json.dumps(d["tags"], ensure_ascii=False),
                "layers": json.dumps(d["layers"], ensure_ascii=False),
                "upgrade": json.dumps(d["upgrade"], ensure_ascii=False),
                "explanation": json.dumps(explanation, ensure_ascii=False),
                "features": json.dumps(f, ensure_ascii=False, default=str),
                "refreshed_at": now,
            }
        )
        tag_rows += [{"customer_id": cid, "tag": t} for t in d["tags"]]
        layer_rows += [
            {"customer_id": cid, "layer": k, "level": str(v)} for k, v in d["layers"].items()
        ]
    profiles = pa.Table.from_pylist(rows, schema=_profile_schema())
    with engine.begin() as conn:
        _replace(conn, "customer_profiles", profiles)
        _replace(
            conn,
            "customer_tags",
            pa.Table.from_pylist(
                tag_rows, schema=pa.schema([("customer_id", pa.string()), ("tag", pa.string())])
            ),
        )
        _replace(
            conn,
            "customer_layers",
            pa.Table.from_pylist(
                layer_rows,
                schema=pa.schema(
                    [("customer_id", pa.string()), ("layer", pa.string()), ("level", pa.string())]
                ),
            ),
        )
    return RefreshSummary(len(rows), graded, run_id, bool(details))


JSON_COLUMNS = ("tags", "layers", "upgrade", "explanation", "features")


def run_explainer(run_dir: Path) -> Explainer | None:
    """Reasons of a grading run's rows, rendered in zh-CN and English (R-INT-3).

    None when the folder is not a grading run this version can read back.
    """
    from tierwise.errors import TierwiseError
    from tierwise.explain import explain, render
    from tierwise.grading.handoff import read_run

    try:
        run = read_run(run_dir)
    except (TierwiseError, OSError, KeyError, TypeError, ValueError):
        return None
    policy, cutoffs = run.policy, run.cutoffs

    def reasons(a: Mapping[str, Any], f: Mapping[str, Any]) -> list[dict[str, Any]]:
        return [
            {
                "code": r.code,
                "params": {k: _clean(v) for k, v in r.params.items()},
                "zh": render(r, policy, "zh"),
                "en": render(r, policy, "en"),
            }
            for r in explain(a, f, policy, cutoffs)
        ]

    return reasons


def _profile_schema() -> pa.Schema:
    types = {"signup_date": pa.date32(), "tier_since": pa.date32()}
    floats = {"contract_amount", "credit_limit", "score", "spend_365d", "ltv"}
    fields = []
    for col in _T["customer_profiles"].columns:
        if col.name in types:
            t = types[col.name]
        elif col.name in floats:
            t = pa.float64()
        elif col.name == "refreshed_at":
            t = pa.timestamp("us")
        else:
            t = pa.string()
        fields.append((col.name, t))
    return pa.schema(fields)


def _replace(conn: Connection, name: str, data: pa.Table) -> int:
    """Replace every row of table ``name`` by ``data`` (JSON columns given as text)."""
    if conn.dialect.name == "postgresql":
        return replace_table(conn, _T[name], data)  # COPY takes the JSON text as it is
    conn.execute(_T[name].delete())
    return _sqlite_insert(conn, name, data)


def _sqlite_insert(conn: Connection, name: str, data: pa.Table) -> int:
    """Plain executemany of the rows: SQLite keeps JSON as text, so the JSON text goes in as
    it is (through SQLAlchemy's JSON type it would be parsed and dumped again: 3x slower).
    Dates and times are written in the text form SQLAlchemy's SQLite types read back."""
    cols = []
    for field, col in zip(data.schema, data.columns, strict=True):
        if pa.types.is_date(field.type) or pa.types.is_timestamp(field.type):
            col = pc.cast(col, pa.string())
        cols.append(col.to_pylist())
    names = ", ".join(f'"{n}"' for n in data.column_names)
    marks = ", ".join("?" for _ in data.column_names)
    sql = f'INSERT INTO "{name}" ({names}) VALUES ({marks})'
    rows = list(zip(*cols, strict=True))
    for start in range(0, len(rows), 50_000):
        conn.exec_driver_sql(sql, rows[start : start + 50_000])
    return len(rows)


def write_profiles(engine: Engine, profiles: pa.Table) -> int:
    """Replace the read model by ``profiles`` (columns of ``customer_profiles``, JSON as text).

    For benchmarks and tests that synthesize profiles without a lake.
    """
    data = profiles.select(_profile_schema().names).cast(_profile_schema())
    with engine.begin() as conn:
        return _replace(conn, "customer_profiles", data)


def sync_profile_tiers(engine: Engine, customer_ids: Sequence[str]) -> dict[str, str | None]:
    """Copy the published tier and score of ``customer_ids`` into the read model (after a
    real-time regrade, which changes ``customer_tiers`` between runs); returns their tiers."""
    tiers = Base.metadata.tables["customer_tiers"]
    profiles = Base.metadata.tables["customer_profiles"]
    with engine.begin() as conn:
        rows = conn.execute(
            select(tiers.c.customer_id, tiers.c.tier, tiers.c.score).where(
                tiers.c.customer_id.in_(list(customer_ids))
            )
        ).all()
        for r in rows:
            conn.execute(
                profiles.update()
                .where(profiles.c.customer_id == r.customer_id)
                .values(tier=r.tier, score=r.score)
            )
    return {r.customer_id: r.tier for r in rows}

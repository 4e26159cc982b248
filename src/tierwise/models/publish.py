"""Train the CLV, churn and value models, register them, and publish their predictions.

One place for what ``tierwise model fit-*``, ``tierwise model train`` and ``tierwise demo``
do: fit on the orders up to ``as_of`` (snapshots strictly before it for churn and value),
save each model with its card (training window, data fingerprint, metrics) in the registry,
then predict per customer and write the predictions where the read model shows them:

* ``MODELS/predictions/latest.parquet`` (``entity_id`` + columns) for a policy's ``model``
  score (``score: {method: model, column: clv, path: ...}``);
* the store's ``customer_predictions`` table, whose ``clv`` is the profile's ``ltv``
  (customer list, 360° page, analytics).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
from sqlalchemy import Engine, bindparam, update

from tierwise.errors import DataError
from tierwise.lake import write_parquet_atomic
from tierwise.models.churn import ChurnModel
from tierwise.models.clv import ClvModel
from tierwise.models.predict import predict_customers
from tierwise.models.registry import ModelCard, orders_fingerprint, save_model
from tierwise.models.rfm import as_relation, rfm_summary
from tierwise.models.snapshots import build_snapshots, training_cut_dates
from tierwise.models.value import ValueModel
from tierwise.models.weights import RankWeights

CLV_HORIZON_DAYS = 365  # the CLV / LTV shown to people: expected spend over the next year
NEAR_HORIZON_DAYS = 90  # expected orders and spend "next quarter"
PREDICTION_COLUMNS = (
    "p_alive",
    "expected_orders",
    "expected_spend",
    "clv",
    "churn_probability",
    "predicted_spend",
)


def predictions_path(root: Path) -> Path:
    """Where the latest predictions are written for a ``model`` score policy."""
    return root / "predictions" / "latest.parquet"


def model_card(
    name: str,
    kind: str,
    as_of: date,
    orders: Any,
    con: duckdb.DuckDBPyConnection,
    params: dict[str, Any],
    metrics: dict[str, float],
    *,
    now: datetime | None = None,
    fingerprint: tuple[str, date | None] | None = None,
) -> ModelCard:
    """The card of a model trained on ``orders`` up to ``as_of``; ``fingerprint``, when the
    caller has it, is :func:`orders_fingerprint`'s answer (it scans every order)."""
    digest, first = fingerprint or orders_fingerprint(orders, as_of, con)
    return ModelCard(
        name=name,
        kind=kind,
        created_at=now or datetime.now(UTC),
        as_of=as_of,
        training_start=first,
        training_end=as_of,
        data_fingerprint=digest,
        params=params,
        metrics=metrics,
    )


def fit_clv(
    orders: Any, as_of: date, con: duckdb.DuckDBPyConnection, unit_days: float = 7.0
) -> tuple[ClvModel, dict[str, Any], dict[str, float]]:
    """BG/NBD + Gamma-Gamma on the RFM summary up to ``as_of``: model, params, metrics."""
    summary = rfm_summary(orders, as_of, unit_days=unit_days, con=con)
    model = ClvModel(unit_days=unit_days).fit(summary)
    metrics = {
        "customers": float(len(summary)),
        "repeat_customers": float((summary["frequency"] > 0).sum()),
        "log_likelihood_bgnbd": model.log_likelihood_["bgnbd"],
        "log_likelihood_gamma_gamma": model.log_likelihood_["gamma_gamma"],
    }
    return model, {**model.params_, "unit_days": unit_days}, metrics


def snapshots_for(
    orders: Any,
    as_of: date,
    con: duckdb.DuckDBPyConnection,
    *,
    cuts: int,
    every_days: int,
    churn_window_days: int = 1,
    value_window_days: int = 1,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Training snapshots at ``cuts`` dates before ``as_of`` (labels known by ``as_of``)."""
    horizon = max(churn_window_days, value_window_days)
    dates = training_cut_dates(as_of, horizon_days=horizon, n_cuts=cuts, every_days=every_days)
    snap = build_snapshots(
        orders,
        dates,
        as_of,
        churn_window_days=churn_window_days,
        value_window_days=value_window_days,
        con=con,
    )
    return snap, {"cut_dates": [d.isoformat() for d in dates]}


@dataclass
class TrainResult:
    """What :func:`train_and_register` saved and predicted."""

    cards: dict[str, ModelCard] = field(default_factory=dict)
    models: dict[str, Any] = field(default_factory=dict)
    predictions: pd.DataFrame | None = None
    skipped: dict[str, str] = field(default_factory=dict)  # model name -> why not trained


def cuts_within(first: date | None, as_of: date, horizon: int, cuts: int, every: int) -> int:
    """How many of ``cuts`` cut dates fit in the history: the earliest cut keeps 60 days of
    history before it (features need some), the latest is ``horizon`` days before ``as_of``."""
    if first is None:
        return 0
    room = (as_of - first).days - horizon - 60
    return max(0, min(cuts, room // every + 1)) if room >= 0 else 0


def train_and_register(
    orders: Any,
    as_of: date,
    root: Path,
    *,
    con: duckdb.DuckDBPyConnection | None = None,
    cuts: int = 26,
    every_days: int = 14,
    churn_window_days: int = 60,
    value_window_days: int = 90,
    churn_threshold: float = 0.5,
    now: datetime | None = None,
) -> TrainResult:
    """Fit CLV, churn, value and learned weights as of ``as_of``, save them, predict.

    Returns the saved cards (with their versions), the fitted models, and one row per
    customer known as of ``as_of`` with :data:`PREDICTION_COLUMNS` (see
    :func:`prediction_table`).
    """
    con = con if con is not None else duckdb.connect()
    rel = as_relation(orders, con)
    out = TrainResult()

    fingerprint = orders_fingerprint(rel, as_of, con)  # one scan for every model's card
    first = fingerprint[1]

    def keep(name: str, kind: str, model: Any, params: dict[str, Any], m: dict[str, float]) -> None:
        card = model_card(name, kind, as_of, rel, con, params, m, now=now, fingerprint=fingerprint)
        out.cards[name] = save_model(root, model, card)
        out.models[name] = model

    clv, params, metrics = fit_clv(rel, as_of, con)
    keep("clv", "clv", clv, params, metrics)

    def attempt(
        name: str, window: int, fit: Callable[[pd.DataFrame, dict[str, Any]], None], label: str
    ) -> None:
        """Fit on snapshots, or note why not: a short or uniform history must not stop the
        other models."""
        n = cuts_within(first, as_of, window, cuts, every_days)
        try:
            if n == 0:
                raise DataError(f"less than {window + 60} days of history")
            snap, p = snapshots_for(
                rel, as_of, con, cuts=n, every_days=every_days, **{label: window}
            )
            fit(snap, {**p, "window_days": window})
        except DataError as err:
            out.skipped[name] = str(err)

    def fit_churn(snap: pd.DataFrame, p: dict[str, Any]) -> None:
        churn = ChurnModel().fit(snap, snap["churned"])
        keep("churn", "churn", churn, p, churn.metrics_)

    def fit_value(snap: pd.DataFrame, p: dict[str, Any]) -> None:
        value = ValueModel().fit(snap, snap["future_spend"])
        keep("value", "value", value, p, value.metrics_)
        weights = RankWeights().fit(snap, snap["future_spend"])
        keep("weights", "weights", weights, {**p, "weights": weights.weights_}, weights.metrics_)

    attempt("churn", churn_window_days, fit_churn, "churn_window_days")
    attempt("value", value_window_days, fit_value, "value_window_days")
    out.predictions = prediction_table(
        rel, as_of, clv=clv, churn=out.models.get("churn"), value=out.models.get("value"),
        churn_threshold=churn_threshold, con=con,
    )  # fmt: skip
    return out


def prediction_table(
    orders: Any,
    as_of: date,
    *,
    clv: ClvModel | None = None,
    churn: ChurnModel | None = None,
    value: ValueModel | None = None,
    churn_threshold: float = 0.5,
    con: duckdb.DuckDBPyConnection | None = None,
) -> pd.DataFrame:
    """Per customer: ``entity_id`` and :data:`PREDICTION_COLUMNS` (a missing model's are
    empty) plus ``churn_warning``.

    ``expected_orders`` and ``expected_spend`` cover the next :data:`NEAR_HORIZON_DAYS`;
    ``clv`` is the expected spend over the next :data:`CLV_HORIZON_DAYS` (undiscounted).
    """
    con = con if con is not None else duckdb.connect()
    summary = (
        rfm_summary(orders, as_of, unit_days=float(clv.unit_days), con=con)
        if clv is not None
        else None
    )  # one summary for both horizons
    near = predict_customers(
        orders,
        as_of,
        clv=clv,
        churn=churn,
        value=value,
        horizon_days=NEAR_HORIZON_DAYS,
        churn_threshold=churn_threshold,
        con=con,
        summary=summary,
    ).set_index("entity_id")
    if clv is not None and summary is not None:
        year = clv.predict_frame(summary, horizon_days=CLV_HORIZON_DAYS)
        near["clv"] = year["expected_spend"].reindex(near.index)
    for col in (*PREDICTION_COLUMNS, "churn_warning"):
        if col not in near:
            near[col] = None
    near.index.name = "entity_id"
    return near[[*PREDICTION_COLUMNS, "churn_warning"]].reset_index()


def _num(v: Any) -> float | None:
    if v is None:
        return None
    f = float(v)
    return None if math.isnan(f) else f


def publish_predictions(
    engine: Engine,
    root: Path,
    predictions: pd.DataFrame,
    *,
    as_of: date,
    versions: dict[str, str],
    now: datetime,
) -> int:
    """Write ``predictions`` to ``MODELS/predictions/latest.parquet`` and to the store's
    ``customer_predictions`` (replacing it), and set each profile's ``ltv`` to its ``clv``.

    Returns the number of customers written.
    """
    from tierwise.store.schema import Base

    write_parquet_atomic(
        pa.Table.from_pandas(predictions, preserve_index=False), predictions_path(root)
    )
    rows = [
        {
            "customer_id": str(r["entity_id"]),
            "as_of": as_of,
            "models": versions,
            **{c: _num(r[c]) for c in PREDICTION_COLUMNS},
            "refreshed_at": now,
        }
        for r in predictions.to_dict("records")
    ]
    table = Base.metadata.tables["customer_predictions"]
    profiles = Base.metadata.tables["customer_profiles"]
    with engine.begin() as conn:
        conn.execute(table.delete())
        for start in range(0, len(rows), 10_000):
            conn.execute(table.insert(), rows[start : start + 10_000])
        conn.execute(update(profiles).values(ltv=None))
        clv = [{"cid": r["customer_id"], "ltv": r["clv"]} for r in rows if r["clv"] is not None]
        if clv:
            stmt = (
                update(profiles)
                .where(profiles.c.customer_id == bindparam("cid"))
                .values(ltv=bindparam("ltv"))
            )
            conn.execute(stmt, clv)
    return len(rows)


def read_predictions(engine: Engine, customer_id: str) -> dict[str, Any] | None:
    """The published predictions of one customer (None when it has none)."""
    from sqlalchemy import select

    from tierwise.store.schema import Base

    t = Base.metadata.tables["customer_predictions"]
    with engine.connect() as conn:
        row = conn.execute(select(t).where(t.c.customer_id == customer_id)).mappings().first()
    return dict(row) if row is not None else None

"""``tierwise model``: fit, save and list the CLV, churn and value models (R-GRD-8).

Commands are thin: they read the orders from the lake, call the model functions and save the
result in the registry under ``$TIERWISE_HOME/models``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import duckdb
import pyarrow as pa
import typer
from rich.console import Console
from rich.table import Table

from tierwise.cli.main import app
from tierwise.errors import NotFoundError
from tierwise.lake import parquet_glob, require_table, write_parquet_atomic
from tierwise.models.churn import ChurnModel
from tierwise.models.clv import ClvModel
from tierwise.models.predict import predict_customers
from tierwise.models.registry import (
    ModelCard,
    list_models,
    load_model,
    orders_fingerprint,
    save_model,
)
from tierwise.models.rfm import rfm_summary
from tierwise.models.snapshots import build_snapshots, training_cut_dates
from tierwise.models.value import ValueModel
from tierwise.models.weights import RankWeights, proposed_policy_fragment
from tierwise.settings import get_settings

model_app = typer.Typer(
    help="Fit, save and list models: CLV, churn, value and learned weights.",
    no_args_is_help=True,
)
app.add_typer(model_app, name="model")

_out = Console(highlight=False)

AsOf = Annotated[
    datetime,
    typer.Option(
        "--as-of", formats=["%Y-%m-%d"], help="Last day of data to train on (YYYY-MM-DD)."
    ),
]
Lake = Annotated[Path | None, typer.Option(help="Lake folder (default: $TIERWISE_HOME/lake).")]
Cuts = Annotated[int, typer.Option(help="Number of past cut dates to train on.")]
Every = Annotated[int, typer.Option(help="Days between cut dates.")]


def _orders(lake: Path | None, con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyRelation:
    lake = lake if lake is not None else get_settings().lake_dir
    require_table(lake, "orders")
    return con.read_parquet(parquet_glob(lake, "orders"))


def _card(
    name: str,
    kind: str,
    as_of: date,
    orders: duckdb.DuckDBPyRelation,
    con: duckdb.DuckDBPyConnection,
    params: dict[str, Any],
    metrics: dict[str, float],
    start: date | None = None,
) -> ModelCard:
    fingerprint, first = orders_fingerprint(orders, as_of, con)
    return ModelCard(
        name=name,
        kind=kind,
        created_at=datetime.now(UTC),
        as_of=as_of,
        training_start=start or first,
        training_end=as_of,
        data_fingerprint=fingerprint,
        params=params,
        metrics=metrics,
    )


def _report(card: ModelCard) -> None:
    _out.print(f"saved [bold]{card.name} {card.version}[/] ({card.kind}, as of {card.as_of})")
    for key, value in card.metrics.items():
        _out.print(f"  {key:28s} {value:,.4g}")


@model_app.command("fit-clv")
def fit_clv(
    as_of: AsOf,
    lake: Lake = None,
    name: Annotated[str, typer.Option(help="Registry name.")] = "clv",
    unit_days: Annotated[float, typer.Option(help="Model time unit in days (7 = weeks).")] = 7.0,
) -> None:
    """Fit BG/NBD + Gamma-Gamma on the RFM summary of the orders up to --as-of."""
    day = as_of.date()
    con = duckdb.connect()
    orders = _orders(lake, con)
    with _out.status("summarizing orders and fitting BG/NBD + Gamma-Gamma"):
        summary = rfm_summary(orders, day, unit_days=unit_days, con=con)
        model = ClvModel(unit_days=unit_days).fit(summary)
    metrics = {
        "customers": float(len(summary)),
        "repeat_customers": float((summary["frequency"] > 0).sum()),
        "log_likelihood_bgnbd": model.log_likelihood_["bgnbd"],
        "log_likelihood_gamma_gamma": model.log_likelihood_["gamma_gamma"],
    }
    card = _card(name, "clv", day, orders, con, {**model.params_, "unit_days": unit_days}, metrics)
    _report(save_model(get_settings().models_dir, model, card))


@model_app.command("fit-churn")
def fit_churn(
    as_of: AsOf,
    lake: Lake = None,
    name: Annotated[str, typer.Option(help="Registry name.")] = "churn",
    cuts: Cuts = 26,
    every_days: Every = 14,
    window_days: Annotated[int, typer.Option(help="Churn = no order in this many days.")] = 60,
) -> None:
    """Fit the calibrated churn classifier on snapshots before --as-of."""
    day = as_of.date()
    con = duckdb.connect()
    orders = _orders(lake, con)
    dates = training_cut_dates(day, horizon_days=window_days, n_cuts=cuts, every_days=every_days)
    with _out.status(f"building {cuts} snapshots and fitting the churn model"):
        snap = build_snapshots(
            orders, dates, day, churn_window_days=window_days, value_window_days=1, con=con
        )
        model = ChurnModel().fit(snap, snap["churned"])
    params = {"window_days": window_days, "cut_dates": [d.isoformat() for d in dates]}
    card = _card(name, "churn", day, orders, con, params, model.metrics_, start=None)
    _report(save_model(get_settings().models_dir, model, card))


@model_app.command("fit-value")
def fit_value(
    as_of: AsOf,
    lake: Lake = None,
    cuts: Cuts = 26,
    every_days: Every = 14,
    window_days: Annotated[int, typer.Option(help="Predict spend over this many days.")] = 90,
) -> None:
    """Fit the value model and learned policy weights; print the proposed score block."""
    day = as_of.date()
    con = duckdb.connect()
    orders = _orders(lake, con)
    dates = training_cut_dates(day, horizon_days=window_days, n_cuts=cuts, every_days=every_days)
    with _out.status(f"building {cuts} snapshots and fitting value model and weights"):
        snap = build_snapshots(
            orders, dates, day, churn_window_days=1, value_window_days=window_days, con=con
        )
        value = ValueModel().fit(snap, snap["future_spend"])
        weights = RankWeights().fit(snap, snap["future_spend"])
    params = {"window_days": window_days, "cut_dates": [d.isoformat() for d in dates]}
    root = get_settings().models_dir
    _report(
        save_model(root, value, _card("value", "value", day, orders, con, params, value.metrics_))
    )
    w_card = _card(
        "weights",
        "weights",
        day,
        orders,
        con,
        {**params, "weights": weights.weights_},
        weights.metrics_,
    )
    _report(save_model(root, weights, w_card))
    _out.print("proposed policy score block (paste into a policy; review its dry-run first):")
    typer.echo(proposed_policy_fragment(weights.weights_))


@model_app.command("predict")
def predict_command(
    as_of: AsOf,
    out: Annotated[Path, typer.Option(help="Parquet file to write (entity_id + predictions).")],
    lake: Lake = None,
    horizon_days: Annotated[float, typer.Option(help="CLV horizon in days.")] = 365.0,
    churn_threshold: Annotated[float, typer.Option(help="Churn-warning threshold.")] = 0.5,
) -> None:
    """Write the latest clv, churn, value and weights models' predictions as of --as-of."""
    day = as_of.date()
    root = get_settings().models_dir
    available = {c.name for c in list_models(root)}
    loaded: dict[str, Any] = {}
    for name in ("clv", "churn", "value", "weights"):
        if name in available:
            loaded[name], card = load_model(root, name)
            _out.print(f"using {name} {card.version} (trained as of {card.as_of})")
    if not loaded:
        raise NotFoundError(
            f"no saved models under {root}", hint="fit them with `tierwise model fit-clv` ..."
        )
    con = duckdb.connect()
    with _out.status("predicting"):
        table = predict_customers(
            _orders(lake, con),
            day,
            horizon_days=horizon_days,
            churn_threshold=churn_threshold,
            con=con,
            **loaded,
        )
    write_parquet_atomic(pa.Table.from_pandas(table, preserve_index=False), out)
    _out.print(f"wrote {len(table):,} customers to {out}")


_HEADLINE = {
    "clv": "log_likelihood_bgnbd",
    "churn": "auc",
    "value": "spearman",
    "weights": "spearman",
}


@model_app.command("list")
def list_command() -> None:
    """List saved models: name, version, kind, as_of, fingerprint and headline metrics."""
    cards = list_models(get_settings().models_dir)
    if not cards:
        _out.print("no saved models (fit one with `tierwise model fit-clv --as-of ...`)")
        return
    table = Table("name", "version", "kind", "as of", "data", "headline")
    for c in cards:
        key = _HEADLINE.get(c.kind, "")
        value = c.metrics.get(key)
        table.add_row(
            c.name,
            c.version,
            c.kind,
            c.as_of.isoformat(),
            c.data_fingerprint,
            f"{key}={value:.4g}" if value is not None else "",
        )
    _out.print(table)

"""``tierwise model``: fit, save and list the CLV, churn and value models (R-GRD-8).

Commands are thin: they read the orders from the lake, call the model functions and save the
result in the registry under ``$TIERWISE_HOME/models``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import duckdb
import pandas as pd
import pyarrow as pa
import typer
from rich.console import Console
from rich.table import Table

from tierwise.cli.main import app
from tierwise.cli.policy import print_diff
from tierwise.errors import NotFoundError
from tierwise.lake import parquet_glob, require_table, write_parquet_atomic
from tierwise.models.churn import ChurnModel
from tierwise.models.predict import predict_customers
from tierwise.models.proposal import proposed_policy, published_policy, write_policy
from tierwise.models.publish import (
    fit_clv,
    model_card,
    publish_predictions,
    snapshots_for,
    train_and_register,
)
from tierwise.models.registry import ModelCard, list_models, load_model, save_model
from tierwise.models.value import ValueModel
from tierwise.models.weights import RankWeights, proposed_policy_fragment
from tierwise.pipeline.diff import policy_diff
from tierwise.policy import load_policy
from tierwise.settings import get_settings
from tierwise.store.db import make_engine
from tierwise.store.migrate import upgrade

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


def _report(card: ModelCard, params: dict[str, object] | None = None) -> None:
    _out.print(f"saved [bold]{card.name} {card.version}[/] ({card.kind}, as of {card.as_of})")
    if params:
        _out.print("  fitted parameters:")
        for key, value in params.items():
            if isinstance(value, int | float):
                _out.print(f"  {key:28s} {value:,.6g}")
    for key, value in card.metrics.items():
        _out.print(f"  {key:28s} {value:,.4g}")


@model_app.command("fit-clv")
def fit_clv_command(
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
        model, params, metrics = fit_clv(orders, day, con, unit_days)
    card = model_card(name, "clv", day, orders, con, params, metrics)
    # the fitted parameters (r, alpha, a, b of BG/NBD; p, q, v of Gamma-Gamma) with the
    # log-likelihood, so a fit can be compared with the published ones (issue 19 item 7)
    _report(save_model(get_settings().models_dir, model, card), params)


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
    with _out.status(f"building {cuts} snapshots and fitting the churn model"):
        snap, params = snapshots_for(
            orders, day, con, cuts=cuts, every_days=every_days, churn_window_days=window_days
        )
        model = ChurnModel().fit(snap, snap["churned"])
    params["window_days"] = window_days
    card = model_card(name, "churn", day, orders, con, params, model.metrics_)
    _report(save_model(get_settings().models_dir, model, card))


def _fit_weights(
    orders: duckdb.DuckDBPyRelation,
    day: date,
    con: duckdb.DuckDBPyConnection,
    cuts: int,
    every_days: int,
    window_days: int,
) -> tuple[pd.DataFrame, dict[str, Any], RankWeights]:
    snap, params = snapshots_for(
        orders, day, con, cuts=cuts, every_days=every_days, value_window_days=window_days
    )
    params["window_days"] = window_days
    return snap, params, RankWeights().fit(snap, snap["future_spend"])


def _save_weights(
    weights: RankWeights,
    params: dict[str, Any],
    day: date,
    orders: duckdb.DuckDBPyRelation,
    con: duckdb.DuckDBPyConnection,
) -> None:
    w_params = {**params, "weights": weights.weights_}
    card = model_card("weights", "weights", day, orders, con, w_params, weights.metrics_)
    _report(save_model(get_settings().models_dir, weights, card))


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
    with _out.status(f"building {cuts} snapshots and fitting value model and weights"):
        snap, params, weights = _fit_weights(orders, day, con, cuts, every_days, window_days)
        value = ValueModel().fit(snap, snap["future_spend"])
    card = model_card("value", "value", day, orders, con, params, value.metrics_)
    _report(save_model(get_settings().models_dir, value, card))
    _save_weights(weights, params, day, orders, con)
    _out.print("proposed policy score block (`tierwise model weights` writes the whole policy):")
    typer.echo(proposed_policy_fragment(weights.weights_))


@model_app.command("weights")
def weights_command(
    as_of: AsOf,
    out: Annotated[Path, typer.Option(help="Where to write the proposed policy YAML.")],
    policy: Annotated[
        Path | None,
        typer.Option(help="Current policy YAML (default: the published run's policy)."),
    ] = None,
    lake: Lake = None,
    cuts: Cuts = 26,
    every_days: Every = 14,
    window_days: Annotated[int, typer.Option(help="Rank spend over this many days.")] = 90,
    examples: Annotated[int, typer.Option(min=0, max=50, help="Examples per moved cell.")] = 2,
) -> None:
    """Learn policy weights (R-GRD-8) and write them as a proposed policy, with its dry-run.

    The proposal is the current policy with its score replaced by a ``weighted`` score on the
    learned weights (percentile-normalized); the dry-run diff against the published tiers is
    the one `tierwise policy diff` prints. Nothing is published.
    """
    day = as_of.date()
    settings = get_settings()
    engine = make_engine(settings.state_url)
    upgrade(engine)
    current = (
        load_policy(policy) if policy is not None else published_policy(engine, settings.runs_dir)
    )
    con = duckdb.connect()
    orders = _orders(lake, con)
    with _out.status(f"building {cuts} snapshots and learning the weights"):
        _, params, weights = _fit_weights(orders, day, con, cuts, every_days, window_days)
    _save_weights(weights, params, day, orders, con)
    proposal = proposed_policy(current, weights.weights_)
    write_policy(proposal, out, note=f"learned as of {day} ({weights.metrics_})")
    _out.print(f"wrote the proposed policy {proposal.name} to {out}")
    d = policy_diff(
        proposal, lake=lake or settings.lake_dir, engine=engine, as_of=day,
        policy_dir=out.parent, examples=examples,
    )  # fmt: skip
    print_diff(d)


@model_app.command("train")
def train_command(
    as_of: AsOf,
    lake: Lake = None,
    cuts: Cuts = 26,
    every_days: Every = 14,
    churn_threshold: Annotated[float, typer.Option(help="Churn-warning threshold.")] = 0.5,
) -> None:
    """Fit CLV, churn, value and weights, register them, and publish the predictions.

    Predictions go to $TIERWISE_HOME/models/predictions/latest.parquet (for a ``model`` score
    policy) and to the store (customer predictions; the profiles' LTV = the CLV), where the
    API and the console show them.
    """
    day = as_of.date()
    settings = get_settings()
    engine = make_engine(settings.state_url)
    upgrade(engine)
    con = duckdb.connect()
    with _out.status("fitting CLV, churn, value and weights"):
        res = train_and_register(
            _orders(lake, con), day, settings.models_dir, con=con, cuts=cuts,
            every_days=every_days, churn_threshold=churn_threshold,
        )  # fmt: skip
    for card in res.cards.values():
        _report(card)
    for name, why in res.skipped.items():
        _out.print(f"[yellow]{name} not trained[/]: {why}")
    assert res.predictions is not None
    n = publish_predictions(
        engine, settings.models_dir, res.predictions, as_of=day,
        versions={k: c.version for k, c in res.cards.items()}, now=datetime.now(UTC),
    )  # fmt: skip
    _out.print(f"published predictions for {n:,} customers")


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


@model_app.command("warning")
def warning_command(
    as_of: Annotated[
        list[datetime],
        typer.Option("--as-of", formats=["%Y-%m-%d"], help="Past date (repeat for several)."),
    ],
    policy: Annotated[
        Path | None, typer.Option(help="Policy whose tag is judged (default: the default).")
    ] = None,
    rule: Annotated[
        list[str] | None,
        typer.Option(help="Compare another rule: NAME=RULE (repeat for several)."),
    ] = None,
    tag: Annotated[str, typer.Option(help="The tag to judge.")] = "churn_warning",
    horizon_days: Annotated[int, typer.Option(help="Days without an order = churned.")] = 90,
    lake: Lake = None,
) -> None:
    """Judge the churn warning by precision and recall of next-period churn (backtest).

    At each --as-of the tag rule is evaluated from data up to that day; a customer churned
    when they placed no order in the next --horizon-days. The results are kept for the
    console's models page (issue 18 finding 10, docs/models.md).
    """
    from tierwise.models.warning_backtest import warning_backtest, write_results
    from tierwise.policy import DEFAULT_POLICY

    settings = get_settings()
    where = lake if lake is not None else settings.lake_dir
    require_table(where, "orders")
    pol = load_policy(policy or DEFAULT_POLICY)
    rules = None
    if rule:
        own = [t.when for t in pol.tags if t.code == tag]
        rules = {tag: own[0]} if own else {}
        for given in rule:
            name, sep, text = given.partition("=")
            if not sep or not name.strip() or not text.strip():
                raise typer.BadParameter(f"--rule {given!r}: expected NAME=RULE")
            rules[name.strip()] = text.strip()
    dates = sorted(d.date() for d in as_of)
    rows = warning_backtest(where, pol, dates, rules=rules, tag=tag, horizon_days=horizon_days)
    table = Table("as of", "rule", "customers", "churned", "flagged", "share", "precision",
                  "recall", "F1", "spend ratio")  # fmt: skip
    for r in rows:
        table.add_row(
            str(r["as_of"]), r["rule"], f"{r['customers']:,}", f"{r['churned']:,}",
            f"{r['flagged']:,}", f"{r['flagged_share']:.1%}", f"{r['precision']:.3f}",
            f"{r['recall']:.3f}", f"{r['f1']:.3f}", f"{r['spend_ratio']:.2f}",
        )  # fmt: skip
    _out.print(table)
    path = write_results(settings.models_dir, pol.name, rows)
    _out.print(f"kept for the console's models page: {path}")

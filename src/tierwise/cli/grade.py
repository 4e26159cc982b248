"""``tierwise grade``, ``tierwise explain``, ``tierwise features``: the grading commands."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from tierwise.cli.main import app
from tierwise.errors import NotFoundError, UsageError
from tierwise.policy import DEFAULT_POLICY

if TYPE_CHECKING:
    from tierwise.grading.run import RunResult
    from tierwise.policy import Policy

# The libraries of grading (Ibis, DuckDB, PyArrow, SQLAlchemy, the policy engine) are imported
# inside the commands that use them: `tierwise grade --help` and `tierwise explain --help`
# load Typer and Rich only (issue 19 item 7; tests/cli/test_start.py checks it).

_out = Console(highlight=False)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--as-of {text!r} is not a date", hint="use YYYY-MM-DD") from None


@app.command("grade")
def grade_command(
    as_of: Annotated[
        str, typer.Option("--as-of", help="Grade with data up to this day (YYYY-MM-DD).")
    ],
    policy: Annotated[Path, typer.Option(help="Policy YAML file.")] = DEFAULT_POLICY,
    lake: Annotated[
        str | None,
        typer.Option(
            help="Lake folder or URL (hdfs://, s3a://; Spark only) (default $TIERWISE_HOME/lake)."
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Runs folder (default $TIERWISE_HOME/runs).")
    ] = None,
    lang: Annotated[str, typer.Option(help="zh or en labels.")] = "zh",
    engine: Annotated[
        str | None,
        typer.Option(help="duckdb or spark (default $TIERWISE_ENGINE, else duckdb)."),
    ] = None,
    spark_master: Annotated[
        str | None,
        typer.Option(
            "--spark-master",
            help="local[N], spark://host:7077 or sc://host:15002 (default $TIERWISE_SPARK_MASTER).",
        ),
    ] = None,
    publish: Annotated[
        bool,
        typer.Option(
            "--publish",
            help="Also publish the run to the operational store: stability rules, current "
            "tiers, history, webhooks (one transaction).",
        ),
    ] = False,
) -> None:
    """Grade every customer: features → scores → tiers → layers → tags → explanations."""
    # publishing pulls in the store, the operations modules and their statistics (about
    # 8 s of imports on the 2-core machine): imported only with --publish (issue 28)
    from tierwise.engines import open_backend
    from tierwise.grading import layout
    from tierwise.grading.run import run_grading
    from tierwise.lake import as_lake
    from tierwise.policy import load_policy
    from tierwise.settings import get_settings

    settings = get_settings()
    pol = load_policy(policy)
    where = as_lake(lake) if lake else settings.lake_dir
    with _out.status(f"starting {engine or settings.engine} ..."):
        con = open_backend(
            engine or settings.engine,
            spark_master=spark_master or settings.spark_master,
            memory_limit=settings.memory_limit,
            temp_dir=settings.spill_dir,
        )
    with _out.status(f"grading with {pol.name} as of {as_of} ..."):
        if publish:
            from tierwise.pipeline.publish import grade_and_publish
            from tierwise.store.db import make_engine
            from tierwise.store.migrate import upgrade

            store = make_engine(settings.state_url)
            upgrade(store)
            if settings.credit_on_publish:  # credit terms follow the tiers (docs/credit.md)
                from tierwise.ops.credit.policy import load_credit_policy
                from tierwise.ops.credit.state import install

                install(load_credit_policy(settings.credit_policy))
            published = grade_and_publish(
                pol,
                as_of=_date(as_of),
                lake=where,
                runs=out or layout.runs_dir(settings.home),
                engine=store,
                policy_dir=policy.parent,
                con=con,
            )
            result = published.result
        else:
            result = run_grading(
                pol,
                as_of=_date(as_of),
                lake=where,
                runs=out or layout.runs_dir(settings.home),
                now=dt.datetime.now(dt.UTC),
                policy_dir=policy.parent,
                con=con,
            )
    print_tier_mix(_out, result, pol, lang, as_of)
    if publish and published.summary.held:  # policy review: waits for its spot check
        proposed = published.summary.changes
        _out.print(
            f"run {result.run_id} is awaiting review (its policy has review:): proposes "
            + (", ".join(f"{k} {v:,}" for k, v in sorted(proposed.items())) or "no change")
            + f"; nothing is published until released: tierwise runs review {result.run_id}"
        )
    elif publish:
        changes = published.summary.changes
        _out.print(
            f"published run {result.run_id}: {published.summary.customers:,} customers, changes "
            + (", ".join(f"{k} {v:,}" for k, v in sorted(changes.items())) or "none")
        )


def print_tier_mix(console: Console, result: RunResult, pol: Policy, lang: str, as_of: str) -> None:
    """The tier mix of a finished run as a Rich table, then tags and timing."""
    from rich.table import Table

    c = result.counts
    table = Table(title=f"{pol.name} · as of {as_of} · run {result.run_id}")
    for col in ("tier", "label", "customers", "share", "min score"):
        table.add_column(col, justify="left" if col in ("tier", "label") else "right")
    graded = max(c["graded"], 1)
    for cut in result.cutoffs:
        lv = pol.tiers.levels[cut.tier_rank]
        label = lv.label.text(lang)
        ms = "" if cut.min_score is None else f"{cut.min_score:g}"
        table.add_row(cut.tier, label, f"{cut.count:,}", f"{cut.count / graded:.1%}", ms)
    table.add_row(
        "—",
        "数据不足" if lang == "zh" else "insufficient data",
        f"{c['insufficient_data']:,}",
        "",
        "",
    )
    console.print(table)
    if c["tags"]:
        console.print("tags: " + ", ".join(f"{k} {v:,}" for k, v in c["tags"].items()))
    for w in c.get("share_warnings", []):
        console.print(
            f"[yellow]warning:[/] {w['tier']} holds {w['actual']:.1%} of graded customers "
            f"(target {w['target']:.1%}): tied scores share a tier; a finer score (rfm_quantile, "
            "weighted, larger RFM steps) separates them"
        )
    t = result.timings
    console.print(f"{c['entities']:,} entities in {t['total_s']:.2f} s → {result.path}")


def _run_dir(run: str | None) -> Path:
    from tierwise.grading import layout
    from tierwise.settings import get_settings

    runs = layout.runs_dir(get_settings().home)
    if run is None:
        d = layout.latest_run(runs)
        if d is None:
            raise NotFoundError(
                f"no grading run in {runs}", hint="run `tierwise grade --as-of DATE` first"
            )
        return d
    from tierwise.grading.handoff import is_run

    d = Path(run) if Path(run).is_dir() else runs / run
    if not is_run(d):
        raise NotFoundError(f"run {run!r} not found in {runs}")
    return d


def _row(t: Any) -> dict[str, Any] | None:
    return t.to_pylist()[0] if t.num_rows else None


@app.command("explain")
def explain_command(
    customer_id: Annotated[str, typer.Argument(help="Customer (or account) id.")],
    run: Annotated[str | None, typer.Option(help="Run id or folder (default: latest).")] = None,
    lang: Annotated[str, typer.Option(help="zh (default) or en.")] = "zh",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the reason codes as JSON.")
    ] = False,
) -> None:
    """Why a customer has their tier, what each feature contributed, how to move up."""
    from tierwise.explain import explain, render
    from tierwise.grading.handoff import read_run
    from tierwise.policy.schema import Label

    if lang not in ("zh", "en"):
        raise UsageError(f"--lang {lang!r} is not supported", hint="use zh or en")
    d = _run_dir(run)
    out = read_run(d)
    record, pol, cutoffs = out.record, out.policy, out.cutoffs
    a = _row(out.assignments(entity_id=customer_id))
    if a is None:
        raise NotFoundError(f"{customer_id!r} is not in run {record['run_id']}")
    f = _row(out.features(entity_id=customer_id)) or {}
    reasons = explain(a, f, pol, cutoffs)
    if as_json:
        typer.echo(
            json.dumps(
                [{"code": r.code, "params": r.params} for r in reasons],
                ensure_ascii=False,
                default=str,
            )
        )
        return
    tier = a.get("tier") or ("数据不足" if lang == "zh" else "insufficient data")
    _out.print(f"[bold]{customer_id}[/] · {pol.name} · as of {record['as_of']} · {tier}")
    for r in reasons:
        _out.print(f"  [dim]{r.code:<20}[/] {render(r, pol, lang)}")
    missing = record.get("unavailable_features") or {}
    if missing:  # features the book lacks inputs for (issue 19): not part of this grade
        head = "本数据无法计算的特征（缺少输入）" if lang == "zh" else "not computed for this book"
        _out.print(
            f"  [dim]{head}:[/] " + "; ".join(f"{k} ({', '.join(v)})" for k, v in missing.items()),
            soft_wrap=True,
        )
    if a.get("tier") and pol.benefits.get(a["tier"]):
        shown = {  # a {zh, en} text in the chosen language, other values as written
            k: v.text(lang) if isinstance(v, Label) else v
            for k, v in pol.benefits[a["tier"]].items()
        }
        _out.print("  benefits: " + json.dumps(shown, ensure_ascii=False))


@app.command("features")
def features_command(
    as_of: Annotated[str, typer.Option("--as-of", help="Compute with data up to this day.")],
    lake: Annotated[
        Path | None, typer.Option(help="Lake folder (default $TIERWISE_HOME/lake).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Write the feature table to this Parquet file.")
    ] = None,
    entity: Annotated[str, typer.Option(help="outlet or account.")] = "outlet",
    lookback_days: Annotated[int, typer.Option(help="Lookback window in days.")] = 365,
    show: Annotated[str | None, typer.Option(help="Print the features of this entity id.")] = None,
) -> None:
    """Compute every feature of the catalog for every customer as of a date."""
    import pyarrow.compute as pc

    from tierwise.features.build import build_features
    from tierwise.features.sources import all_tables, connect, open_lake
    from tierwise.lake import write_parquet_atomic
    from tierwise.settings import get_settings

    if entity not in ("outlet", "account"):
        raise UsageError(f"--entity {entity!r}", hint="use outlet or account")
    con = connect()
    tables = open_lake(con, lake or get_settings().lake_dir, all_tables())
    expr = build_features(tables, _date(as_of), lookback_days=lookback_days, entity=entity)  # type: ignore[arg-type]
    data = con.to_pyarrow(expr)
    if out is not None:
        write_parquet_atomic(data, out)
    _out.print(
        f"{data.num_rows:,} {entity}s × {data.num_columns - 1} features as of {as_of}"
        + (f" → {out}" if out else "")
    )
    if show is not None:
        rows = data.filter(pc.equal(data["entity_id"], show)).to_pylist()
        if not rows:
            raise NotFoundError(f"{show!r} has no row as of {as_of}")
        for k, v in rows[0].items():
            _out.print(f"  {k:<24} {v}")

"""``tierwise recommend``: product recommendations (R-OPS-7, docs/recommendations.md).

``evaluate`` backtests both lists and records the ship decision; ``build`` computes and stores
both lists for every customer; ``show`` prints one customer's stored lists.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tierwise.cli.main import app
from tierwise.recommend.policy import load_recommend_policy
from tierwise.recommend.service import build_and_store, evaluate_lake, lists_or_404
from tierwise.settings import get_settings
from tierwise.store.db import make_engine
from tierwise.store.migrate import upgrade

rec_app = typer.Typer(
    help="Product recommendations (R-OPS-7): buy again and new to you.", no_args_is_help=True
)
app.add_typer(rec_app, name="recommend")
_out = Console(highlight=False)

LakeOpt = Annotated[Path | None, typer.Option(help="Lake folder (default: $TIERWISE_HOME/lake).")]
PolicyOpt = Annotated[
    Path | None,
    typer.Option(help="Recommend policy YAML (default policies/operations/recommend.yaml)."),
]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _day(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not a date (YYYY-MM-DD)", param_hint=option
        ) from None


@rec_app.command("evaluate")
def evaluate_command(
    cutoff: Annotated[str, typer.Option(help="Train up to this day (YYYY-MM-DD).")],
    horizon_days: Annotated[
        int, typer.Option(min=0, max=365, help="Target window after the cutoff; 0 = next order.")
    ] = 0,
    lake: LakeOpt = None,
    policy: PolicyOpt = None,
) -> None:
    """Backtest both lists (recall@k, NDCG@k; repeat and new items; per tier) and decide
    whether the CF list ships for new items."""
    s = get_settings()
    engine = make_engine(s.state_url)
    upgrade(engine)
    pol = load_recommend_policy(policy)
    with _out.status("backtest …") as status:
        bt, decision = evaluate_lake(
            lake or s.lake_dir,
            engine,
            s.home,
            cutoff=_day(cutoff, "--cutoff"),
            horizon_days=horizon_days,
            policy=pol,
            progress=lambda m: status.update(f"backtest: {m}"),
        )
    t = Table(title=f"cutoff {bt.cutoff}, horizon {bt.horizon_days or 'next order'}, k={bt.k}")
    for c in ("list", "model", "tier", "evaluated", f"recall@{bt.k}", f"NDCG@{bt.k}"):
        t.add_column(c)
    for r in bt.table.sort_values(["list", "tier", "ndcg"], ascending=[True, True, False]).to_dict(
        orient="records"
    ):
        t.add_row(
            str(r["list"]),
            str(r["model"]),
            str(r["tier"]),
            str(r["evaluated"]),
            f"{r['recall']:.4f}",
            f"{r['ndcg']:.4f}",
        )
    _out.print(t)
    verdict = "ships" if decision.cf_ships else "does not ship"
    _out.print(f"new items: {decision.model} ({verdict}: {decision.reason})")


@rec_app.command("build")
def build_command(
    as_of: Annotated[str, typer.Option(help="Score the lists as of this day (YYYY-MM-DD).")],
    lake: LakeOpt = None,
    policy: PolicyOpt = None,
) -> None:
    """Compute and store both lists for every customer (tiers from the published state)."""
    s = get_settings()
    engine = make_engine(s.state_url)
    upgrade(engine)
    with _out.status("building recommendations …"):
        n, model = build_and_store(
            lake or s.lake_dir,
            engine,
            s.home,
            as_of=_day(as_of, "--as-of"),
            policy=load_recommend_policy(policy),
            now=_now(),
        )
    _out.print(f"{n} customers, new items by {model}")


@rec_app.command("show")
def show_command(
    customer_id: Annotated[str, typer.Argument(help="Customer id, e.g. C0000042.")],
    lang: Annotated[str, typer.Option(help="zh or en.")] = "zh",
) -> None:
    """One customer's stored lists with the reason of each item."""
    s = get_settings()
    engine = make_engine(s.state_url)
    upgrade(engine)
    row = lists_or_404(engine, customer_id)
    key = "en" if lang == "en" else "zh"
    head = "cold start" if row["cold_start"] else row["model"]
    _out.print(f"{customer_id} · {row['as_of']} · {head} · {row['source']}")
    for title, items in (
        ("常购清单 buy again", row["buy_again"]),
        ("猜你喜欢 new", row["new_items"]),
    ):
        _out.print(f"[bold]{title}[/bold]")
        for it in items:
            _out.print(f"  {it['sku']} {it['name']}  {it['reason'][key]}")
        if not items:
            _out.print("  —")

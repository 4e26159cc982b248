"""``tierwise analyze``: per-tier metrics (R-ANA-6) and the effect of tier changes (R-ANA-4)
of a published run, as tables."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from tierwise.analytics import texts
from tierwise.analytics.effect import MIN_GROUP, Effect, EffectRow
from tierwise.analytics.metrics import TierMetrics
from tierwise.analytics.service import run_effect, run_metrics
from tierwise.analytics.source import RunInfo, latest_run_id, require_days
from tierwise.cli.main import app
from tierwise.errors import UsageError
from tierwise.settings import get_settings
from tierwise.store.db import make_engine
from tierwise.store.migrate import upgrade

analyze_app = typer.Typer(
    help="Evaluate a published run: metrics per tier, effect of tier changes.",
    no_args_is_help=True,
)
app.add_typer(analyze_app, name="analyze")
_out = Console(highlight=False, width=160)

RunOpt = Annotated[
    str | None, typer.Option("--run", help="A published run id (default: the latest).")
]
LakeOpt = Annotated[Path | None, typer.Option(help="Lake folder (default: $TIERWISE_HOME/lake).")]
LangOpt = Annotated[str, typer.Option("--lang", help="zh (default) or en.")]


def check_lang(lang: str) -> str:
    if lang not in texts.LANGS:
        raise UsageError(f"--lang must be one of {', '.join(texts.LANGS)}, got {lang!r}")
    return lang


def _engine() -> Engine:
    engine = make_engine(get_settings().state_url)
    upgrade(engine)
    return engine


def metrics_table(run: RunInfo, rows: list[TierMetrics], lang: str) -> Table:
    t = texts.translator(lang)
    table = Table(
        title=f"{t('title_metrics')} · {run.run_id} · {t('as_of')} {run.as_of} · "
        f"{t('lookback')} {run.lookback_days} {t('days')}"
    )
    for key in ("tier", "customers", "share", "repurchase_rate", "avg_order_value", "arpu"):
        table.add_column(t(key), justify="left" if key == "tier" else "right")
    table.add_column(t("return_rate"), justify="right")
    table.add_column(t("complaint_rate"), justify="right")
    for r in rows:
        table.add_row(
            texts.tier_text(r.tier, run.labels, lang),
            f"{r.customers:,}",
            texts.pct(r.share),
            texts.pct(r.repurchase_rate),
            texts.money(r.avg_order_value),
            texts.money(r.arpu),
            texts.pct(r.return_rate),
            texts.pct(r.complaint_rate),
        )
    return table


@analyze_app.command("metrics")
def metrics_command(run: RunOpt = None, lake: LakeOpt = None, lang: LangOpt = "zh") -> None:
    """Customers, share, repurchase rate, average order value, spend per customer, return
    and complaint rates per tier, over the run's lookback window (docs/analytics.md)."""
    check_lang(lang)
    s, engine = get_settings(), _engine()
    m = run_metrics(engine, lake or s.lake_dir, run or latest_run_id(engine), runs_dir=s.runs_dir)
    _out.print(metrics_table(m.run, m.tiers, lang))
    _out.print(texts.translator(lang)("not_yet"))


def _group(r: EffectRow, run: RunInfo, lang: str) -> str:
    t = texts.translator(lang)
    if r.from_tier is None and r.to_tier is None:
        return t(f"k_{r.kind}")
    a, b = (texts.tier_text(x, run.labels, lang) for x in (r.from_tier, r.to_tier))
    return t("from_to").format(a=a, b=b)


def effect_table(run: RunInfo, e: Effect, lang: str) -> Table:
    t = texts.translator(lang)
    table = Table(
        title=f"{t('title_effect')} · {run.run_id} · {t('window_before')} {e.before_start}"
        f"…{e.as_of} · {t('window_after')} {e.as_of + dt.timedelta(days=1)}…{e.after_end}"
    )
    for key in ("group",):
        table.add_column(t(key))
    table.add_column(f"{t('changed')} / {t('control')}", justify="right")
    table.add_column(f"{t('spend_per_customer')} {t('before')} → {t('after')}", justify="right")
    table.add_column(t("did_spend"), justify="right")
    table.add_column(f"{t('repurchase_rate')} {t('before')} → {t('after')}", justify="right")
    table.add_column(t("did_repurchase"), justify="right")
    table.add_column("")
    for section, rows in (("kind", e.by_kind), ("transition", e.by_transition)):
        if rows and section == "transition":
            table.add_section()
        for r in rows:
            note = t("small") if r.small else ""
            if r.control.customers == 0:
                note = t("no_control")
            table.add_row(
                _group(r, run, lang),
                f"{r.treated.customers:,} / {r.control.customers:,}",
                f"{texts.money(r.treated.spend_before)} → {texts.money(r.treated.spend_after)}",
                texts.signed(r.did_spend),
                f"{texts.pct(r.treated.repurchase_before)} → "
                f"{texts.pct(r.treated.repurchase_after)}",
                texts.signed(r.did_repurchase, percent=True),
                note,
            )
    return table


def effect_notes(e: Effect, lang: str) -> list[str]:
    t = texts.translator(lang)
    notes = []
    if not e.complete:
        notes.append(
            t("incomplete").format(data_end=e.data_end, covered=e.days_covered, days=e.days)
            + (" " + t("incomplete_hint").format(covered=e.days_covered) if e.days_covered else "")
        )
    if not e.by_transition:
        notes.append(t("no_changes"))
    if e.not_compared:
        items = ", ".join(f"{t('k_' + k)} {n}" for k, n in sorted(e.not_compared.items()))
        notes.append(t("not_compared").format(items=items))
    notes.append(t("small_note").format(n=e.min_group))
    notes.append(t("did_note"))
    return notes


@analyze_app.command("effect")
def effect_command(
    run: RunOpt = None,
    days: Annotated[int, typer.Option(help="Days before and after the run's as_of.")] = 30,
    min_group: Annotated[
        int, typer.Option(help="Groups smaller than this are flagged as too small.")
    ] = MIN_GROUP,
    lake: LakeOpt = None,
    lang: LangOpt = "zh",
) -> None:
    """Spend and repurchase rate in the N days before and after a run's as_of: customers whose
    tier it changed against those of the same starting tier it did not change
    (difference-in-differences, per change kind and per from → to tier)."""
    check_lang(lang)
    require_days(days)
    if min_group < 1:
        raise UsageError(f"--min-group must be at least 1, got {min_group}", value=min_group)
    s, engine = get_settings(), _engine()
    info, e = run_effect(
        engine,
        lake or s.lake_dir,
        run or latest_run_id(engine),
        days,
        runs_dir=s.runs_dir,
        min_group=min_group,
    )
    _out.print(effect_table(info, e, lang))
    for line in effect_notes(e, lang):
        _out.print(line)

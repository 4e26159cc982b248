"""The periodic analysis report (R-ANA-8): one self-contained HTML file per run and language.

Tier distribution, migration from the previous run, the per-tier metrics (R-ANA-6) and the
effect of the run's tier changes (R-ANA-4). The file has no external asset (styles inline,
bars drawn with CSS), so it can be mailed or archived as it is. The same sections are shown
by the console's analysis page (:func:`render_sections`).
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy import Engine

from tierwise.analytics import texts
from tierwise.analytics.effect import Effect, EffectRow
from tierwise.analytics.metrics import TierMetrics
from tierwise.analytics.service import run_effect, run_metrics
from tierwise.analytics.source import RunInfo, previous_run
from tierwise.errors import UsageError
from tierwise.lake import LakeLocation

HERE = Path(__file__).parent / "templates"
ENV = Environment(loader=FileSystemLoader(HERE), autoescape=select_autoescape(["html"]))
CSS = (HERE / "sections.css").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Analysis:
    """Everything the sections show for one run."""

    run: RunInfo
    metrics: list[TierMetrics]
    effect: Effect | None
    #: why there is no effect table (e.g. the first run), in the caller's words
    effect_missing: str | None
    previous: RunInfo | None
    #: (from, to, customers) cells between the previous run and this one (None: not shown)
    migration: list[dict[str, Any]] | None
    #: while this run's after window is still open: the effect of the previous run's changes
    earlier: Effect | None = None


def _metric_rows(a: Analysis, lang: str) -> list[dict[str, Any]]:
    top = max((m.share for m in a.metrics), default=0.0) or 1.0
    return [
        {
            "code": m.tier or "",
            "tier": texts.tier_text(m.tier, a.run.labels, lang),
            "customers": f"{m.customers:,}",
            "share": texts.pct(m.share),
            "bar": round(100 * m.share / top, 1),
            "repurchase_rate": texts.pct(m.repurchase_rate),
            "avg_order_value": texts.money(m.avg_order_value),
            "arpu": texts.money(m.arpu),
            "return_rate": texts.pct(m.return_rate),
            "complaint_rate": texts.pct(m.complaint_rate),
        }
        for m in a.metrics
    ]


def _migration(a: Analysis, lang: str) -> dict[str, Any] | None:
    if a.migration is None or a.previous is None:
        return None
    ranks = a.run.ranks

    def order(t: str | None) -> tuple[int, str]:
        return (ranks.get(t or "", len(ranks) + (1 if t is None else 0)), str(t))

    froms = sorted({c["from_tier"] for c in a.migration}, key=order)
    tos = sorted({c["to_tier"] for c in a.migration}, key=order)
    n = {(c["from_tier"], c["to_tier"]): c["customers"] for c in a.migration}
    return {
        "cols": [texts.tier_text(t, a.run.labels, lang) for t in tos],
        "rows": [
            {
                "label": texts.tier_text(f, a.run.labels, lang),
                "cells": [f"{n.get((f, t), 0):,}" for t in tos],
                "diag": tos.index(f) if f in tos else -1,
            }
            for f in froms
        ],
    }


def _effect_row(r: EffectRow, run: RunInfo, lang: str) -> dict[str, Any]:
    t = texts.translator(lang)
    pooled = r.from_tier is None and r.to_tier is None
    if pooled:
        group = t(f"k_{r.kind}")
    else:
        a, b = (texts.tier_text(x, run.labels, lang) for x in (r.from_tier, r.to_tier))
        group = t("from_to").format(a=a, b=b)
    note = t("no_control") if r.control.customers == 0 else t("small") if r.small else ""
    m, p = texts.money, texts.pct
    return {
        "pooled": pooled,
        "small": r.small,
        "group": group,
        "treated_n": f"{r.treated.customers:,}",
        "control_n": f"{r.control.customers:,}",
        "spend": f"{m(r.treated.spend_before)} → {m(r.treated.spend_after)}",
        "control_spend": f"{m(r.control.spend_before)} → {m(r.control.spend_after)}",
        "did_spend": texts.signed(r.did_spend),
        "repurchase": f"{p(r.treated.repurchase_before)} → {p(r.treated.repurchase_after)}",
        "control_repurchase": f"{p(r.control.repurchase_before)} → {p(r.control.repurchase_after)}",
        "did_repurchase": texts.signed(r.did_repurchase, percent=True),
        "note": note,
    }


def effect_warnings(e: Effect, lang: str) -> list[str]:
    """What limits the effect table: an after window not complete yet, no changes at all."""
    t = texts.translator(lang)
    warnings = []
    if not e.complete:
        warnings.append(
            t("incomplete").format(data_end=e.data_end, covered=e.days_covered, days=e.days)
            + (" " + t("incomplete_hint").format(covered=e.days_covered) if e.days_covered else "")
        )
    if not e.by_transition:
        warnings.append(t("no_changes"))
    return warnings


def effect_notes(e: Effect, lang: str) -> list[str]:
    """How to read the effect table: who was not compared, small groups, the formula."""
    t = texts.translator(lang)
    notes = []
    if e.not_compared:
        items = ", ".join(f"{t('k_' + k)} {n:,}" for k, n in sorted(e.not_compared.items()))
        notes.append(t("not_compared").format(items=items))
    return [*notes, t("small_note").format(n=e.min_group), t("did_note")]


def _effect(a: Analysis, lang: str, e: Effect | None) -> dict[str, Any] | None:
    if e is None:
        return None
    warnings, notes = effect_warnings(e, lang), effect_notes(e, lang)
    rows = []
    for kind in e.by_kind:
        rows.append(_effect_row(kind, a.run, lang))
        rows += [_effect_row(r, a.run, lang) for r in e.by_transition if r.kind == kind.kind]
    return {
        "before": f"{e.before_start} … {e.as_of}",
        "after": f"{e.as_of + dt.timedelta(days=1)} … {e.after_end}",
        "warnings": warnings,
        "notes": notes,
        "rows": rows,
    }


def render_sections(a: Analysis, lang: str, *, distribution: bool = True) -> Markup:
    """The HTML of the analysis sections (escaped; safe to insert in a page)."""
    html = ENV.get_template("_sections.html").render(
        t=texts.translator(lang),
        lang=lang,
        distribution=distribution,
        metrics=_metric_rows(a, lang),
        total=f"{sum(m.customers for m in a.metrics):,}",
        as_of=a.run.as_of.isoformat(),
        lookback=a.run.lookback_days,
        previous=a.previous.name(lang) if a.previous else "",
        migration=_migration(a, lang) if a.migration is not None else None,
        effect=_effect(a, lang, a.effect),
        effect_missing=a.effect_missing or "",
        earlier=_effect(a, lang, a.earlier),
        earlier_title=texts.translator(lang)("title_effect_previous").format(
            as_of=a.previous.as_of if a.previous else ""
        ),
    )
    return Markup(html)  # rendered by an autoescaping environment


def render_report(
    a: Analysis, lang: str, generated: dt.datetime, extra: Markup | None = None
) -> str:
    """The whole self-contained report page; ``extra``: further sections (experiments)."""
    return ENV.get_template("report.html").render(
        t=texts.translator(lang),
        lang=lang,
        css=Markup(CSS),  # our own stylesheet, not user input
        run_id=a.run.run_id,
        policy=a.run.title.get(lang) or a.run.policy_name,
        as_of=a.run.as_of.isoformat(),
        generated=generated.strftime("%Y-%m-%d %H:%M"),
        sections=render_sections(a, lang),
        extra=extra or Markup(""),
    )


def analyze_run(
    engine: Engine,
    lake: LakeLocation,
    run_id: str,
    *,
    days: int = 30,
    runs_dir: Path | None = None,
    lang: str = "zh",
    allowed: Any = None,
    with_migration: bool = True,
) -> Analysis:
    """Compute the sections of ``run_id``: metrics, and the effect unless the run is the
    first one (then ``effect_missing`` says so)."""
    from tierwise.api.repos.analytics import AnalyticsRepo

    m = run_metrics(engine, lake, run_id, runs_dir=runs_dir, allowed=allowed)
    prev = previous_run(engine, m.run, runs_dir)
    effect: Effect | None = None
    missing: str | None = None
    if prev is None:
        missing = texts.translator(lang)("no_previous")
    else:
        try:
            _info, effect = run_effect(
                engine, lake, run_id, days, runs_dir=runs_dir, allowed=allowed
            )
        except UsageError as err:
            missing = err.message
    earlier: Effect | None = None
    still_open = effect is not None and not effect.complete
    if still_open and prev is not None and previous_run(engine, prev) is not None:
        _info, earlier = run_effect(
            engine, lake, prev.run_id, days, runs_dir=runs_dir, allowed=allowed
        )
    migration = None
    if with_migration:
        migration = [] if prev is None else AnalyticsRepo(engine).migration(prev.run_id, run_id)
    return Analysis(m.run, m.tiers, effect, missing, prev, migration, earlier)


def write_report(html: str, out: Path) -> Path:
    """Write the report atomically (temp file + rename: a reader never sees half a file)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(html)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a report is for sharing
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out


def default_report_path(home: Path, run_id: str, lang: str) -> Path:
    """``$TIERWISE_HOME/reports/<run_id>.<lang>.html``."""
    return home / "reports" / f"{run_id}.{lang}.html"


def write_run_report(
    engine: Engine,
    lake: LakeLocation,
    run_id: str,
    *,
    home: Path,
    lang: str = "zh",
    days: int = 30,
    now: dt.datetime,
    out: Path | None = None,
    extra_sections: Callable[[dt.date], Markup] | None = None,
) -> Path:
    """Compute and write the report of ``run_id`` (the CLI's and the scheduler's path).

    ``extra_sections(as_of)`` adds sections from modules above analytics (the experiments'
    results as of the run's day, :func:`tierwise.experiments.report.report_section`)."""
    analysis = analyze_run(engine, lake, run_id, days=days, runs_dir=home / "runs", lang=lang)
    extra = extra_sections(analysis.run.as_of) if extra_sections else None
    return write_report(
        render_report(analysis, lang, now, extra), out or default_report_path(home, run_id, lang)
    )

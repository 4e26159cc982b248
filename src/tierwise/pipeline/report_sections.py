"""The sections the periodic report adds from the modules above analytics: the experiments'
results (R-ANA-5) and the benefits' use and cost per month × benefit × tier (R-OPS-2), each as
of the reported run's day. One composition for ``tierwise report`` and the scheduler."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from markupsafe import Markup
from sqlalchemy import Engine

from tierwise.analytics.source import load_run
from tierwise.experiments.report import experiment_sections
from tierwise.lake import LakeLocation
from tierwise.ops.benefits.report import benefit_sections


def report_sections(
    engine: Engine, lake: LakeLocation, run_id: str, runs_dir: Path | None, lang: str
) -> Callable[[dt.date], Markup]:
    """The report's ``extra_sections`` hook for ``run_id`` (its tier labels name the tiers)."""
    experiments = experiment_sections(engine, lake, lang)
    benefits = benefit_sections(engine, lang, load_run(engine, run_id, runs_dir).labels)
    return lambda as_of: Markup(experiments(as_of) + benefits(as_of))

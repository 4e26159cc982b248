"""``--audience NAME [--audience-version N]`` of the commands that target a saved audience
(survey waves, visit plans; issue 20): read its members as of the day through
:mod:`tierwise.tags.targets` (the one reader), then log the use and say where the list came
from, with a warning when it matches nobody."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from sqlalchemy import Engine

from tierwise.settings import get_settings
from tierwise.tags.targets import (
    AudienceRef,
    AudienceSource,
    empty_warning,
    read_audience,
    record_use,
)

if TYPE_CHECKING:
    from tierwise.tags.service import Members

AudienceOpt = Annotated[
    str | None,
    typer.Option("--audience", help="A saved audience: only its members as of the day."),
]
AudienceVersionOpt = Annotated[
    int | None,
    typer.Option("--audience-version", min=1, help="The audience's version (default: newest)."),
]


def read_target(
    engine: Engine, name: str | None, version: int | None, day: dt.date, used_by: str
) -> Members | None:
    """The members of audience ``name`` as of ``day`` (None when no audience is named)."""
    if name is None:
        if version is not None:
            raise typer.BadParameter("--audience-version needs --audience")
        return None
    s = get_settings()
    ref = AudienceRef(name, version)
    return read_audience(engine, AudienceSource(s.home, s.runs_dir), ref, day, used_by=used_by)


def report_target(
    out: Console,
    engine: Engine,
    members: Members | None,
    *,
    target: str,
    used_by: str,
    actor: str,
    now: dt.datetime,
) -> None:
    """Log the use of ``members`` and print its source (and the warning when empty)."""
    if members is None:
        return
    record_use(engine, members, target=target, actor=actor, now=now)
    src = members.source
    out.print(
        f"audience {src['audience']} version {src['version']} as of {src['as_of']}: "
        f"{src['members']} members (tag snapshot {src['snapshot_as_of']}, run {src['run_id']})"
    )
    warning = empty_warning(members, used_by)
    if warning:
        out.print(f"warning: {warning}")

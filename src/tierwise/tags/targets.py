"""One reader of a saved audience's members for every module that targets one (issue 20).

Experiments (``population.audience``), NPS survey waves and visit plans name a saved
audience (its name and, optionally, a version: default its newest) and read its members as
of a date through :func:`read_audience`: the tag snapshot with the latest as_of on or before
that date and the published run in force then (:func:`tierwise.tags.service.audience_members`),
so the same name, version and date give the same list. :func:`record_use` logs the list in
``audience_deliveries`` with what it was used for (``survey:<wave>``, ``visit:<day>``), so a
wave or a plan names the audience version, snapshot and run its members came from.

An audience that matches nobody is allowed; :func:`empty_warning` is the one line every user
shows (a module that cannot run without members, like an experiment, refuses instead).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from tierwise.errors import UsageError

if TYPE_CHECKING:  # the service loads DuckDB and Ibis: only when a list is read
    from tierwise.tags.service import Members


@dataclass(frozen=True)
class AudienceSource:
    """Where an audience's members are read: the tag snapshots (``home``) and the runs."""

    home: Path
    runs_dir: Path


@dataclass(frozen=True)
class AudienceRef:
    """A saved audience a module targets: its name and version (``None``: the newest)."""

    name: str
    version: int | None = None


def read_audience(
    engine: Engine,
    source: AudienceSource | None,
    ref: AudienceRef,
    on: dt.date | None = None,
    *,
    used_by: str,
) -> Members:
    """The members of ``ref`` as of ``on`` (the latest snapshot: ``None``).

    Raises
    ------
    UsageError
        When no ``source`` was given to read the snapshots from.
    NotFoundError
        When the audience (or version) does not exist, or there is no tag snapshot on or
        before ``on`` (the message says how to compute one).
    """
    if source is None:
        raise UsageError(
            f"{used_by} targets audience {ref.name!r}, but no tag snapshots were given to "
            "read it from"
        )
    from tierwise.tags.service import audience_members

    return audience_members(engine, source.home, source.runs_dir, ref.name, on, version=ref.version)


def empty_warning(m: Members, used_by: str) -> str | None:
    """The line to show when ``m`` matches nobody (``None`` when it has members)."""
    if not m.empty:
        return None
    return (
        f"audience {m.audience['name']!r} (version {m.audience['version']}) matches nobody as "
        f"of {m.on} (tag snapshot {m.frame.snapshot.as_of}): {used_by} reaches no one from it"
    )


def record_use(engine: Engine, m: Members, *, target: str, actor: str, now: dt.datetime) -> None:
    """Log that ``m`` was used for ``target`` (``survey:<wave id>``, ``visit:<day>``)."""
    from tierwise.tags.service import record_delivery

    record_delivery(
        engine, m.audience, m.frame, m.on, int(m.table.num_rows),
        target=target, actor=actor, now=now,
    )  # fmt: skip

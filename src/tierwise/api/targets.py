"""A saved audience as the operations routes and console forms use it (issue 20): read its
members as of the operation's day (:mod:`tierwise.tags.targets`, the one reader), then log
the use and report its source, with a warning when it matches nobody."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from tierwise.api.access import Principal
from tierwise.api.deps import AppContext
from tierwise.api.schemas.targets import AudienceUsed, TargetIn, audience_used
from tierwise.tags.targets import (
    AudienceRef,
    AudienceSource,
    empty_warning,
    read_audience,
    record_use,
)

if TYPE_CHECKING:
    from tierwise.tags.service import Members


def read_target(ctx: AppContext, target: TargetIn, day: dt.date, used_by: str) -> Members | None:
    """The members of ``target.audience`` as of ``day`` (None when it names none)."""
    if target.audience is None:
        return None
    source = AudienceSource(ctx.settings.home, ctx.settings.runs_dir)
    ref = AudienceRef(target.audience, target.audience_version)
    return read_audience(ctx.engine, source, ref, day, used_by=used_by)


def used_for(
    ctx: AppContext,
    members: Members | None,
    target: str,
    used_by: str,
    principal: Principal,
    now: dt.datetime,
) -> AudienceUsed | None:
    """Log ``members`` as used for ``target`` and the response's audience part."""
    if members is None:
        return None
    record_use(ctx.engine, members, target=target, actor=principal.subject, now=now)
    return audience_used(members.source, empty_warning(members, used_by))

"""An operation's saved audience (issue 20): what a survey wave or a visit plan names, and
what it reports back (the list's source, and a warning when it matches nobody)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from tierwise.api.schemas.common import Input, StrictInt


class TargetIn(Input):
    """Mixed into a request: an optional saved audience and version."""

    audience: str | None = Field(
        default=None,
        min_length=2,
        max_length=40,
        pattern=r"^[a-z][a-z0-9_]*$",
        description="A saved audience: only its members as of the day (issue 20)",
    )
    audience_version: StrictInt | None = Field(
        default=None, ge=1, le=2**31 - 1, description="Its version (default: the newest)"
    )


class AudienceUsed(BaseModel):
    """Where an operation's audience list came from (reproducible) and whether it is empty."""

    audience: str
    version: int
    as_of: dt.date
    snapshot_as_of: dt.date = Field(description="The tag snapshot the list was computed from")
    run_id: str | None = Field(description="The published run tiers and segments came from")
    members: int
    empty: bool = Field(description="Nobody matches: allowed, but flagged")
    warning: str | None = Field(default=None, description="Set when the audience is empty")


def audience_used(source: dict[str, Any] | None, warning: str | None = None) -> AudienceUsed | None:
    """The response part of an audience list's source (``Members.source``)."""
    return None if source is None else AudienceUsed(**source, warning=warning)

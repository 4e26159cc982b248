"""``/runs``: grading runs recorded in the store (list, status)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from tierwise.api.access import Action, Principal
from tierwise.api.deps import Ctx, allow
from tierwise.api.errors import AUTH_ERRORS, BAD_INPUT, NOT_FOUND
from tierwise.api.schemas.common import MAX_PAGE_SIZE, Page, Timestamp

router = APIRouter(prefix="/runs", tags=["runs"], responses={**AUTH_ERRORS, **BAD_INPUT})


class RunPublic(BaseModel):
    id: str
    policy_name: str
    policy_hash: str
    as_of: date
    data_fingerprint: str
    status: str
    trigger: str
    started_at: Timestamp
    finished_at: Timestamp | None
    published_at: Timestamp | None
    counts: dict[str, Any]
    error: str | None


@router.get("", response_model=Page[RunPublic])
def list_runs(
    ctx: Ctx,
    _p: Annotated[Principal, allow(Action.RUN_LIST)],
    status: Annotated[Literal["running", "published", "failed"] | None, Query()] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
) -> Page[RunPublic]:
    """Runs, newest first."""
    rows, total = ctx.runs.page(status=status, offset=offset, limit=limit)
    return Page(items=[RunPublic(**r) for r in rows], total=total, offset=offset, limit=limit)


@router.get("/{run_id}", response_model=RunPublic, responses=NOT_FOUND)
def get_run(
    ctx: Ctx,
    _p: Annotated[Principal, allow(Action.RUN_LIST)],
    run_id: Annotated[str, Path(min_length=1, max_length=40)],
) -> RunPublic:
    """One run: its status, counts and error if it failed."""
    return RunPublic(**ctx.runs.get(run_id))

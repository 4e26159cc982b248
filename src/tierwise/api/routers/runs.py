"""``/runs``: grading runs recorded in the store (list, status)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field, field_validator

from tierwise.api import grading
from tierwise.api.access import Action, Principal
from tierwise.api.deps import Ctx, allow
from tierwise.api.errors import AUTH_ERRORS, BAD_INPUT, CONFLICT, NOT_FOUND, ErrorBody
from tierwise.api.routers.spotchecks import CheckDetail
from tierwise.api.schemas.common import MAX_PAGE_SIZE, RUN_ID_MAX, Input, Page, Timestamp
from tierwise.errors import NotFoundError, public_text
from tierwise.pipeline import review

router = APIRouter(prefix="/runs", tags=["runs"], responses={**AUTH_ERRORS, **BAD_INPUT})


class RunPublic(BaseModel):
    id: str
    policy_name: str
    policy_hash: str
    as_of: date
    data_fingerprint: str
    status: str = Field(
        description="running | published | failed | awaiting_review (its policy has `review:`:"
        " held until its spot check is finished and it is released) | superseded (a newer run"
        " was published first; never released)"
    )
    trigger: str
    started_at: Timestamp
    finished_at: Timestamp | None
    published_at: Timestamp | None
    counts: dict[str, Any] = Field(
        description="customers, graded, changes; note when the run graded nobody; proposed"
        " (changes a held run would make); review (released_by, check_id, agreement)"
    )
    error: str | None = Field(description="Why it failed (never SQL: the log has the details)")

    @field_validator("error")
    @classmethod
    def _no_sql(cls, v: str | None) -> str | None:
        return None if v is None else public_text(v)  # runs recorded before this rule


@router.get("", response_model=Page[RunPublic])
def list_runs(
    ctx: Ctx,
    _p: Annotated[Principal, allow(Action.RUN_LIST)],
    status: Annotated[
        Literal["running", "published", "failed", "awaiting_review", "superseded"] | None, Query()
    ] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
) -> Page[RunPublic]:
    """Runs, newest first."""
    rows, total = ctx.runs.page(status=status, offset=offset, limit=limit)
    return Page(items=[RunPublic(**r) for r in rows], total=total, offset=offset, limit=limit)


class RunStart(Input):
    policy: str = Field(
        min_length=1, max_length=80, description="Name of a policy under $TIERWISE_HOME/policies"
    )
    as_of: date = Field(description="Grade with data up to this day")


class RunAccepted(BaseModel):
    run_id: str
    status: str = Field(description="running: poll GET /runs/{run_id}")


@router.post(
    "",
    status_code=202,
    response_model=RunAccepted,
    responses={**NOT_FOUND, **CONFLICT, 422: BAD_INPUT[422]},
    summary="Start a grading run",
)
def start_run(
    ctx: Ctx, principal: Annotated[Principal, allow(Action.RUN_START)], body: RunStart
) -> RunAccepted:
    """Grade the lake with a published policy, then publish the run and refresh the read
    model, in the background (202). 409 while another run is running; 422 if the policy is
    invalid."""
    path = ctx.policies.path_of(body.policy)
    if path is None:
        raise NotFoundError(
            f"no policy {body.policy!r}",
            hint="publish it first (POST /policies/publish) or list them (GET /policies)",
            policy=body.policy,
        )
    policy = grading.parse_text(path.read_text(encoding="utf-8"), source=path.name)
    run_id, _thread = grading.start_run(
        ctx.engine,
        policy,
        as_of=body.as_of,
        lake=ctx.settings.lake_dir,
        runs=ctx.settings.runs_dir,
        policy_dir=path.parent,
        now=ctx.now(),
    )
    ctx.audit.record(
        principal, "run.start", now=ctx.now(), target=run_id, detail={"policy": body.policy}
    )
    return RunAccepted(run_id=run_id, status="running")


@router.get("/{run_id}", response_model=RunPublic, responses=NOT_FOUND)
def get_run(
    ctx: Ctx,
    _p: Annotated[Principal, allow(Action.RUN_LIST)],
    run_id: Annotated[str, Path(min_length=1, max_length=RUN_ID_MAX)],
) -> RunPublic:
    """One run: its status, counts and error if it failed."""
    return RunPublic(**ctx.runs.get(run_id))


class ReviewPublic(BaseModel):
    run: RunPublic
    check: CheckDetail | None = Field(
        description="The spot check of the run's changes (a held run's: of the changes it"
        " proposes), with its sampled customers and their verdicts"
    )
    unreviewed: int = Field(description="Sampled changes without a verdict yet")


@router.get("/{run_id}/review", response_model=ReviewPublic, responses=NOT_FOUND)
def get_review(
    ctx: Ctx,
    _p: Annotated[Principal, allow(Action.EXPERIMENT_READ)],
    run_id: Annotated[str, Path(min_length=1, max_length=RUN_ID_MAX)],
) -> ReviewPublic:
    """A run and its spot-check sample: what must be reviewed before it can be released."""
    run = RunPublic(**ctx.runs.get(run_id))
    g = review.gate(ctx.engine, run_id)
    check = None if g["check"] is None else CheckDetail(**g["check"])
    return ReviewPublic(run=run, check=check, unreviewed=g["unreviewed"])


@router.post(
    "/{run_id}/publish",
    response_model=RunPublic,
    responses={
        **NOT_FOUND,
        409: {
            "model": ErrorBody,
            "description": (
                "Not released: `code` spot_check_not_finished (`unreviewed` of `sampled` changes"
                " have no verdict; `check_id`), spot_check_agreement_too_low (`agreement` below"
                " the policy's `min_agreement`), four_eyes_required (the caller reviewed changes"
                " of the run and the policy's `review.four_eyes` is on; `reviewers`) or"
                " run_not_awaiting_review (`status`)"
            ),
        },
    },
    summary="Release a run held for its spot check",
)
def publish_run(
    ctx: Ctx,
    principal: Annotated[Principal, allow(Action.RUN_RELEASE)],
    run_id: Annotated[str, Path(min_length=1, max_length=RUN_ID_MAX)],
) -> RunPublic:
    """Publish a run ``awaiting_review`` once every sampled change has its verdict: tiers,
    history, webhooks and the operations modules follow, as for any publication. A newer
    held run is left waiting; older held runs become ``superseded``."""
    ctx.runs.get(run_id)  # 404 for an id that cannot be stored
    done = review.release_run(
        ctx.engine,
        run_id,
        runs=ctx.settings.runs_dir,
        lake=ctx.settings.lake_dir,
        actor=principal.subject,
        clock=ctx.now,
    )
    ctx.audit.record(
        principal,
        "run.release",
        now=ctx.now(),
        target=run_id,
        detail={"check_id": done.check_id, "changes": done.summary.changes},
    )
    return RunPublic(**ctx.runs.get(run_id))

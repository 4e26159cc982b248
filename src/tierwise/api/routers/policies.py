"""``/policies``: the grading policies the team tunes (R-GRD-12)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field

from tierwise.api import grading
from tierwise.api.access import Action, Principal
from tierwise.api.deps import Ctx, allow
from tierwise.api.errors import AUTH_ERRORS, BAD_INPUT
from tierwise.api.schemas.common import Input, Timestamp
from tierwise.policy import policy_hash

router = APIRouter(prefix="/policies", tags=["policies"], responses={**AUTH_ERRORS, **BAD_INPUT})


class PolicyFile(BaseModel):
    name: str
    file: str
    title: dict[str, str] | None
    text_sha256: str
    published_at: Timestamp | None
    versions: int


@router.get("", response_model=list[PolicyFile])
def list_policies(
    ctx: Ctx, _p: Annotated[Principal, allow(Action.POLICY_LIST)]
) -> list[PolicyFile]:
    """Policy files under ``$TIERWISE_HOME/policies`` and when each was last published."""
    return [PolicyFile(**p) for p in ctx.policies.files()]


class PolicyText(Input):
    yaml: str = Field(min_length=1, max_length=200_000, description="The policy as YAML")


class PolicyDryRunRequest(PolicyText):
    as_of: date = Field(description="Grade with data up to this day")


class PolicyProblem(BaseModel):
    path: str
    message: str
    line: int | None = Field(default=None, description="1-based line of the key in the text")
    suggestion: str | None = Field(default=None, description="The closest allowed key")


class PolicyCheck(BaseModel):
    valid: bool
    name: str | None
    policy_hash: str | None
    tiers: list[str]
    problems: list[PolicyProblem]


class MigrationCell(BaseModel):
    from_tier: str | None
    to_tier: str | None
    customers: int


class PolicyDryRun(BaseModel):
    """What the policy would compute against the current published tiers, before stability
    rules (R-GRD-12): the one dry run, also the console's and ``tierwise policy diff``'s.
    ``customers`` counts the customers graded and those published now but no longer graded."""

    policy_name: str
    policy_hash: str
    as_of: date
    customers: int
    changed: int = Field(description="Customers whose computed tier differs from the current one")
    tiers: dict[str, int]
    matrix: list[MigrationCell]
    up: int = Field(description="Customers moving to a higher tier of the policy")
    down: int = Field(description="Customers moving to a lower tier of the policy")
    entered: int = Field(description="Customers without a tier now who would get one")
    left: int = Field(description="Customers with a tier now who would get none")
    other: int = Field(description="Customers moving from a tier the policy does not have")
    same: int = Field(description="Customers keeping their tier (or having none either way)")


class PolicyPublished(BaseModel):
    name: str
    policy_hash: str
    file: str
    version_id: int


@router.post("/validate", response_model=PolicyCheck)
def validate_policy(
    ctx: Ctx, _p: Annotated[Principal, allow(Action.POLICY_VALIDATE)], body: PolicyText
) -> PolicyCheck:
    """Check a policy: every problem at once, with its key path (200 either way)."""
    return PolicyCheck(**grading.check(body.yaml))


@router.post(
    "/dry-run",
    response_model=PolicyDryRun,
    responses={422: BAD_INPUT[422]},
)
def dry_run_policy(
    ctx: Ctx,
    _p: Annotated[Principal, allow(Action.POLICY_VALIDATE)],
    body: PolicyDryRunRequest,
) -> PolicyDryRun:
    """Grade the lake with this policy and compare with the published tiers; nothing is
    published. 422 when the policy is invalid or the lake cannot be graded."""
    policy = grading.parse_text(body.yaml)
    result = grading.dry_run(
        policy,
        as_of=body.as_of,
        lake=ctx.settings.lake_dir,
        engine=ctx.engine,
        policy_dir=ctx.settings.policies_dir,
        now=ctx.now(),
    )
    return PolicyDryRun(**result)


@router.post(
    "/publish", status_code=201, response_model=PolicyPublished, responses={422: BAD_INPUT[422]}
)
def publish_policy(
    ctx: Ctx, principal: Annotated[Principal, allow(Action.POLICY_PUBLISH)], body: PolicyText
) -> PolicyPublished:
    """Save a valid policy as ``$TIERWISE_HOME/policies/<name>.yaml`` (the next run uses it)
    and keep the version; 422 with every problem when it is invalid."""
    policy = grading.parse_text(body.yaml)
    digest = policy_hash(policy)
    now = ctx.now()
    version = ctx.policies.record_publication(
        policy.name, digest, body.yaml, author=principal.subject, now=now
    )
    ctx.audit.record(
        principal,
        "policy.publish",
        now=now,
        target=policy.name,
        detail={"policy_hash": digest, "version_id": version},
    )
    return PolicyPublished(
        name=policy.name, policy_hash=digest, file=f"{policy.name}.yaml", version_id=version
    )

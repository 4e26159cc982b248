"""``/policies``: the grading policies the team tunes (R-GRD-12)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel

from tierwise.api.access import Action, Principal
from tierwise.api.deps import Ctx, allow
from tierwise.api.errors import AUTH_ERRORS, BAD_INPUT
from tierwise.api.schemas.common import Timestamp

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

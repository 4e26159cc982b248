"""``/auth/token`` (sign in) and ``/health``: the only routes without authorization."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from tierwise.api.auth import issue_token
from tierwise.api.deps import Ctx
from tierwise.api.errors import AUTH_ERRORS, BAD_INPUT
from tierwise.api.schemas.admin import TokenPublic, TokenRequest

router = APIRouter(tags=["auth"])


class Health(BaseModel):
    status: str


@router.get("/health", response_model=Health, summary="Liveness")
async def health() -> Health:
    return Health(status="ok")


@router.post(
    "/auth/token",
    response_model=TokenPublic,
    responses={401: AUTH_ERRORS[401], **BAD_INPUT},
    summary="Sign in: user name and password → access token",
)
def token(ctx: Ctx, body: TokenRequest) -> TokenPublic:
    principal = ctx.users.authenticate(body.username, body.password)
    minutes = ctx.settings.token_minutes
    tok = issue_token(principal, ctx.signing_key, now=ctx.now(), minutes=minutes)
    return TokenPublic(access_token=tok, expires_in=minutes * 60, role=principal.role.value)

"""``/auth/token`` (sign in) and ``/health``: the only routes without authorization."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from tierwise.api.auth import issue_token
from tierwise.api.deps import Ctx
from tierwise.api.errors import AUTH_ERRORS, BAD_INPUT, THROTTLED
from tierwise.api.schemas.admin import TokenPublic, TokenRequest

router = APIRouter(tags=["auth"])


def client_address(request: Request) -> str:
    """The peer's address (behind a proxy: the proxy's, unless uvicorn trusts its headers)."""
    return request.client.host if request.client else "unknown"


class Health(BaseModel):
    status: str


@router.get("/health", response_model=Health, summary="Liveness")
async def health() -> Health:
    return Health(status="ok")


@router.post(
    "/auth/token",
    response_model=TokenPublic,
    responses={401: AUTH_ERRORS[401], **BAD_INPUT, **THROTTLED},
    summary="Sign in: user name and password → access token",
)
def token(request: Request, ctx: Ctx, body: TokenRequest) -> TokenPublic:
    """Repeated failures per user name or per address get 429 with Retry-After (audited)."""
    principal = ctx.throttle.sign_in(
        ctx.users, body.username, body.password, client_address(request), ctx.now()
    )
    minutes = ctx.settings.token_minutes
    tok = issue_token(principal, ctx.signing_key, now=ctx.now(), minutes=minutes)
    return TokenPublic(access_token=tok, expires_in=minutes * 60, role=principal.role.value)

"""``/users`` and ``/api-keys``: who may sign in, and keys for systems."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from tierwise.api.access import Action, Principal
from tierwise.api.accounts import (
    add_key,
    add_user,
    remove_user,
    revoke_key,
    rotate_key,
    set_user_active,
)
from tierwise.api.deps import Ctx, allow
from tierwise.api.errors import AUTH_ERRORS, BAD_INPUT, CONFLICT, NOT_FOUND
from tierwise.api.schemas.admin import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyPublic,
    UserCreate,
    UserPublic,
    UserUpdate,
)

router = APIRouter(tags=["users"], responses={**AUTH_ERRORS, **BAD_INPUT})
Allowed = Annotated[Principal, allow(Action.USER_MANAGE)]


def _public(ctx: Ctx, user: dict[str, Any]) -> UserPublic:
    stats = ctx.throttle.sign_in_stats().get(user["name"], {})
    return UserPublic(**user, **stats)


@router.get("/users", response_model=list[UserPublic])
def list_users(ctx: Ctx, _p: Allowed) -> list[UserPublic]:
    """Users with their latest sign-in and the failed sign-ins since it."""
    stats = ctx.throttle.sign_in_stats()
    return [UserPublic(**u, **stats.get(u["name"], {})) for u in ctx.users.list_users()]


@router.post("/users", status_code=201, response_model=UserPublic, responses=CONFLICT)
def create_user(ctx: Ctx, principal: Allowed, body: UserCreate) -> UserPublic:
    """Add a user (password stored as an argon2 hash)."""
    return UserPublic(**add_user(ctx, principal, body))


UserId = Annotated[int, Path(ge=1, le=2**31 - 1)]
KeyId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.patch("/users/{user_id}", response_model=UserPublic, responses={**NOT_FOUND, **CONFLICT})
def update_user(ctx: Ctx, principal: Allowed, user_id: UserId, body: UserUpdate) -> UserPublic:
    """Disable (``{"active": false}``) or enable a user; a disabled user's tokens stop at once."""
    return _public(ctx, set_user_active(ctx, principal, user_id, body.active))


@router.delete("/users/{user_id}", status_code=204, responses={**NOT_FOUND, **CONFLICT})
def delete_user(ctx: Ctx, principal: Allowed, user_id: UserId) -> None:
    """Delete a user (the audit log keeps its name); its tokens stop at once."""
    remove_user(ctx, principal, user_id)


@router.get("/api-keys", response_model=list[ApiKeyPublic])
def list_api_keys(ctx: Ctx, _p: Allowed) -> list[ApiKeyPublic]:
    return [ApiKeyPublic(**k) for k in ctx.users.list_keys()]


@router.post("/api-keys", status_code=201, response_model=ApiKeyCreated)
def create_api_key(ctx: Ctx, principal: Allowed, body: ApiKeyCreate) -> ApiKeyCreated:
    """A new key for a system; the key is in this answer only (stored as SHA-256)."""
    key, row = add_key(ctx, principal, body)
    return ApiKeyCreated(**row, key=key)


@router.post(
    "/api-keys/{key_id}/rotate", status_code=201, response_model=ApiKeyCreated, responses=NOT_FOUND
)
def rotate_api_key(ctx: Ctx, principal: Allowed, key_id: KeyId) -> ApiKeyCreated:
    """Revoke the key at once and issue its replacement (same name and role), shown once."""
    key, row = rotate_key(ctx, principal, key_id)
    return ApiKeyCreated(**row, key=key)


@router.delete("/api-keys/{key_id}", status_code=204, responses=NOT_FOUND)
def revoke_api_key(ctx: Ctx, principal: Allowed, key_id: KeyId) -> None:
    revoke_key(ctx, principal, key_id)

"""``/users`` and ``/api-keys``: who may sign in, and keys for systems."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from tierwise.api.access import Action, Principal, Role
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
from tierwise.errors import ConflictError

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
    now = ctx.now()
    role = Role(body.role)
    row = ctx.users.add_user(
        body.name,
        role,
        body.password,
        now=now,
        manager_id=getattr(body, "manager_id", None),
        customer_id=getattr(body, "customer_id", None),
    )
    ctx.audit.record(principal, "user.create", now=now, target=body.name, detail={"role": role})
    return UserPublic(**row)


UserId = Annotated[int, Path(ge=1, le=2**31 - 1)]
KeyId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _not_self(principal: Principal, name: str, what: str) -> None:
    if principal.subject == f"user:{name}":
        raise ConflictError(
            f"you cannot {what} yourself ({name!r})", hint="ask another admin", user=name
        )


@router.patch("/users/{user_id}", response_model=UserPublic, responses={**NOT_FOUND, **CONFLICT})
def update_user(ctx: Ctx, principal: Allowed, user_id: UserId, body: UserUpdate) -> UserPublic:
    """Disable (``{"active": false}``) or enable a user; a disabled user's tokens stop at once."""
    user = ctx.users.get_user(user_id)
    if not body.active:
        _not_self(principal, user["name"], "disable")
    ctx.users.set_active(user["name"], body.active)
    action = "user.enable" if body.active else "user.disable"
    ctx.audit.record(principal, action, now=ctx.now(), target=user["name"])
    return _public(ctx, ctx.users.get_user(user_id))


@router.delete("/users/{user_id}", status_code=204, responses={**NOT_FOUND, **CONFLICT})
def delete_user(ctx: Ctx, principal: Allowed, user_id: UserId) -> None:
    """Delete a user (the audit log keeps its name); its tokens stop at once."""
    user = ctx.users.get_user(user_id)
    _not_self(principal, user["name"], "delete")
    ctx.users.delete_user(user["name"])
    ctx.audit.record(principal, "user.delete", now=ctx.now(), target=user["name"])


@router.get("/api-keys", response_model=list[ApiKeyPublic])
def list_api_keys(ctx: Ctx, _p: Allowed) -> list[ApiKeyPublic]:
    return [ApiKeyPublic(**k) for k in ctx.users.list_keys()]


@router.post("/api-keys", status_code=201, response_model=ApiKeyCreated)
def create_api_key(ctx: Ctx, principal: Allowed, body: ApiKeyCreate) -> ApiKeyCreated:
    """A new key for a system; the key is in this answer only (stored as SHA-256)."""
    now = ctx.now()
    role = Role(body.role)
    key, row = ctx.users.create_key(
        body.name,
        role,
        now=now,
        manager_id=getattr(body, "manager_id", None),
        customer_id=getattr(body, "customer_id", None),
    )
    ctx.audit.record(principal, "apikey.create", now=now, target=body.name, detail={"role": role})
    return ApiKeyCreated(**row, key=key)


@router.post(
    "/api-keys/{key_id}/rotate", status_code=201, response_model=ApiKeyCreated, responses=NOT_FOUND
)
def rotate_api_key(ctx: Ctx, principal: Allowed, key_id: KeyId) -> ApiKeyCreated:
    """Revoke the key at once and issue its replacement (same name and role), shown once."""
    now = ctx.now()
    key, row = ctx.users.rotate_key(key_id, now)
    ctx.audit.record(
        principal, "apikey.rotate", now=now, target=str(key_id), detail={"new_id": row["id"]}
    )
    return ApiKeyCreated(**row, key=key)


@router.delete("/api-keys/{key_id}", status_code=204, responses=NOT_FOUND)
def revoke_api_key(ctx: Ctx, principal: Allowed, key_id: KeyId) -> None:
    now = ctx.now()
    ctx.users.revoke_key(key_id, now)
    ctx.audit.record(principal, "apikey.revoke", now=now, target=str(key_id))

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


def add_user(ctx: Ctx, principal: Principal, body: Any, *, via: str = "api") -> dict[str, Any]:
    """Add a user from a validated :data:`UserCreate` (password stored as an argon2 hash);
    audited; its record."""
    now = ctx.now()
    row = ctx.users.add_user(
        body.name,
        Role(body.role),
        body.password,
        now=now,
        manager_id=getattr(body, "manager_id", None),
        customer_id=getattr(body, "customer_id", None),
    )
    detail = {"role": body.role, "via": via}
    ctx.audit.record(principal, "user.create", now=now, target=body.name, detail=detail)
    return row


def add_key(
    ctx: Ctx, principal: Principal, body: Any, *, via: str = "api"
) -> tuple[str, dict[str, Any]]:
    """A new key from a validated :data:`ApiKeyCreate`; audited; (the key, its record)."""
    now = ctx.now()
    key, row = ctx.users.create_key(
        body.name,
        Role(body.role),
        now=now,
        manager_id=getattr(body, "manager_id", None),
        customer_id=getattr(body, "customer_id", None),
    )
    detail = {"role": body.role, "via": via}
    ctx.audit.record(principal, "apikey.create", now=now, target=body.name, detail=detail)
    return key, row


@router.post("/users", status_code=201, response_model=UserPublic, responses=CONFLICT)
def create_user(ctx: Ctx, principal: Allowed, body: UserCreate) -> UserPublic:
    """Add a user (password stored as an argon2 hash)."""
    return UserPublic(**add_user(ctx, principal, body))


UserId = Annotated[int, Path(ge=1, le=2**31 - 1)]
KeyId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _not_self(principal: Principal, name: str, what: str) -> None:
    if principal.subject == f"user:{name}":
        raise ConflictError(
            f"you cannot {what} yourself ({name!r})", hint="ask another admin", user=name
        )


# The API and the console's admin page do these the same way: decide is done by the caller
# (allow / Page.require); these check what the role table cannot and write the audit entry.


def set_user_active(
    ctx: Ctx, principal: Principal, user_id: int, active: bool, *, via: str = "api"
) -> dict[str, Any]:
    """Disable or enable a user (never oneself: 409); audited; the user's record after."""
    user = ctx.users.get_user(user_id)
    if not active:
        _not_self(principal, user["name"], "disable")
    ctx.users.set_active(user["name"], active)
    action = "user.enable" if active else "user.disable"
    ctx.audit.record(principal, action, now=ctx.now(), target=user["name"], detail={"via": via})
    return ctx.users.get_user(user_id)


def remove_user(ctx: Ctx, principal: Principal, user_id: int, *, via: str = "api") -> str:
    """Delete a user (never oneself: 409); audited; the deleted user's name."""
    user = ctx.users.get_user(user_id)
    _not_self(principal, user["name"], "delete")
    ctx.users.delete_user(user["name"])
    ctx.audit.record(
        principal, "user.delete", now=ctx.now(), target=user["name"], detail={"via": via}
    )
    return str(user["name"])


def rotate_key(
    ctx: Ctx, principal: Principal, key_id: int, *, via: str = "api"
) -> tuple[str, dict[str, Any]]:
    """Revoke an active key and issue its replacement; audited; (new key, its record)."""
    now = ctx.now()
    key, row = ctx.users.rotate_key(key_id, now)
    detail = {"new_id": row["id"], "via": via}
    ctx.audit.record(principal, "apikey.rotate", now=now, target=str(key_id), detail=detail)
    return key, row


def revoke_key(ctx: Ctx, principal: Principal, key_id: int, *, via: str = "api") -> None:
    """Revoke an active key at once (404 when unknown or already revoked); audited."""
    now = ctx.now()
    ctx.users.revoke_key(key_id, now)
    ctx.audit.record(principal, "apikey.revoke", now=now, target=str(key_id), detail={"via": via})


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

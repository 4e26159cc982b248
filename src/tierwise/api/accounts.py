"""Users and API keys as the API's routes and the console's admin page change them.

Both call these, so both check the same things and write the same audit entries (``via``
says which one); the access decision is the caller's (``allow`` / ``Page.require``): these
check what the role table cannot (nobody disables or deletes themself).
"""

from __future__ import annotations

from typing import Any

from tierwise.api.access import Principal, Role
from tierwise.api.deps import AppContext
from tierwise.errors import ConflictError


def add_user(
    ctx: AppContext, principal: Principal, body: Any, *, via: str = "api"
) -> dict[str, Any]:
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
    ctx: AppContext, principal: Principal, body: Any, *, via: str = "api"
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


def _not_self(principal: Principal, name: str, what: str) -> None:
    if principal.subject == f"user:{name}":
        raise ConflictError(
            f"you cannot {what} yourself ({name!r})", hint="ask another admin", user=name
        )


def set_user_active(
    ctx: AppContext, principal: Principal, user_id: int, active: bool, *, via: str = "api"
) -> dict[str, Any]:
    """Disable or enable a user (never oneself: 409); audited; the user's record after."""
    user = ctx.users.get_user(user_id)
    if not active:
        _not_self(principal, user["name"], "disable")
    ctx.users.set_active(user["name"], active)
    action = "user.enable" if active else "user.disable"
    ctx.audit.record(principal, action, now=ctx.now(), target=user["name"], detail={"via": via})
    return ctx.users.get_user(user_id)


def remove_user(ctx: AppContext, principal: Principal, user_id: int, *, via: str = "api") -> str:
    """Delete a user (never oneself: 409); audited; the deleted user's name."""
    user = ctx.users.get_user(user_id)
    _not_self(principal, user["name"], "delete")
    ctx.users.delete_user(user["name"])
    ctx.audit.record(
        principal, "user.delete", now=ctx.now(), target=user["name"], detail={"via": via}
    )
    return str(user["name"])


def rotate_key(
    ctx: AppContext, principal: Principal, key_id: int, *, via: str = "api"
) -> tuple[str, dict[str, Any]]:
    """Revoke an active key and issue its replacement; audited; (new key, its record)."""
    now = ctx.now()
    key, row = ctx.users.rotate_key(key_id, now)
    detail = {"new_id": row["id"], "via": via}
    ctx.audit.record(principal, "apikey.rotate", now=now, target=str(key_id), detail=detail)
    return key, row


def revoke_key(ctx: AppContext, principal: Principal, key_id: int, *, via: str = "api") -> None:
    """Revoke an active key at once (404 when unknown or already revoked); audited."""
    now = ctx.now()
    ctx.users.revoke_key(key_id, now)
    ctx.audit.record(principal, "apikey.revoke", now=now, target=str(key_id), detail={"via": via})

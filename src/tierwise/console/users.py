"""The console's admin page of users and API keys (issue 17 #8, R-INT-5).

Admins (``user.manage``) see every user (role, binding, status, latest sign-in, failed
sign-ins since it) and every API key (prefix, role, created, last used, status; never the
key itself), and disable / enable / delete users and rotate / revoke keys. Each action posts
twice: first a confirmation page saying what it does, then ``confirmed=yes`` does it through
the API's own functions (:mod:`tierwise.api.routers.users`: the same checks and audit
entries, with ``via: console``). A new key (created or rotated) is shown once, on the page
that answers the action, and is never stored in clear.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import TypeAdapter, ValidationError

from tierwise.api.access import Action, Role
from tierwise.api.accounts import (
    add_key,
    add_user,
    remove_user,
    revoke_key,
    rotate_key,
    set_user_active,
)
from tierwise.api.schemas.admin import ApiKeyCreate, UserCreate
from tierwise.console.session import check_csrf
from tierwise.console.web import Page, PageDep
from tierwise.errors import NotFoundError, UsageError

router = APIRouter(prefix="/console", include_in_schema=False)
Csrf = Annotated[str, Form(max_length=100)]
Confirmed = Annotated[str, Form(max_length=3)]
UserOp = Literal["disable", "enable", "delete"]
KeyOp = Literal["rotate", "revoke"]
DONE = ("disable", "enable", "delete", "revoke", "create")
# what a key's page shows once must not stay in a cache or the browser's history
NO_STORE = {"Cache-Control": "no-store"}


@router.get("/users", response_class=HTMLResponse)
def users_page(
    page: PageDep,
    done: Annotated[str | None, Query(max_length=10)] = None,
    target: Annotated[str | None, Query(max_length=80)] = None,
) -> Response:
    """Users and API keys, with their actions; ``done`` names the action just done."""
    page.require(Action.USER_MANAGE)
    ctx = page.ctx
    stats = ctx.throttle.sign_in_stats()
    users = [
        {**u, "last_login_at": None, "failed_logins": 0, **stats.get(u["name"], {})}
        for u in ctx.users.list_users()
    ]
    return page.render(
        "users.html",
        users=users,
        keys=ctx.users.list_keys(),
        me=page.principal.subject,
        roles=[r.value for r in Role],
        done=done if done in DONE else None,
        target=target,
    )


def _key(page: Page, key_id: int) -> dict[str, Any]:
    for k in page.ctx.users.list_keys():
        if k["id"] == key_id:
            return k
    raise NotFoundError(f"no API key {key_id}", key_id=key_id)


def _confirm(page: Page, op: str, subject: str, role: str, action: str) -> Response:
    """The confirmation page of ``op`` on ``subject``: what it does, then ``confirmed=yes``."""
    return page.render("users_confirm.html", op=op, subject=subject, role=role, action=action)


def _done(op: str, subject: str) -> Response:
    return RedirectResponse(f"/console/users?done={op}&target={subject}", status_code=303)


@router.post("/users/{user_id}/{op}")
def user_action(
    page: PageDep, user_id: int, op: UserOp, csrf: Csrf = "", confirmed: Confirmed = ""
) -> Response:
    """Disable, enable or delete a user once confirmed; first the confirmation page."""
    check_csrf(page.request, csrf)
    page.require(Action.USER_MANAGE)
    user = page.ctx.users.get_user(user_id)
    subject = f"user:{user['name']}"
    if confirmed != "yes":
        return _confirm(page, op, subject, user["role"], f"/console/users/{user_id}/{op}")
    if op == "delete":
        remove_user(page.ctx, page.principal, user_id, via="console")
    else:
        set_user_active(page.ctx, page.principal, user_id, op == "enable", via="console")
    return _done(op, subject)


@router.post("/api-keys/{key_id}/{op}")
def key_action(
    page: PageDep, key_id: int, op: KeyOp, csrf: Csrf = "", confirmed: Confirmed = ""
) -> Response:
    """Rotate or revoke a key once confirmed; a rotation shows the new key once."""
    check_csrf(page.request, csrf)
    page.require(Action.USER_MANAGE)
    key = _key(page, key_id)
    subject = f"key:{key['name']}"
    if confirmed != "yes":
        return _confirm(page, op, subject, key["role"], f"/console/api-keys/{key_id}/{op}")
    if op == "revoke":
        revoke_key(page.ctx, page.principal, key_id, via="console")
        return _done(op, subject)
    secret, row = rotate_key(page.ctx, page.principal, key_id, via="console")
    return _key_shown(page, secret, row, rotated_from=key_id)


def _key_shown(page: Page, secret: str, row: dict[str, Any], rotated_from: int | None) -> Response:
    resp = page.render("users_key.html", status=201, secret=secret, key=row, old=rotated_from)
    resp.headers.update(NO_STORE)
    return resp


def _validated(adapter: TypeAdapter[Any], data: dict[str, Any], what: str) -> Any:
    """The API's own schema for a create form; every problem in one 400 message."""
    try:
        return adapter.validate_python({k: v for k, v in data.items() if v not in (None, "")})
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'][1:] or e['loc'])}: {e['msg']}"
            for e in err.errors()
        )
        raise UsageError(f"the new {what} is not valid: {problems}", hint="fix the form") from None


_USER = TypeAdapter(UserCreate)
_KEY = TypeAdapter(ApiKeyCreate)
Text = Annotated[str, Form(max_length=200)]


@router.post("/users")
def user_create(
    page: PageDep,
    name: Text,
    role: Text,
    password: Text,
    binding: Text = "",
    csrf: Csrf = "",
) -> Response:
    """Add a user (the API's checks: name pattern, password length, sales / customer
    binding); audited."""
    check_csrf(page.request, csrf)
    page.require(Action.USER_MANAGE)
    data = {"name": name, "role": role, "password": password, **_binding(role, binding)}
    body = _validated(_USER, data, "user")
    add_user(page.ctx, page.principal, body, via="console")
    return _done("create", f"user:{body.name}")


@router.post("/api-keys")
def key_create(
    page: PageDep, name: Text, role: Text, binding: Text = "", csrf: Csrf = ""
) -> Response:
    """A new key for a system, shown once on the page that answers."""
    check_csrf(page.request, csrf)
    page.require(Action.USER_MANAGE)
    body = _validated(_KEY, {"name": name, "role": role, **_binding(role, binding)}, "API key")
    secret, row = add_key(page.ctx, page.principal, body, via="console")
    return _key_shown(page, secret, row, rotated_from=None)


def _binding(role: str, value: str) -> dict[str, str]:
    """The form's one binding field: the account-manager id of a sales principal, the
    customer id of a customer principal, nothing for other roles."""
    if role == "sales":
        return {"manager_id": value}
    if role == "customer":
        return {"customer_id": value}
    return {}

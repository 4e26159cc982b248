"""``tierwise user`` and ``tierwise apikey``: who may use the API (R-INT-5)."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer
from rich.console import Console

from tierwise.api.access import Role
from tierwise.api.auth import utcnow
from tierwise.api.repos.users import UserRepo
from tierwise.cli.main import app
from tierwise.errors import UsageError
from tierwise.settings import get_settings
from tierwise.store.db import make_engine
from tierwise.store.migrate import upgrade

user_app = typer.Typer(help="API users (people who sign in).", no_args_is_help=True)
key_app = typer.Typer(help="API keys (systems: CRM, ERP, the customer app).", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(key_app, name="apikey")
_out = Console(highlight=False)
ROLES = ", ".join(r.value for r in Role)


def _repo() -> UserRepo:
    engine = make_engine(get_settings().state_url)
    upgrade(engine)
    return UserRepo(engine)


def _role(text: str) -> Role:
    try:
        return Role(text)
    except ValueError:
        raise UsageError(f"unknown role {text!r}", hint=f"roles are {ROLES}") from None


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="User name (sign-in name).")],
    role: Annotated[str, typer.Option("--role", help=f"One of {ROLES}.")],
    manager: Annotated[
        str | None, typer.Option(help="sales: the account-manager id (customers.account_manager).")
    ] = None,
    customer: Annotated[str | None, typer.Option(help="customer: the customer_id.")] = None,
    password: Annotated[
        str | None,
        typer.Option(
            help="Password (asked when omitted; or TIERWISE_PASSWORD).", envvar="TIERWISE_PASSWORD"
        ),
    ] = None,
) -> None:
    """Add a user; the password is stored as an argon2 hash."""
    pw = password or getpass.getpass(f"password for {name}: ")
    if len(pw) < 10:
        raise UsageError("the password is shorter than 10 characters", hint="choose a longer one")
    u = _repo().add_user(
        name, _role(role), pw, now=utcnow(), manager_id=manager, customer_id=customer
    )
    _out.print(f"user {u['name']} ({u['role']}) added")


@user_app.command("list")
def user_list() -> None:
    """List users."""
    for u in _repo().list_users():
        state = "" if u["active"] else "disabled"
        _out.print(
            f"{u['id']:>4}  {u['name']:<20} {u['role']:<10} {u['manager_id'] or '':<8} {state}"
        )


@user_app.command("disable")
def user_disable(name: Annotated[str, typer.Argument(help="User name.")]) -> None:
    """Disable a user: sign-in refused, its tokens stop working at once."""
    _repo().set_active(name, False)
    _out.print(f"user {name} disabled")


@user_app.command("enable")
def user_enable(name: Annotated[str, typer.Argument(help="User name.")]) -> None:
    """Enable a disabled user again."""
    _repo().set_active(name, True)
    _out.print(f"user {name} enabled")


@user_app.command("delete")
def user_delete(name: Annotated[str, typer.Argument(help="User name.")]) -> None:
    """Delete a user (the audit log keeps its name); its tokens stop working at once."""
    _repo().delete_user(name)
    _out.print(f"user {name} deleted")


@key_app.command("create")
def key_create(
    name: Annotated[str, typer.Argument(help="What the key is for (crm, erp ...).")] = "crm",
    role: Annotated[str, typer.Option("--role", help=f"One of {ROLES}.")] = "service",
    manager: Annotated[str | None, typer.Option(help="sales: account-manager id.")] = None,
    customer: Annotated[str | None, typer.Option(help="customer: the customer_id.")] = None,
) -> None:
    """Create an API key and print it once (only its SHA-256 is kept)."""
    key, rec = _repo().create_key(
        name, _role(role), now=utcnow(), manager_id=manager, customer_id=customer
    )
    _out.print(f"API key {rec['id']} for {name} ({rec['role']}); shown once, keep it safe:")
    print(key)


@key_app.command("revoke")
def key_revoke(key_id: Annotated[int, typer.Argument(help="Key id.")]) -> None:
    """Revoke an API key."""
    _repo().revoke_key(key_id, utcnow())
    _out.print(f"API key {key_id} revoked")


@key_app.command("rotate")
def key_rotate(key_id: Annotated[int, typer.Argument(help="Key id.")]) -> None:
    """Revoke a key and print its replacement once (same name, role and binding)."""
    key, rec = _repo().rotate_key(key_id, utcnow())
    _out.print(f"API key {key_id} revoked; new key {rec['id']} for {rec['name']}, shown once:")
    print(key)


@key_app.command("list")
def key_list() -> None:
    """List API keys (prefix only; the key itself is never stored)."""
    for k in _repo().list_keys():
        state = f"revoked {k['revoked_at']:%Y-%m-%d %H:%M}" if k["revoked_at"] else "active"
        _out.print(f"{k['id']:>4}  {k['name']:<20} {k['prefix']}…  {k['role']:<10} {state}")

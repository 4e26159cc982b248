"""What ``tierwise demo`` does to serve the console: an admin login, the policies, the server."""

from __future__ import annotations

import secrets
import shutil
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from tierwise.api.access import Role
from tierwise.api.repos.users import UserRepo
from tierwise.errors import ConflictError

DEMO_ADMIN = "demo-admin"


def demo_admin(engine: Engine, now: datetime) -> tuple[str, str]:
    """Create (or reset) the demo's admin user with a fresh random password, shown once."""
    password = secrets.token_urlsafe(12)
    users = UserRepo(engine)
    try:
        users.add_user(DEMO_ADMIN, Role.ADMIN, password, now=now)
    except ConflictError:
        users.set_password(DEMO_ADMIN, password)
    return DEMO_ADMIN, password


def copy_policies(source: Path, home_policies: Path) -> list[str]:
    """Put the project's policy files where the console edits them (existing files kept)."""
    home_policies.mkdir(parents=True, exist_ok=True)
    copied = []
    for path in sorted(source.glob("*.yaml")):
        target = home_policies / path.name
        if not target.exists():
            shutil.copy(path, target)
            copied.append(path.name)
    return copied

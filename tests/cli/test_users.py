"""`tierwise user disable/enable/delete` and `tierwise apikey rotate/revoke` (issue 17 #8, R-INT-5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tierwise.api.access import Principal, Role
from tierwise.api.repos.users import UserRepo
from tierwise.errors import AuthenticationError
from tierwise.settings import Settings
from tierwise.store.db import make_engine

from .test_runs import tierwise


def test_disable_enable_delete_a_user(tmp_path: Path) -> None:
    add = tierwise(
        "user", "add", "wang", "--role", "analyst", "--password", "x" * 12, home=tmp_path
    )
    assert add.returncode == 0, add.stderr
    users = UserRepo(make_engine(Settings(home=tmp_path).state_url))
    who = Principal("user:wang", Role.ANALYST)
    assert users.current(who).role is Role.ANALYST
    assert tierwise("user", "disable", "wang", home=tmp_path).returncode == 0
    with pytest.raises(AuthenticationError):
        users.current(who)  # a token of wang's stops at once
    with pytest.raises(AuthenticationError):
        users.authenticate("wang", "x" * 12)
    assert "disabled" in tierwise("user", "list", home=tmp_path).stdout
    assert tierwise("user", "enable", "wang", home=tmp_path).returncode == 0
    assert users.current(who).subject == "user:wang"
    assert tierwise("user", "delete", "wang", home=tmp_path).returncode == 0
    with pytest.raises(AuthenticationError):
        users.current(who)
    gone = tierwise("user", "delete", "wang", home=tmp_path)
    assert gone.returncode != 0 and "no user 'wang'" in gone.stderr
    assert "Traceback" not in gone.stderr


def test_rotate_and_revoke_a_key(tmp_path: Path) -> None:
    made = tierwise("apikey", "create", "crm", "--role", "service", home=tmp_path)
    old = made.stdout.strip().splitlines()[-1]
    users = UserRepo(make_engine(Settings(home=tmp_path).state_url))
    assert users.principal_for_key(old).role is Role.SERVICE
    rotated = tierwise("apikey", "rotate", "1", home=tmp_path)
    assert rotated.returncode == 0, rotated.stderr
    new = rotated.stdout.strip().splitlines()[-1]
    assert new.startswith("tw_") and new != old
    with pytest.raises(AuthenticationError):
        users.principal_for_key(old)
    assert users.principal_for_key(new).subject == "key:crm"
    listed = tierwise("apikey", "list", home=tmp_path).stdout
    assert "revoked" in listed and "active" in listed
    assert tierwise("apikey", "revoke", "2", home=tmp_path).returncode == 0
    with pytest.raises(AuthenticationError):
        users.principal_for_key(new)

"""Credentials: secrets refused outside development, tokens expire, passwords hashed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tierwise.api.access import Principal, Role
from tierwise.api.app import create_app
from tierwise.api.auth import (
    DEV_SECRET,
    hash_api_key,
    hash_password,
    issue_token,
    read_token,
    signing_key,
    utcnow,
    verify_password,
)
from tierwise.errors import AuthenticationError, ConfigError
from tierwise.settings import Settings


@pytest.mark.parametrize("secret", ["", DEV_SECRET, "short"])
def test_production_refuses_a_default_or_weak_secret(secret: str) -> None:
    with pytest.raises(ConfigError, match="TIERWISE_SECRET_KEY"):
        create_app(Settings(env="production", secret_key=secret))


def test_development_falls_back_to_the_dev_secret() -> None:
    assert signing_key(Settings(env="development")) == DEV_SECRET
    strong = "x" * 40
    assert signing_key(Settings(env="production", secret_key=strong)) == strong


def test_tokens_round_trip_and_expire() -> None:
    p = Principal("user:a", Role.SALES, manager_id="AM001")
    now = utcnow()
    assert read_token(issue_token(p, "k" * 32, now=now, minutes=5), "k" * 32) == p
    old = issue_token(p, "k" * 32, now=now - timedelta(hours=2), minutes=5)
    with pytest.raises(AuthenticationError, match="expired"):
        read_token(old, "k" * 32)
    with pytest.raises(AuthenticationError, match="not valid"):
        read_token(issue_token(p, "other" * 8, now=now, minutes=5), "k" * 32)


def test_passwords_and_keys_are_not_stored_in_clear() -> None:
    h = hash_password("correct horse")
    assert h.startswith("$argon2id$") and "correct" not in h
    assert verify_password(h, "correct horse") and not verify_password(h, "wrong")
    assert not verify_password("not a hash", "x")
    assert len(hash_api_key("tw_abc")) == 64

"""Credentials: argon2 password hashes, JWT access tokens, API keys hashed at rest.

Passwords are slow-hashed with argon2 (argon2-cffi). API keys are 32 random bytes, so a
single SHA-256 is enough to store them safely and lets a request be checked with one indexed
lookup. Access tokens are HS256 JWTs signed with ``TIERWISE_SECRET_KEY``.
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from tierwise.api.access import Principal, Role
from tierwise.errors import AuthenticationError, ConfigError
from tierwise.settings import Settings

DEV_SECRET = "tierwise-development-secret-do-not-use-in-production"
KEY_PREFIX = "tw_"
_ALGORITHM = "HS256"
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (never raises on a mismatch)."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def signing_key(settings: Settings) -> str:
    """The JWT key; refuses a missing or weak one outside development and tests."""
    key = settings.secret_key
    if settings.env in ("development", "test"):
        return key or DEV_SECRET
    if not key or key == DEV_SECRET or len(key) < 32:
        raise ConfigError(
            f"TIERWISE_SECRET_KEY is {'empty' if not key else 'too weak'} with env={settings.env}",
            hint="set TIERWISE_SECRET_KEY to at least 32 random characters (openssl rand -hex 32)",
            setting="secret_key",
        )
    return key


def is_loopback(host: str) -> bool:
    """Whether ``host`` is only reachable from this machine (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serving_secret_warning(settings: Settings, host: str) -> str | None:
    """Refuse to serve on a non-loopback ``host`` with the key written in the source.

    Without ``TIERWISE_SECRET_KEY`` (or with a weak one) anybody who reads the source can sign
    an admin token, so ``serve`` refuses any address other machines reach (issue 17 #3); on
    loopback it is allowed for development and returns a warning to print.
    """
    key = settings.secret_key
    weak = not key or key == DEV_SECRET or len(key) < 32
    if not weak:
        return None
    if not is_loopback(host):
        raise ConfigError(
            f"refusing to serve on {host} without a strong TIERWISE_SECRET_KEY "
            f"({'unset' if not key else 'too weak'}: tokens would be signed with a public key)",
            hint="set TIERWISE_SECRET_KEY to at least 32 random characters (openssl rand -hex 32)",
            setting="secret_key",
            host=host,
        )
    return (
        "warning: TIERWISE_SECRET_KEY is not set (or weak): tokens are signed with the "
        "development key from the source; fine on loopback, never expose this service"
    )


def issue_token(principal: Principal, key: str, *, now: datetime, minutes: int) -> str:
    """A signed access token for ``principal`` valid for ``minutes``."""
    claims: dict[str, Any] = {
        "sub": principal.subject,
        "role": principal.role.value,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=minutes)).timestamp()),
    }
    if principal.manager_id:
        claims["mgr"] = principal.manager_id
    if principal.customer_id:
        claims["cust"] = principal.customer_id
    return jwt.encode(claims, key, algorithm=_ALGORITHM)


def read_token(token: str, key: str) -> Principal:
    """The principal a valid token names; :class:`AuthenticationError` otherwise."""
    try:
        claims = jwt.decode(
            token, key, algorithms=[_ALGORITHM], options={"require": ["sub", "role", "exp"]}
        )
        role = Role(claims["role"])
    except jwt.ExpiredSignatureError:
        raise AuthenticationError("the access token has expired", hint="sign in again") from None
    except (jwt.InvalidTokenError, ValueError):
        raise AuthenticationError(
            "the access token is not valid", hint="sign in at POST /auth/token"
        ) from None
    return Principal(str(claims["sub"]), role, claims.get("mgr"), claims.get("cust"))


def new_api_key() -> str:
    """A fresh API key (shown once, never stored in clear)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    """What is stored of an API key: its SHA-256 in hex."""
    return hashlib.sha256(key.encode()).hexdigest()


def utcnow() -> datetime:
    """Now, in UTC without a zone (how the store keeps times)."""
    return datetime.now(UTC).replace(tzinfo=None)

"""Personal answer links of a survey wave (R-OPS-8, issue 26): a signed, single-customer,
expiring token that lets a customer answer without a login (docs/surveys.md#answer-links).

A token is ``v1.<payload>.<signature>``: the payload is the base64url of the JSON
``{"w": wave id, "c": customer id, "e": expiry (Unix seconds)}``, the signature the
base64url of HMAC-SHA256 over ``v1.<payload>`` with the secret from the settings
(``TIERWISE_SURVEY_LINK_SECRET``; never in code, never in the store). Whoever holds the link
may answer for that one customer in that one wave until it expires: the link is the
credential, as with a password-reset link. It is checked in constant time; a token that
does not parse, whose signature does not match (tampered, or signed with another secret) or
that has expired is refused. A token can be opened many times but answers once: the answer
goes through the same checks as a file or the API (one answer per customer per wave), so a
reused link is refused with "a second answer". The payload is not secret (it carries the
customer's code, not their name).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass

from tierwise.errors import ConfigError, PermissionDeniedError

VERSION = "v1"
MIN_SECRET = 32  # characters of the link secret


class LinkError(PermissionDeniedError):
    """A survey link that is not valid (malformed, tampered) or no longer valid
    (``expired``)."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


@dataclass(frozen=True)
class Link:
    wave_id: int
    customer_id: str
    expires_at: dt.datetime  # naive UTC


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def check_secret(secret: str) -> bytes:
    """The secret as bytes; a missing or short secret is a configuration error."""
    if len(secret) < MIN_SECRET:
        raise ConfigError(
            "survey answer links need a secret of at least 32 characters",
            hint="set TIERWISE_SURVEY_LINK_SECRET (e.g. `openssl rand -hex 32`)",
        )
    return secret.encode()


def _sign(key: bytes, body: str) -> str:
    return _b64(hmac.new(key, f"{VERSION}.{body}".encode(), hashlib.sha256).digest())


def make_token(secret: str, wave_id: int, customer_id: str, expires_at: dt.datetime) -> str:
    """The token of ``customer_id``'s link to answer ``wave_id`` until ``expires_at``."""
    key = check_secret(secret)
    exp = int(expires_at.replace(tzinfo=dt.UTC).timestamp())
    body = _b64(
        json.dumps({"w": wave_id, "c": customer_id, "e": exp}, separators=(",", ":")).encode()
    )
    return f"{VERSION}.{body}.{_sign(key, body)}"


def read_token(secret: str, token: str, *, now: dt.datetime) -> Link:
    """The wave and customer of a valid ``token`` at ``now`` (naive UTC); :class:`LinkError`
    for a malformed, tampered or expired one."""
    key = check_secret(secret)
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != VERSION or len(token) > 1000:
        raise LinkError("this link is not valid")
    body, sig = parts[1], parts[2]
    if not hmac.compare_digest(_sign(key, body), sig):
        raise LinkError("this link is not valid")
    try:
        data = json.loads(_unb64(body))
        link = Link(
            int(data["w"]),
            str(data["c"]),
            dt.datetime.fromtimestamp(int(data["e"]), dt.UTC).replace(tzinfo=None),
        )
    except (ValueError, KeyError, TypeError) as err:  # signed but not ours: still refused
        raise LinkError("this link is not valid") from err
    if now >= link.expires_at:
        raise LinkError(f"this link expired on {link.expires_at:%Y-%m-%d %H:%M} UTC", expired=True)
    return link

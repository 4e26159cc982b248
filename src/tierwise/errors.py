"""One error hierarchy for Tierwise.

Every error carries structured fields and a message that says what failed, the value and the
fix. The CLI prints ``str(err)`` on one line and exits non-zero; the API maps the class to an
HTTP status in one handler.
"""

from __future__ import annotations

import re
from typing import Any

# SQL a database driver puts into its messages: never shown to API callers or stored as a
# run's public error (issue 17 #10); the full text goes to the service's log instead
_SQL = re.compile(
    r"\[SQL:|\[parameters:|\b(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\S+\s+SET|DELETE\s+FROM|"
    r"CREATE\s+TABLE|COPY\s+\S+.*\sFROM\s+STDIN)\b",
    re.DOTALL,  # keywords in capitals, as drivers quote SQL: "select a tier from" is prose
)


def has_sql(text: str) -> bool:
    """Whether ``text`` quotes a SQL statement (or a driver's ``[SQL: ...]`` block)."""
    return bool(_SQL.search(text))


def public_text(text: str) -> str:
    """``text`` cut before the first SQL it quotes (what an API caller may read)."""
    m = _SQL.search(text)
    if m is None:
        return text
    head = text[: m.start()].rstrip(" \n:([")
    return (head + " " if head else "") + "(database details in the service log)"


def describe(err: BaseException) -> str:
    """A one-line public description of an unexpected error: its class and message, no SQL."""
    first = str(err).strip().splitlines()[0] if str(err).strip() else ""
    return public_text(f"{type(err).__name__}: {first}" if first else type(err).__name__)


class TierwiseError(Exception):
    """Base of every error Tierwise raises on purpose.

    Parameters
    ----------
    message:
        What failed, in one sentence, naming the value that was wrong.
    hint:
        What to do about it (optional).
    **fields:
        Structured context (file, row, column, value, expected, key path ...), kept for the
        API's error body and for tests.
    """

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.fields = fields

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message

    def to_dict(self) -> dict[str, Any]:
        """The error as a JSON-able body: type, message, hint and fields."""
        return {
            "error": type(self).__name__,
            "message": self.message,
            "hint": self.hint,
            **{k: v for k, v in self.fields.items() if v is not None},
        }


class UsageError(TierwiseError):
    """A command or request was called with arguments that do not fit."""

    exit_code = 2


class ConfigError(TierwiseError):
    """Settings are missing or wrong."""

    exit_code = 2


class DataError(TierwiseError):
    """Input data does not fit the canonical model (names file, row, column, value, expected)."""

    exit_code = 3


class PolicyError(TierwiseError):
    """A grading policy is invalid (names file and key path; may carry several problems)."""

    exit_code = 4


class NotFoundError(TierwiseError):
    """A requested object (customer, run, policy ...) does not exist."""

    exit_code = 5


class AuthenticationError(TierwiseError):
    """No credentials, or credentials that are wrong, expired or revoked (HTTP 401)."""

    exit_code = 6


class PermissionDeniedError(TierwiseError):
    """The caller is known but its role may not do this (HTTP 403)."""

    exit_code = 6


class ConflictError(TierwiseError):
    """The request clashes with the current state: a name taken, a run already running (409)."""

    exit_code = 2


class RateLimitedError(TierwiseError):
    """Too many attempts in a short time (HTTP 429 with ``Retry-After``: ``retry_after`` s)."""

    exit_code = 6

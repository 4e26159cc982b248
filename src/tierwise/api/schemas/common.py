"""Shared pieces: strict scalar types, pages."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    field_validator,
)

T = TypeVar("T")

MAX_PAGE_SIZE = 500
#: the longest run id a route accepts: the store's ``runs.id`` column (String(120)); the ids
#: the system issues (``<as_of>-<policy name up to 80>-<time>``) are at most 111 characters
RUN_ID_MAX = 120


def _integer(value: Any) -> Any:
    """JSON's idea of an integer: 3 and 3.0, never ``true`` or ``"3"`` (pydantic's strict mode
    refuses 3.0, which JSON Schema calls an integer; its lax mode takes ``true``)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("Input should be a valid integer")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("Input should be a valid integer, got a number with a fraction")
        return int(value)
    return value


StrictInt = Annotated[int, BeforeValidator(_integer)]
StrictBool = Annotated[bool, Strict()]
StrictFloat = Annotated[float, Strict()]  # takes 3 and 3.0, refuses true and "3"


def _utc(value: datetime) -> datetime:
    """The store keeps naive UTC times; answers carry the zone (RFC 3339 ``+00:00``)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Timestamp = Annotated[datetime, AfterValidator(_utc)]


class Input(BaseModel):
    """Base of request bodies: unknown keys are refused, and the scalars are strict."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        # PostgreSQL stores neither NUL characters nor lone UTF-16 surrogates
        if isinstance(value, str):
            if "\x00" in value:
                raise ValueError("text must not contain NUL characters")
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("text must be valid Unicode (no lone surrogates)") from None
        return value


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(description="Rows matching the filters")
    offset: int
    limit: int


def _iso_date(value: Any) -> Any:
    """A day in JSON or a query string is ``YYYY-MM-DD`` text (pydantic's lax mode would take
    ``0`` or ``"0"`` as 1970-01-01)."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        raise ValueError("Input should be a date as YYYY-MM-DD")
    return value


#: a day given as YYYY-MM-DD text (request bodies and query parameters)
IsoDate = Annotated[date, BeforeValidator(_iso_date)]


def _iso_datetime(value: Any) -> Any:
    """A moment in JSON or a query string is ISO 8601 text (pydantic's lax mode would take
    ``0`` or ``"0"`` as the epoch)."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and re.match(r"\d{4}-\d{2}-\d{2}", value.strip()):
        return value
    raise ValueError("Input should be a date and time as ISO 8601 text")


#: a moment given as ISO 8601 text, e.g. 2026-11-03T09:30:00+08:00
IsoDatetime = Annotated[datetime, BeforeValidator(_iso_datetime)]

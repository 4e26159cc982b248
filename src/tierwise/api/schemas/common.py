"""Shared pieces: strict scalar types, pages."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, Strict

T = TypeVar("T")

MAX_PAGE_SIZE = 500
StrictInt = Annotated[int, Strict()]
StrictBool = Annotated[bool, Strict()]
StrictFloat = Annotated[float, Strict()]


class Input(BaseModel):
    """Base of request bodies: unknown keys are refused, and the scalars are strict."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(description="Rows matching the filters")
    offset: int
    limit: int

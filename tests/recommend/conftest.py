"""A synthetic book with known structure, built once per module (tests/recommend/synthbook.py)."""

from __future__ import annotations

import pytest

from tierwise.recommend.book import Book

from .synthbook import make_book


@pytest.fixture(scope="package")
def book() -> Book:
    return make_book()[0]

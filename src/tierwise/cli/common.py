"""Helpers the store-backed commands share: the upgraded store, now, who acts, dates."""

from __future__ import annotations

import datetime as dt
import getpass

from sqlalchemy import Engine

from tierwise.errors import UsageError
from tierwise.settings import get_settings
from tierwise.store.db import make_engine
from tierwise.store.migrate import upgrade


def store_engine() -> Engine:
    """The operational store of the settings, upgraded to the latest migration."""
    engine = make_engine(get_settings().state_url)
    upgrade(engine)
    return engine


def utcnow() -> dt.datetime:
    """Now in UTC, naive (as the store keeps times)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def actor() -> str:
    """``cli:<login name>``: who made a change from the command line."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name (some containers)
        return "cli"


def parse_date(value: str | None, option: str = "--as-of") -> dt.date | None:
    """``value`` as a date (``None`` stays ``None``); a one-line error naming the option."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{option} {value!r} is not a date", hint="use YYYY-MM-DD") from None

"""Deleting an audience in use is refused with its users listed (issue 20 item 4): an
experiment's population, a survey wave, a visit plan (logged in ``audience_deliveries``) and a
campaign not ended; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert

from pg import pg_engine
from tierwise.errors import ConflictError, NotFoundError
from tierwise.store.db import make_engine, sqlite_url
from tierwise.store.migrate import upgrade
from tierwise.store.schema import AudienceDelivery, Campaign, Experiment
from tierwise.tags.audience import Frame
from tierwise.tags.service import (
    AudienceSpec,
    audience_users,
    delete_audience,
    get_audience,
    save_audience,
)
from tierwise.tags.snapshot import Snapshot

NOW = dt.datetime(2025, 7, 1, 9)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """The root ``engine`` fixture's two stores (tests/tags/conftest.py has SQLite only),
    migrated."""
    if request.param == "sqlite":
        eng = make_engine(sqlite_url(tmp_path / "state.db"))
        upgrade(eng)
        yield eng
        eng.dispose()
        return
    pg = pg_engine()
    eng = next(pg)
    try:
        upgrade(eng)
        yield eng
    finally:
        pg.close()


def _experiment(code: str, audience: str, status: str) -> dict[str, object]:
    design = {"code": code, "population": {"audience": audience, "tiers": ["A"]}}
    return {"code": code, "name": code, "design": design, "status": status, "metric": "spend",
            "created_at": NOW, "created_by": "user:a"}  # fmt: skip


def _delivery(audience: str, target: str) -> dict[str, object]:
    return {"audience": audience, "version": 1, "as_of": NOW.date(), "run_id": "r1",
            "snapshot_as_of": NOW.date(), "members": 2, "target": target, "actor": "user:a",
            "at": NOW}  # fmt: skip


def _campaign(name: str, audience: str, status: str) -> dict[str, object]:
    return {"name": name, "title": name, "audience": audience, "status": status, "spec": {},
            "salt": "s", "budget_fen": 100, "holdout_share": 0.1, "created_at": NOW,
            "created_by": "user:a"}  # fmt: skip


@pytest.fixture
def used(engine: Engine, snapshot: Snapshot) -> Engine:
    """Audience ``hp`` used by everything; ``free`` only exported, pushed, or used by a
    stopped experiment and an ended campaign."""
    f = Frame(snapshot, None)
    for name in ("hp", "free"):
        save_audience(engine, AudienceSpec(name, "biz_chain"), f, author="user:a", now=NOW)
    with engine.begin() as conn:
        conn.execute(insert(Experiment), [
            _experiment("E2", "hp", "running"), _experiment("E1", "hp", "draft"),
            _experiment("E3", "hp", "stopped"), _experiment("E4", "free", "stopped"),
            _experiment("E5", "other", "running"),
        ])  # fmt: skip
        conn.execute(insert(AudienceDelivery), [
            _delivery("hp", "visit:2025-07-02"), _delivery("hp", "survey:3"),
            _delivery("hp", "survey:3"), _delivery("hp", "csv"),
            _delivery("free", "csv"), _delivery("free", "webhook"), _delivery("free", "xlsx"),
        ])  # fmt: skip
        conn.execute(insert(Campaign), [
            _campaign("summer", "hp", "active"), _campaign("autumn", "hp", "paused"),
            _campaign("spring", "hp", "ended"), _campaign("old", "free", "ended"),
        ])  # fmt: skip
    return engine


def test_deleting_an_audience_in_use_is_refused_with_its_users(used: Engine) -> None:
    users = ["experiment:E1", "experiment:E2", "survey:3", "visit:2025-07-02",
             "campaign:autumn", "campaign:summer"]  # fmt: skip
    assert audience_users(used, "hp") == users
    with pytest.raises(ConflictError) as err:
        delete_audience(used, "hp", NOW)
    assert err.value.message == f"audience 'hp' is in use by {', '.join(users)}"
    assert err.value.fields["users"] == users
    assert get_audience(used, "hp")["name"] == "hp"  # nothing deleted


def test_exports_stopped_experiments_and_ended_campaigns_do_not_block(used: Engine) -> None:
    assert audience_users(used, "free") == []
    delete_audience(used, "free", NOW)
    with pytest.raises(NotFoundError):
        get_audience(used, "free")

"""`surveys sample` and `visits plan` with --audience (issue 20): the members as of the day,
the list's source printed, an audience matching nobody warned about."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import insert

from tierwise.engines import open_backend
from tierwise.settings import Settings
from tierwise.store.db import make_engine
from tierwise.store.migrate import upgrade
from tierwise.store.schema import CustomerProfile, CustomerTier
from tierwise.tags.audience import Frame
from tierwise.tags.service import AudienceSpec, save_audience
from tierwise.tags.snapshot import compute_snapshot
from tinylake import small_book

from .test_runs import tierwise

AS_OF = dt.date(2025, 6, 30)
NOW = dt.datetime(2025, 7, 1)


def _home(home: Path) -> None:
    """c0..c5 (c_i spent 5 400 i² yuan) tiered gold under AM1; audiences big (c2..c5), none."""
    small_book(home / "lake")
    snap = compute_snapshot(open_backend("duckdb"), home / "lake", home, AS_OF, now=NOW)
    engine = make_engine(Settings(home=home).state_url)
    upgrade(engine)
    ids = [f"c{i}" for i in range(6)]
    with engine.begin() as conn:
        conn.execute(insert(CustomerTier), [
            {"customer_id": c, "tier": "gold", "score": 1.0, "run_id": "r1", "since": AS_OF,
             "updated_at": NOW} for c in ids])  # fmt: skip
        conn.execute(insert(CustomerProfile), [
            {"customer_id": c, "name": c, "account_manager": "AM1", "refreshed_at": NOW}
            for c in ids])  # fmt: skip
    f = Frame(snap, None)
    save_audience(engine, AudienceSpec("big", "spend_365d >= 20000"), f, author="u", now=NOW)
    save_audience(engine, AudienceSpec("none", "spend_365d < 0"), f, author="u", now=NOW)
    engine.dispose()


def test_sample_and_plan_take_an_audience(tmp_path: Path) -> None:
    _home(tmp_path)
    pol = tmp_path / "surveys.yaml"
    pol.write_text("name: t\nquotas: {gold: 10}\ncooldown_days: 0\n", encoding="utf-8")
    day = ("--day", "2025-06-30")
    wave = tierwise("surveys", "sample", *day, "--policy", str(pol), "--audience", "big",
                    home=tmp_path)  # fmt: skip
    assert wave.returncode == 0, wave.stderr
    assert "4 customers sampled" in wave.stdout
    assert "audience big version 1 as of 2025-06-30: 4 members" in wave.stdout
    empty = tierwise("surveys", "sample", *day, "--policy", str(pol), "--audience", "none",
                     home=tmp_path)  # fmt: skip
    assert empty.returncode == 0, empty.stderr
    assert "0 customers sampled" in empty.stdout
    assert "warning: audience 'none' (version 1) matches nobody" in empty.stdout
    plan = tierwise("visits", "plan", *day, "--audience", "big", home=tmp_path)
    assert plan.returncode == 0, plan.stderr
    assert "4 of them for the audience's members" in plan.stdout

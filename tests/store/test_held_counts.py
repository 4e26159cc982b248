"""A run's held counts and migration are recorded at publication and equal what counting the
tier history gives (issue 18 item 1, R-ANA-1..3): the dashboard reads them instead of
scanning the whole history on every cold render."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlalchemy import Engine, select, update

from tierwise.api.access import Scope
from tierwise.api.repos.analytics import AnalyticsRepo
from tierwise.store.held import migration_counts, tier_counts
from tierwise.store.migrate import upgrade
from tierwise.store.runs import RunStore
from tierwise.store.schema import CustomerProfile, CustomerTier, Run, TierChange

from .test_runs import run_once


def _book(engine: Engine) -> list[str]:
    """Four monthly runs over 300 customers with grace-period downgrades, new customers and
    a real-time change between runs; returns the run ids."""
    upgrade(engine)
    store = RunStore(engine)
    rng = random.Random(5)
    ids = []
    for k, month_end in enumerate(
        [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)]
    ):
        scores = {f"c{i:03d}": rng.uniform(0, 100) for i in range(200 + 30 * k)}
        run_id = f"r{k + 1}"
        run_once(store, run_id, month_end, scores)
        ids.append(run_id)
        # a real-time regrade after the run: history and state change together
        when = datetime.combine(month_end, datetime.min.time()) + timedelta(days=3)
        with engine.begin() as conn:
            cur = conn.execute(
                select(CustomerTier.tier).where(CustomerTier.customer_id == "c007")
            ).scalar_one()
            new = "bronze" if cur != "bronze" else "gold"
            conn.execute(
                update(CustomerTier).where(CustomerTier.customer_id == "c007").values(tier=new)
            )
            conn.execute(
                TierChange.__table__.insert().values(
                    customer_id="c007", run_id=None, from_tier=cur, to_tier=new,
                    changed_at=when, effective=when.date(), reason_code="event", reason={},
                )
            )  # fmt: skip
    return ids


def test_recorded_counts_and_migration_equal_counting_the_history(engine: Engine) -> None:
    ids = _book(engine)
    with engine.connect() as conn:
        runs = {
            r.id: r
            for r in conn.execute(
                select(Run.id, Run.published_at, Run.held_counts, Run.held_from_run,
                       Run.held_migration)
            )
        }  # fmt: skip
        for prev, run_id in zip([None, *ids], ids, strict=False):
            r = runs[run_id]
            assert r.held_counts == tier_counts(conn, r.published_at)
            assert sum(r.held_counts.values()) == 200 + 30 * (ids.index(run_id))
            if prev is None:
                assert r.held_from_run is None and r.held_migration is None
                continue
            assert r.held_from_run == prev
            expected = migration_counts(conn, runs[prev].published_at, r.published_at)
            assert [tuple(m) for m in r.held_migration] == expected
            # the real-time change after the previous run is in this run's migration's "from"
            assert sum(n for _, _, n in expected) == 200 + 30 * (ids.index(prev))


def test_the_repository_reads_recorded_figures_and_counts_older_runs(engine: Engine) -> None:
    ids = _book(engine)
    repo = AnalyticsRepo(engine)
    recorded = repo.over_runs(12)
    migration = repo.migration(ids[-2], ids[-1])
    across = repo.migration(ids[0], ids[-1])  # not a recorded pair: counted
    with engine.begin() as conn:  # runs published before migration 0018: nothing recorded
        conn.execute(update(Run).values(held_counts=None, held_from_run=None, held_migration=None))
        across_counted = migration_counts(
            conn,
            *(conn.execute(select(Run.published_at).where(Run.id == i)).scalar_one()
              for i in (ids[0], ids[-1])),
        )  # fmt: skip
    fresh = AnalyticsRepo(engine)
    assert fresh.over_runs(12) == recorded
    assert fresh.migration(ids[-2], ids[-1]) == migration
    assert [(m["from_tier"], m["to_tier"], m["customers"]) for m in across] == across_counted
    assert [r["run_id"] for r in recorded] == ids


def test_one_scan_gives_value_provinces_and_cuisines(engine: Engine) -> None:
    upgrade(engine)
    rng = random.Random(9)
    now = datetime(2026, 5, 1)
    with engine.begin() as conn:
        conn.execute(
            CustomerProfile.__table__.insert(),
            [
                {
                    "customer_id": f"c{i}",
                    "name": f"店{i}",
                    "tier": rng.choice(["gold", "silver", "bronze", None]),
                    "province": rng.choice(["四川", "重庆", None]),
                    "cuisine": rng.choice(["川菜", "火锅", None]),
                    "spend_365d": rng.choice([None, round(rng.uniform(0, 9e4), 2)]),
                    "ltv": rng.choice([None, round(rng.uniform(0, 2e5), 2)]),
                    "account_manager": rng.choice(["m1", "m2"]),
                    "refreshed_at": now,
                }
                for i in range(500)
            ],
        )
    repo = AnalyticsRepo(engine)
    for sc in (Scope(), Scope(account_manager="m1")):
        got = repo.profile_summary(sc)

        def by_tier(rows: list[dict[str, object]]) -> dict[object, dict[str, object]]:
            return {r["tier"]: r for r in rows}

        assert by_tier(got["value"]).keys() == by_tier(repo.value_by_tier(sc)).keys()
        for tier, want in by_tier(repo.value_by_tier(sc)).items():
            have = by_tier(got["value"])[tier]
            assert have["customers"] == want["customers"]
            for k in ("spend_365d_total", "spend_365d_avg", "ltv_total", "ltv_avg"):
                assert (have[k] is None) == (want[k] is None), k
                if want[k] is not None:
                    assert abs(float(have[k]) - float(want[k])) < 0.02, k  # type: ignore[arg-type]
        for dim in ("province", "cuisine"):
            key = lambda r: (r["key"], str(r["tier"]))  # noqa: E731
            assert sorted(got[dim], key=key) == sorted(repo.distribution(dim, sc), key=key)

"""The one writer of tier state (issue 16): a publication and a real-time regrade both call the
operations modules' hooks in their own transaction, and a failing hook writes nothing."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import Connection, Engine, func, select

from tierwise.store import tier_writer
from tierwise.store.migrate import upgrade
from tierwise.store.runs import Assignment, Cutoff, RunStore
from tierwise.store.schema import OutboxMessage, TierChange
from tierwise.store.tier_writer import TierWrite
from tierwise.store.webhooks import register_webhook
from tierwise.tierstate.decide import StabilityRule

CUTS = [Cutoff("gold", 0, 70.0), Cutoff("silver", 1, 40.0), Cutoff("bronze", 2, None)]


def _publish(store: RunStore, run_id: str, as_of: date, scores: dict[str, float]) -> None:
    store.begin(
        run_id,
        policy_name="p",
        policy_hash="h",
        as_of=as_of,
        data_fingerprint="f",
        started_at=datetime(2026, 1, 1),
    )
    tier = {c: "gold" if s >= 70 else "silver" if s >= 40 else "bronze" for c, s in scores.items()}
    store.publish(
        run_id,
        [Assignment(c, tier[c], s) for c, s in scores.items()],
        CUTS,
        rule=StabilityRule(),
        now=datetime.combine(as_of, datetime.min.time()),
    )


def test_a_publication_calls_the_hooks_in_its_transaction(engine: Engine) -> None:
    upgrade(engine)
    register_webhook(
        engine, name="crm", url="http://127.0.0.1:9/hook", secret="s" * 16, now=datetime(2026, 1, 1)
    )
    seen: list[tuple[str, list[str], list[tuple[str, str | None, str | None]], int]] = []

    def grants(conn: Connection, write: TierWrite) -> None:
        # what a benefits module sees: the changes, and the history already written beside them
        written = conn.execute(select(func.count()).select_from(TierChange)).scalar_one()
        rows = write.changes.select(["customer_id", "from_tier", "to_tier"]).to_pylist()
        seen.append(
            (
                write.source,
                sorted(write.customers.to_pylist()),
                [(r["customer_id"], r["from_tier"], r["to_tier"]) for r in rows],
                written,
            )
        )

    store = RunStore(engine)
    with tier_writer.hook("grants", grants):
        _publish(store, "r1", date(2026, 1, 31), {"a": 80, "b": 50})
        _publish(store, "r2", date(2026, 2, 28), {"a": 80, "b": 90})
    _publish(store, "r3", date(2026, 3, 31), {"a": 10, "b": 90})  # unregistered: not called
    assert seen == [
        ("run", ["a", "b"], [("a", None, "gold"), ("b", None, "silver")], 2),
        ("run", ["a", "b"], [("b", "silver", "gold")], 3),
    ]
    with engine.connect() as conn:  # the outbox got the same changes (one message per run)
        assert conn.execute(select(func.count()).select_from(OutboxMessage)).scalar_one() == 2


def test_a_failing_hook_publishes_nothing(engine: Engine) -> None:
    upgrade(engine)
    store = RunStore(engine)
    _publish(store, "r1", date(2026, 1, 31), {"a": 80})

    def broken(conn: Connection, write: TierWrite) -> None:
        raise RuntimeError("credit terms service down")

    with tier_writer.hook("terms", broken), pytest.raises(RuntimeError, match="credit terms"):
        _publish(store, "r2", date(2026, 2, 28), {"a": 10, "b": 90})
    assert store.tiers() == {"a": "gold"}
    current = store.current_run()
    assert current is not None and current.id == "r1"
    assert [h.run_id for h in store.history("a")] == ["r1"]

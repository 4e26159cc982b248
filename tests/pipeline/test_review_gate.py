"""Publication gated by a spot check (issue 23 item 4, R-GRD-11): a run of a policy with a
``review:`` block waits as ``awaiting_review``, its proposed changes sampled for review, and
is published, with every side effect of a publication exactly once, when released."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, func, insert, select

from tierwise.errors import ConflictError
from tierwise.experiments import spotcheck
from tierwise.pipeline.publish import grade_and_publish
from tierwise.pipeline.review import GATE_ACTOR, gate, release_run
from tierwise.policy import DEFAULT_POLICY, Policy, load_policy
from tierwise.policy.load import policy_hash
from tierwise.policy.schema import Review
from tierwise.store import tier_writer
from tierwise.store.migrate import upgrade
from tierwise.store.runs import RunStore
from tierwise.store.schema import OutboxMessage, TierChange, Webhook
from tierwise.store.tier_writer import TierWrite
from tinylake import ts, write_lake


class Clock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(seconds=1)
        return self.now


def _orders(last: dt.datetime, per_customer: dict[int, int]) -> list[dict[str, Any]]:
    return [
        {"order_id": f"o{i}-{k}-{last:%m%d}", "customer_id": f"c{i}",
         "order_time": last - dt.timedelta(days=6 * k), "amount": 800 * i}
        for i, n in per_customer.items()
        for k in range(n)
    ]  # fmt: skip


def _gated(**review: Any) -> Policy:
    return load_policy(DEFAULT_POLICY).model_copy(update={"review": Review(**review)})


@pytest.fixture
def store(engine: Engine) -> Engine:
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(Webhook).values(
                name="crm", url="http://crm.invalid/hook", secret="s", events=["tier.changed"],
                active=True, created_at=dt.datetime(2026, 1, 1),
            )
        )  # fmt: skip
    return engine


def _lake(tmp_path: Path) -> Path:
    customers = [{"customer_id": f"c{i}"} for i in range(8)]
    orders = _orders(ts(2025, 6, 25), {i: 4 * i for i in range(1, 8)})
    return write_lake(tmp_path / "lake", {"customers": customers, "orders": orders})


def _count(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _review_all(engine: Engine, run_id: str, verdict: str = "agree") -> None:
    check = gate(engine, run_id)["check"]
    for item in check["items"]:
        spotcheck.review(
            engine, item["id"], verdict, reason="应为白银" if verdict == "disagree" else None,
            reviewer="user:ana", now=dt.datetime(2026, 1, 2),
        )  # fmt: skip


def test_a_gated_run_waits_then_its_release_publishes_it_once(
    store: Engine, tmp_path: Path
) -> None:
    lake, runs, clock = _lake(tmp_path), tmp_path / "runs", Clock(dt.datetime(2026, 1, 1))
    writes: list[TierWrite] = []

    def hook(_conn: Connection, write: TierWrite) -> None:
        writes.append(write)

    with tier_writer.hook("test-gate", hook):
        held = grade_and_publish(
            _gated(per_stratum=2), as_of=dt.date(2025, 6, 30), lake=lake, runs=runs,
            engine=store, clock=clock,
        )  # fmt: skip
        run_id = held.result.run_id
        rs = RunStore(store)
        # held: no tier, no change, no webhook message, no hook call
        assert held.summary.held and held.summary.changes == {"initial": 6}
        assert rs.run(run_id).status == "awaiting_review"
        assert rs.current_run() is None and rs.tiers() == {}
        assert _count(store, TierChange) == 0 and _count(store, OutboxMessage) == 0
        assert writes == []
        # the proposed changes are sampled: 2 per (direction, tier)
        g = gate(store, run_id)
        check = g["check"]
        assert check["created_by"] == GATE_ACTOR and check["status"] == "open"
        tiers = {i["to_tier"] for i in check["items"]}
        assert all(i["stratum"].startswith("new:") for i in check["items"])
        assert len(check["items"]) == sum(
            min(2, n)
            for n in _proposed_per_tier(held.output.store_assignments().to_pylist()).values()
        )
        assert g["unreviewed"] == len(check["items"]) > 0 and tiers

        # a release before every verdict is refused, and writes nothing
        first = check["items"][0]
        spotcheck.review(store, first["id"], "agree", reason=None, reviewer="user:ana",
                         now=dt.datetime(2026, 1, 2))  # fmt: skip
        with pytest.raises(ConflictError) as refused:
            release_run(store, run_id, runs=runs, lake=lake, actor="user:boss", clock=clock)
        assert refused.value.fields["code"] == "spot_check_not_finished"
        assert refused.value.fields["unreviewed"] == len(check["items"]) - 1
        assert rs.run(run_id).status == "awaiting_review" and rs.tiers() == {}
        assert writes == [] and _count(store, OutboxMessage) == 0

        _review_all_left(store, run_id)
        done = release_run(store, run_id, runs=runs, lake=lake, actor="user:boss", clock=clock)
        assert done.summary.changes == {"initial": 6} and done.check_id == check["id"]
        run = rs.run(run_id)
        assert run.status == "published" and run.published_at is not None
        assert run.counts["review"]["released_by"] == "user:boss"
        assert run.counts["review"]["agreement"] == 1.0
        assert "proposed" not in run.counts and run.counts["graded"] == 6
        graded = {r["customer_id"]: r["tier"] for r in held.output.store_assignments().to_pylist()}
        assert rs.tiers() == graded
        # what the charts count for it is recorded at release, as at a direct publication
        assert run.held_counts == _proposed_per_tier(
            [{"tier": t} for t in graded.values() if t is not None]
        )
        assert rs.current_run() is not None and rs.current_run().id == run_id  # type: ignore[union-attr]
        # every side effect exactly once: history, one webhook message, one hook call
        assert _count(store, TierChange) == 6 and _count(store, OutboxMessage) == 1
        assert len(writes) == 1 and writes[0].source == "run" and writes[0].changes.num_rows == 6

        # a second release is refused: nothing written twice
        with pytest.raises(ConflictError) as again:
            release_run(store, run_id, runs=runs, lake=lake, actor="user:boss", clock=clock)
        assert again.value.fields["code"] == "run_not_awaiting_review"
        assert _count(store, TierChange) == 6 and _count(store, OutboxMessage) == 1
        assert len(writes) == 1


def _proposed_per_tier(rows: list[dict[str, Any]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in rows:
        out[r["tier"]] = out.get(r["tier"], 0) + 1
    return out


def _review_all_left(engine: Engine, run_id: str) -> None:
    for item in gate(engine, run_id)["check"]["items"]:
        if item["verdict"] is None:
            spotcheck.review(engine, item["id"], "agree", reason=None, reviewer="user:bo",
                             now=dt.datetime(2026, 1, 2))  # fmt: skip


def test_a_newer_publication_supersedes_an_older_held_run(store: Engine, tmp_path: Path) -> None:
    lake, runs, clock = _lake(tmp_path), tmp_path / "runs", Clock(dt.datetime(2026, 1, 1))
    gated = _gated(per_stratum=1)
    old = grade_and_publish(
        gated, as_of=dt.date(2025, 6, 29), lake=lake, runs=runs, engine=store, clock=clock
    ).result.run_id
    new = grade_and_publish(
        gated, as_of=dt.date(2025, 6, 30), lake=lake, runs=runs, engine=store, clock=clock
    ).result.run_id
    rs = RunStore(store)
    assert rs.run(old).status == rs.run(new).status == "awaiting_review"
    _review_all(store, new)
    release_run(store, new, runs=runs, lake=lake, actor="user:boss", clock=clock)
    assert rs.run(new).status == "published"
    superseded = rs.run(old)
    assert superseded.status == "superseded" and new in (superseded.error or "")
    _review_all(store, old)
    with pytest.raises(ConflictError) as refused:
        release_run(store, old, runs=runs, lake=lake, actor="user:boss", clock=clock)
    assert refused.value.fields["code"] == "run_not_awaiting_review"
    assert rs.current_run().id == new  # type: ignore[union-attr]

    # an ungated run published directly supersedes a held one started before it
    held = grade_and_publish(
        gated, as_of=dt.date(2025, 6, 30), lake=lake, runs=runs, engine=store, clock=clock
    ).result.run_id
    direct = grade_and_publish(
        load_policy(DEFAULT_POLICY), as_of=dt.date(2025, 6, 30), lake=lake, runs=runs,
        engine=store, clock=clock,
    ).result.run_id  # fmt: skip
    assert rs.run(held).status == "superseded" and rs.run(direct).status == "published"


def test_agreement_below_the_policy_minimum_is_not_released(store: Engine, tmp_path: Path) -> None:
    lake, runs, clock = _lake(tmp_path), tmp_path / "runs", Clock(dt.datetime(2026, 1, 1))
    run_id = grade_and_publish(
        _gated(per_stratum=3, min_agreement=0.9), as_of=dt.date(2025, 6, 30), lake=lake,
        runs=runs, engine=store, clock=clock,
    ).result.run_id  # fmt: skip
    _review_all(store, run_id, "disagree")
    with pytest.raises(ConflictError) as refused:
        release_run(store, run_id, runs=runs, lake=lake, actor="user:boss", clock=clock)
    assert refused.value.fields["code"] == "spot_check_agreement_too_low"
    assert refused.value.fields["agreement"] == 0.0
    assert RunStore(store).run(run_id).status == "awaiting_review"
    assert RunStore(store).tiers() == {}


def test_a_held_run_that_changes_nobody_has_a_finished_empty_check(
    store: Engine, tmp_path: Path
) -> None:
    lake, runs, clock = _lake(tmp_path), tmp_path / "runs", Clock(dt.datetime(2026, 1, 1))
    grade_and_publish(
        load_policy(DEFAULT_POLICY), as_of=dt.date(2025, 6, 30), lake=lake, runs=runs,
        engine=store, clock=clock,
    )  # fmt: skip
    before = RunStore(store).tiers()
    held = grade_and_publish(
        _gated(), as_of=dt.date(2025, 6, 30), lake=lake, runs=runs, engine=store, clock=clock
    )
    assert held.summary.held and held.summary.changes == {}
    check = gate(store, held.result.run_id)["check"]
    assert check["status"] == "finished" and check["items"] == []
    released = release_run(
        store, held.result.run_id, runs=runs, lake=lake, actor="user:boss", clock=clock
    )
    assert released.summary.changes == {} and RunStore(store).tiers() == before
    assert RunStore(store).current_run().id == held.result.run_id  # type: ignore[union-attr]


def test_an_unused_review_block_keeps_the_policy_hash() -> None:
    """Policies without ``review:`` hash as before the key existed (their runs' hashes)."""
    policy = load_policy(DEFAULT_POLICY)
    assert policy.review is None
    data = policy.model_dump(mode="json")
    data.pop("review")
    for level in data["tiers"]["levels"]:
        if not level.get("benefits"):
            level.pop("benefits", None)
    if not data["stability"].get("benefit_grace_days"):
        data["stability"].pop("benefit_grace_days", None)
    blob = json.dumps(data, sort_keys=True, ensure_ascii=False).encode("utf-8")
    assert policy_hash(policy) == hashlib.sha256(blob).hexdigest()
    assert policy_hash(policy) != policy_hash(_gated())


def test_a_backfill_does_not_publish_a_gated_policy(store: Engine, tmp_path: Path) -> None:
    from tierwise.errors import UsageError
    from tierwise.pipeline.backfill import backfill

    with pytest.raises(UsageError, match="review: block"):
        backfill(
            _gated(), [dt.date(2025, 6, 30)], lake=_lake(tmp_path), runs=tmp_path / "runs",
            engine=store, publish=True,
        )  # fmt: skip
    assert _count(store, TierChange) == 0


def test_four_eyes_refuses_a_reviewer_and_lets_another_release(
    store: Engine, tmp_path: Path
) -> None:
    """R-GRD-11: under ``review.four_eyes`` whoever reviewed the sample may not release it."""
    lake, runs, clock = _lake(tmp_path), tmp_path / "runs", Clock(dt.datetime(2026, 1, 1))
    run_id = grade_and_publish(
        _gated(per_stratum=2, four_eyes=True), as_of=dt.date(2025, 6, 30), lake=lake,
        runs=runs, engine=store, clock=clock,
    ).result.run_id  # fmt: skip
    _review_all(store, run_id)
    with pytest.raises(ConflictError) as refused:
        release_run(store, run_id, runs=runs, lake=lake, actor="user:ana", clock=clock)
    assert refused.value.fields["code"] == "four_eyes_required"
    assert refused.value.fields["reviewers"] == ["user:ana"]
    assert RunStore(store).run(run_id).status == "awaiting_review"
    assert RunStore(store).tiers() == {}
    released = release_run(store, run_id, runs=runs, lake=lake, actor="user:boss", clock=clock)
    assert RunStore(store).run(run_id).status == "published" and released.summary.changes


def test_without_four_eyes_a_reviewer_may_release(store: Engine, tmp_path: Path) -> None:
    lake, runs, clock = _lake(tmp_path), tmp_path / "runs", Clock(dt.datetime(2026, 1, 1))
    run_id = grade_and_publish(
        _gated(per_stratum=2), as_of=dt.date(2025, 6, 30), lake=lake, runs=runs,
        engine=store, clock=clock,
    ).result.run_id  # fmt: skip
    _review_all(store, run_id)
    release_run(store, run_id, runs=runs, lake=lake, actor="user:ana", clock=clock)
    assert RunStore(store).run(run_id).status == "published"


def test_four_eyes_off_keeps_the_hash_of_a_gated_policy() -> None:
    assert policy_hash(_gated(four_eyes=False)) == policy_hash(_gated())
    assert policy_hash(_gated(four_eyes=True)) != policy_hash(_gated())

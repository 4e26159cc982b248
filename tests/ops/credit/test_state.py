"""Credit terms in the store (R-OPS-4, issue 22 items 2-3): the tier-writer hook writes terms
in the publication's transaction with history and ERP events; the order check, holds released
on payment, finance overrides with a second approver."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pandas as pd
import pytest
from sqlalchemy import Engine, func, select

from tierwise.errors import ConflictError, NotFoundError
from tierwise.ops.credit import service
from tierwise.ops.credit.policy import load_credit_policy
from tierwise.ops.credit.state import HOOK, TERMS_EVENT, install
from tierwise.store import tier_writer
from tierwise.store.migrate import upgrade
from tierwise.store.runs import Assignment, Cutoff, RunStore
from tierwise.store.schema import AuditEntry, CreditTerms, CreditTermsChange, OutboxMessage
from tierwise.store.webhooks import register_webhook
from tierwise.tierstate.decide import StabilityRule

POLICY = load_credit_policy()
CUTS = [Cutoff("platinum", 0, 70.0), Cutoff("gold", 1, 40.0), Cutoff("bronze", 2, None)]
D = dt.date


def _accounts(engine: Engine, rows: dict[str, dict[str, float]], as_of: dt.date) -> None:
    frame = pd.DataFrame(
        [
            {"customer_id": c, "pd": r.get("pd", 0.01), "reasons": json.dumps([]),
             "spend_90d": r.get("spend", 30_000.0), "unsettled": r.get("unsettled", 0.0),
             "prepaid_balance": r.get("prepaid", 0.0), "overdue_amount": r.get("overdue", 0.0),
             "overdue_1_30": 0.0, "overdue_31_60": r.get("overdue", 0.0), "overdue_61_90": 0.0,
             "overdue_over_90": 0.0, "max_days_overdue": int(r.get("days", 0))}
            for c, r in rows.items()
        ]
    )  # fmt: skip
    with engine.begin() as conn:
        service.write_accounts(conn, frame, as_of, "test", dt.datetime(2026, 1, 1))


def _publish(store: RunStore, run_id: str, as_of: dt.date, scores: dict[str, float]) -> None:
    store.begin(run_id, policy_name="p", policy_hash="h", as_of=as_of, data_fingerprint="f",
                started_at=dt.datetime(2026, 1, 1))  # fmt: skip
    tier = {
        c: "platinum" if s >= 70 else "gold" if s >= 40 else "bronze" for c, s in scores.items()
    }
    store.publish(
        run_id,
        [Assignment(c, tier[c], s) for c, s in scores.items()],
        CUTS,
        rule=StabilityRule(),
        now=dt.datetime.combine(as_of, dt.time()),
    )


@pytest.fixture
def hooked(engine: Engine) -> Engine:
    upgrade(engine)
    install(POLICY)
    yield engine
    install(None)


def _terms(engine: Engine) -> dict[str, tuple[str, str | None]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(CreditTerms.customer_id, CreditTerms.terms, CreditTerms.pending_terms)
        )
        return {r[0]: (r[1], r[2]) for r in rows}


def test_terms_follow_a_publication_in_its_transaction(hooked: Engine) -> None:
    register_webhook(hooked, name="erp", url="http://127.0.0.1:9/hook", secret="s" * 16,
                     now=dt.datetime(2026, 1, 1), events=(TERMS_EVENT,))  # fmt: skip
    _accounts(hooked, {"a": {"pd": 0.01}, "b": {"pd": 0.6}}, D(2026, 1, 30))
    store = RunStore(hooked)
    _publish(store, "r1", D(2026, 1, 31), {"a": 80, "b": 80})
    # both platinum; b is high risk: weekly, not monthly (R-OPS-4)
    assert _terms(hooked) == {"a": ("monthly", None), "b": ("weekly", None)}
    # b's risk falls, a's rises: a looser change at once for b, a notice for a
    _accounts(hooked, {"a": {"pd": 0.6}, "b": {"pd": 0.01}}, D(2026, 2, 27))
    _publish(store, "r2", D(2026, 2, 28), {"a": 80, "b": 80})
    assert _terms(hooked) == {"a": ("monthly", "weekly"), "b": ("monthly", None)}
    # the notice runs out 14 days later: the next publication puts it in force
    _publish(store, "r3", D(2026, 3, 15), {"a": 80, "b": 80})
    assert _terms(hooked)["a"] == ("weekly", None)
    with hooked.connect() as conn:
        hist = conn.execute(
            select(CreditTermsChange.customer_id, CreditTermsChange.change, CreditTermsChange.to_terms,
                   CreditTermsChange.effective, CreditTermsChange.run_id)
            .order_by(CreditTermsChange.id)
        ).all()  # fmt: skip
        events = conn.execute(
            select(OutboxMessage.payload).where(OutboxMessage.event_type == TERMS_EVENT)
        ).scalars().all()  # fmt: skip
    assert [tuple(h) for h in hist] == [
        ("a", "new", "monthly", D(2026, 1, 31), "r1"),
        ("b", "new", "weekly", D(2026, 1, 31), "r1"),
        ("a", "notice", "weekly", D(2026, 3, 14), "r2"),
        ("b", "looser", "monthly", D(2026, 2, 28), "r2"),
        ("a", "stricter", "weekly", D(2026, 3, 15), "r3"),
    ]
    assert [(e["customer_id"], e["change"]) for e in events] == [
        ("a", "new"), ("b", "new"), ("a", "notice"), ("b", "looser"), ("a", "stricter"),
    ]  # fmt: skip


def test_a_failing_terms_write_publishes_no_tiers(hooked: Engine) -> None:
    store = RunStore(hooked)
    _publish(store, "r1", D(2026, 1, 31), {"a": 80})
    with tier_writer.hook(HOOK, lambda conn, write: 1 / 0), pytest.raises(ZeroDivisionError):
        _publish(store, "r2", D(2026, 2, 28), {"a": 10})
    assert store.tiers() == {"a": "platinum"}


def test_order_check_holds_and_releases_on_payment(hooked: Engine) -> None:
    store = RunStore(hooked)
    _accounts(hooked, {"a": {"pd": 0.01, "unsettled": 12_000.0},
                       "late": {"pd": 0.01, "overdue": 800.0, "unsettled": 800.0, "days": 45}},
              D(2026, 1, 30))  # fmt: skip
    _publish(store, "r1", D(2026, 1, 31), {"a": 80, "late": 80})
    now = dt.datetime(2026, 2, 1, 9)
    with hooked.begin() as conn:
        # limit 15 000 − 12 000 unsettled = 3 000 available
        ok = service.check(conn, POLICY, "a", Decimal("2000"), now)
        assert ok.allow and ok.available == Decimal("3000.00")
        # 2 000 is frozen now: 1 000 left; 1 500 is 500 over
        held = service.check(conn, POLICY, "a", Decimal("1500"), now)
        assert not held.allow and held.amount_over == Decimal("500.00")
        assert [h.kind for h in held.holds] == ["over_limit"]
        assert "超出 500.00 元" in held.holds[0].reason["zh"]
        late = service.check(conn, POLICY, "late", Decimal("10"), now)
        assert not late.allow and [h.kind for h in late.holds] == ["overdue"]
        assert {h["customer_id"] for h in service.list_holds(conn)} == {"a", "late"}
        # paying the overdue amount releases the hold; the next order passes
        service.record_payment(conn, POLICY, "late", Decimal("800"), now)
        assert {h["customer_id"] for h in service.list_holds(conn)} == {"a"}
        assert service.check(conn, POLICY, "late", Decimal("10"), now).allow
        with pytest.raises(NotFoundError):
            service.check(conn, POLICY, "nobody", Decimal("10"), now)


def test_overrides_need_a_second_approver_above_the_amount_and_are_audited(hooked: Engine) -> None:
    _accounts(hooked, {"a": {"pd": 0.01, "unsettled": 15_000.0}}, D(2026, 1, 30))
    _publish(RunStore(hooked), "r1", D(2026, 1, 31), {"a": 80})
    now = dt.datetime(2026, 2, 1, 9)
    with hooked.begin() as conn:
        assert not service.check(conn, POLICY, "a", Decimal("60000"), now).allow
        big = service.request_override(conn, POLICY, "a", Decimal("60000"), "trusted chain",
                                       "user:fin1", "risk", now)  # fmt: skip
        assert big["status"] == "pending"
        assert not service.check(conn, POLICY, "a", Decimal("60000"), now).allow
        with pytest.raises(ConflictError, match="second approver"):
            service.approve_override(conn, big["id"], "user:fin1", "risk", now)
        assert (
            service.approve_override(conn, big["id"], "user:fin2", "risk", now)["status"]
            == "approved"
        )
        passed = service.check(conn, POLICY, "a", Decimal("60000"), now)
        assert passed.allow and passed.overridden
        assert service.override_row(conn, big["id"])["status"] == "used"  # once
        assert not service.check(conn, POLICY, "a", Decimal("60000"), now).allow
        small = service.request_override(
            conn, POLICY, "a", Decimal("100"), "ok", "user:fin1", "risk", now
        )
        assert small["status"] == "approved"
        actions = conn.execute(select(AuditEntry.action)).scalars().all()
        assert actions.count("credit.override") == 2 and "credit.override.approve" in actions
        assert conn.execute(select(func.count()).select_from(CreditTerms)).scalar_one() == 1


def test_a_realtime_regrade_recomputes_only_the_regraded_customers(hooked: Engine) -> None:
    _accounts(hooked, {"a": {"pd": 0.1}, "b": {"pd": 0.1}}, D(2026, 1, 30))
    store = RunStore(hooked)
    _publish(store, "r1", D(2026, 1, 31), {"a": 10, "b": 10})  # both bronze-medium: prepaid
    assert _terms(hooked) == {"a": ("prepaid", None), "b": ("prepaid", None)}
    now = dt.datetime(2026, 2, 2, 10)
    state = {"customer_id": "a", "tier": "platinum", "score": 90.0, "run_id": "r1",
             "since": D(2026, 2, 2), "runs_below": 0, "below_since": None,
             "downgrade_warning": False, "updated_at": now}  # fmt: skip
    change = {"customer_id": "a", "run_id": "r1", "from_tier": "bronze", "to_tier": "platinum",
              "changed_at": now, "effective": D(2026, 2, 2), "reason_code": "upgrade",
              "reason": {"why": "late order"}}  # fmt: skip
    with hooked.begin() as conn:
        tier_writer.write_regrade(conn, "r1", [state], [change], now)
        rows = conn.execute(
            select(CreditTermsChange.customer_id, CreditTermsChange.source)
            .where(CreditTermsChange.source == "realtime")
        ).all()  # fmt: skip
    # a's upgrade to platinum loosens its terms at once (medium risk: semimonthly); b is untouched
    assert _terms(hooked) == {"a": ("semimonthly", None), "b": ("prepaid", None)}
    assert [tuple(r) for r in rows] == [("a", "realtime")]

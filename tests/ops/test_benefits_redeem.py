"""The redemption check (R-OPS-2): back-dated uses within a grant's validity are accepted, so a
distributor's history of redemptions (the generator's benefit_redemptions) can be loaded."""

from __future__ import annotations

from datetime import date

from tierwise.ops.benefits.decide import ACTIVE, EXPIRED, REVOKED, Grant
from tierwise.ops.benefits.redeem import Redemption, check

COUPON = {"amount_yuan": "50", "per_month": 1}


def _grant(gid: int, start: date, until: date | None, status: str) -> Grant:
    return Grant(gid, "coupon_allowance", "coupon_allowance", COUPON, "gold", start, until, status)


def test_a_back_dated_use_within_an_ended_grant_is_accepted() -> None:
    q1 = _grant(1, date(2026, 1, 1), date(2026, 4, 1), EXPIRED)
    q2 = _grant(2, date(2026, 4, 1), date(2026, 7, 1), REVOKED)
    for day, expected in ((date(2026, 3, 31), 1), (date(2026, 1, 1), 1), (date(2026, 6, 30), 2)):
        grant, reason = check(Redemption("C1", "coupon_allowance", day), [q1, q2], 0)
        assert reason is None and grant is not None and grant.id == expected, (day, reason)


def test_a_use_outside_every_grant_is_refused_with_the_reason() -> None:
    q1 = _grant(1, date(2026, 1, 1), date(2026, 4, 1), EXPIRED)
    grant, reason = check(Redemption("C1", "coupon_allowance", date(2026, 4, 1)), [q1], 0)
    assert grant is None and reason is not None and "expired, ended on 2026-04-01" in reason
    grant, reason = check(Redemption("C1", "coupon_allowance", date(2025, 12, 31)), [q1], 0)
    assert grant is None and reason is not None and "starts on 2026-01-01" in reason


def test_an_active_grant_is_used_before_an_ended_one_and_the_allowance_still_holds() -> None:
    old = _grant(1, date(2026, 1, 1), date(2026, 9, 1), REVOKED)
    now = _grant(2, date(2026, 8, 1), None, ACTIVE)
    grant, reason = check(Redemption("C1", "coupon_allowance", date(2026, 8, 15)), [old, now], 0)
    assert reason is None and grant is not None and grant.id == 2
    grant, reason = check(Redemption("C1", "coupon_allowance", date(2026, 3, 5)), [old, now], 1)
    assert grant is None and reason is not None and "allowance of 1 a month" in reason

"""The periodic report's benefits section (R-OPS-2, issue 21 item 1): use and cost per month ×
benefit × tier to the run's day, equal to the ledger's rows, with totals per benefit × tier."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest

import tierwise.pipeline  # noqa: F401  (registers the benefits hook)
from tierwise.errors import ConflictError
from tierwise.ops.benefits.decide import BenefitPlan, PlanBenefit
from tierwise.ops.benefits.ledger import store_plan, usage
from tierwise.ops.benefits.redeem import Redemption, redeem
from tierwise.ops.benefits.report import report_section
from tierwise.store.db import make_engine, sqlite_url
from tierwise.store.migrate import upgrade
from tierwise.store.runs import Assignment, Cutoff, RunStore
from tierwise.tierstate.decide import StabilityRule

PLAN = BenefitPlan(
    ("gold", "bronze"),
    {
        "gold": (
            PlanBenefit(
                "coupon_allowance", "coupon_allowance", {"amount_yuan": "50", "per_month": 2}
            ),
        ),
        "bronze": (PlanBenefit("custom_selection", "custom_selection", {}),),
    },
)
LABELS = {"gold": {"zh": "黄金", "en": "Gold"}, "bronze": {"zh": "青铜", "en": "Bronze"}}
NOW = dt.datetime(2026, 12, 1)


def test_the_section_equals_the_ledger_per_month_benefit_and_tier(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "s.db"))
    upgrade(engine)
    store_plan(engine, "h", "p", PLAN, dt.datetime(2026, 9, 1))
    store = RunStore(engine)
    store.begin("r1", policy_name="p", policy_hash="h", as_of=dt.date(2026, 9, 30),
                data_fingerprint="f", started_at=dt.datetime(2026, 10, 1))  # fmt: skip
    store.publish("r1", [Assignment("C1", "gold", 90.0), Assignment("C2", "gold", 80.0),
                         Assignment("C3", "bronze", 10.0)],
                  [Cutoff("gold", 0, 50.0), Cutoff("bronze", 1, None)], rule=StabilityRule(),
                  now=dt.datetime(2026, 10, 1, 3))  # fmt: skip
    uses = [("C1", "coupon_allowance", dt.date(2026, 10, 5), "50"),
            ("C1", "coupon_allowance", dt.date(2026, 11, 5), "50"),
            ("C2", "coupon_allowance", dt.date(2026, 11, 6), "45.50"),
            ("C3", "custom_selection", dt.date(2026, 11, 7), "12")]  # fmt: skip
    for k, (c, b, day, cost) in enumerate(uses):
        redeem(engine, Redemption(c, b, day, 1, Decimal(cost), None, f"r{k}"), actor="t",
               now=NOW)  # fmt: skip
    with pytest.raises(ConflictError):  # C3 (青铜) has no coupon: refused, nothing written
        redeem(engine, Redemption("C3", "coupon_allowance", dt.date(2026, 11, 7), 1,
                                  Decimal(50), None, "r9"), actor="t", now=NOW)  # fmt: skip
    as_of = dt.date(2026, 11, 30)
    rows = usage(engine, as_of + dt.timedelta(days=1) - dt.timedelta(days=90), as_of)
    html = str(report_section(engine, as_of=as_of, lang="zh", labels=LABELS))
    assert "权益使用与成本" in html
    body = re.findall(r"<tr><td>(\d{4}-\d{2})</td><td>([^<]+)</td><td>([^<]+)</td><td>(\d+)</td>"
                      r"<td>(\d+)</td><td>([\d,.]+)</td><td>(\d+)</td></tr>", html)  # fmt: skip
    assert len(body) == len(rows) == 3
    got = {(m, b, t): (int(n), Decimal(cost.replace(",", ""))) for m, b, t, n, _, cost, _ in body}
    assert got[("2026-11", "优惠券额度", "黄金")] == (2, Decimal("95.50"))
    assert got[("2026-10", "优惠券额度", "黄金")] == (1, Decimal("50.00"))
    assert got[("2026-11", "定制选品", "青铜")] == (1, Decimal("12.00"))
    assert sum(c for _, c in got.values()) == sum(r["cost"] for r in rows) == Decimal("157.50")
    # the totals per benefit × tier, then the grand total
    assert "<td>优惠券额度</td><td>黄金</td><td>3</td><td>3</td><td>145.50</td>" in html
    assert "<td>合计</td><td></td><td>4</td><td>4</td><td>157.50</td>" in html
    en = str(report_section(engine, as_of=as_of, lang="en", labels=LABELS))
    assert "Benefit use and cost" in en and "<td>Coupon allowance</td><td>Gold</td>" in en
    empty = str(report_section(engine, as_of=dt.date(2026, 8, 31), lang="zh", labels=LABELS))
    assert "这段时间没有权益使用记录" in empty

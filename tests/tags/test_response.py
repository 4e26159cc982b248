"""营销响应 and rebate tags from the operations history, worked out by hand (issue 20):
only rows on or before as_of count, and a book without those tables still gets every other
tag with these marked unavailable (R-FEA-8, R-DAT-2)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from tierwise.engines import open_backend
from tierwise.features.sources import open_lake
from tierwise.tags.catalog import TAG_CATALOG
from tierwise.tags.compute import tag_frame
from tierwise.tags.inputs import tag_tables
from tierwise.tags.snapshot import compute_snapshot, snapshot_for
from tinylake import ts, write_lake

AS_OF = dt.date(2025, 6, 30)
D = dt.date


def _coupon(i: int, c: str, issued: dt.date, used: bool) -> dict[str, Any]:
    return {"coupon_id": f"CP{i}", "customer_id": c, "campaign_id": "MJ", "issued_date": issued,
            "expires_date": issued + dt.timedelta(days=13), "value": 20, "threshold": 300,
            "redeemed_order_id": "o1" if used else None, "redeemed_amount": 20 if used else 0}  # fmt: skip


def _survey(i: int, c: str, sent: dt.date, score: int | None) -> dict[str, Any]:
    return {"survey_id": f"SV{i}", "customer_id": c, "sent_date": sent,
            "answered": score is not None, "score": score}  # fmt: skip


def _rebate(c: str, start: dt.date, end: dt.date, amount: float) -> dict[str, Any]:
    return {"customer_id": c, "period_start": start, "period_end": end, "basis": amount * 100,
            "percent": 1.0, "amount": amount}  # fmt: skip


def _use(i: int, c: str, day: dt.date) -> dict[str, Any]:
    return {"redemption_id": f"R{i}", "grant_id": "G1", "customer_id": c, "benefit": "cp",
            "used_on": day, "quantity": 1, "cost": 20, "order_id": None}  # fmt: skip


def ops_rows() -> dict[str, list[dict[str, Any]]]:
    """c1 orders on 2025-03-10 and 2025-06-05; c2 never orders and never answers."""
    visit = {"manager_id": "AM1", "kind": "visit"}
    return {
        "customers": [{"customer_id": "c1"}, {"customer_id": "c2"}],
        "orders": [
            {"order_id": "o1", "customer_id": "c1", "order_time": ts(2025, 3, 10), "amount": 500},
            {"order_id": "o2", "customer_id": "c1", "order_time": ts(2025, 6, 5), "amount": 500},
        ],
        "coupons": [
            _coupon(1, "c1", D(2025, 5, 1), True),  # settled, used
            _coupon(2, "c1", D(2025, 6, 1), False),  # settled, not used
            _coupon(3, "c1", D(2025, 6, 25), True),  # still valid at as_of: no outcome yet
            _coupon(4, "c1", D(2025, 7, 5), True),  # after as_of
            _coupon(5, "c2", D(2025, 4, 1), False),
            _coupon(6, "c2", D(2025, 5, 1), False),
        ],
        "campaign_touches": [
            {"campaign_id": f"K{i}", "customer_id": "c1", "touch_date": d, "channel": "app"}
            for i, d in enumerate(
                # 06-01: order 06-05 (responded); 02-01: none in 14 days; 06-20: too recent
                # to judge; 07-01: after as_of
                [D(2025, 6, 1), D(2025, 2, 1), D(2025, 6, 20), D(2025, 7, 1)]
            )
        ],
        "visits": [
            {"visit_id": "V1", "customer_id": "c1", "visit_date": D(2025, 6, 1), **visit},
            {"visit_id": "V2", "customer_id": "c1", "visit_date": D(2025, 4, 1), **visit},
            {"visit_id": "V3", "customer_id": "c1", "visit_date": D(2025, 7, 2), **visit},
        ],
        "survey_answers": [
            _survey(1, "c1", D(2025, 3, 15), 10),
            _survey(2, "c1", D(2025, 6, 15), 4),
            _survey(3, "c1", D(2025, 7, 1), 10),  # after as_of
            _survey(4, "c2", D(2025, 3, 15), None),
            _survey(5, "c2", D(2025, 6, 15), None),
        ],
        "rebate_accruals": [
            _rebate("c1", D(2024, 1, 1), D(2024, 3, 31), 50),  # over 365 days ago
            _rebate("c1", D(2025, 1, 1), D(2025, 3, 31), 300),
            _rebate("c1", D(2025, 4, 1), D(2025, 6, 30), 800),  # accrued on as_of
            _rebate("c1", D(2025, 7, 1), D(2025, 9, 30), 900),  # after as_of
        ],
        "benefit_redemptions": [_use(1, "c1", D(2025, 6, 10)), _use(2, "c2", D(2025, 7, 3))],
    }


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    lake = write_lake(tmp_path_factory.mktemp("ops") / "lake", ops_rows())
    tables = open_lake(open_backend("duckdb"), lake, tag_tables())
    return {r["entity_id"]: r for r in tag_frame(tables, AS_OF).to_pyarrow().to_pylist()}


def test_coupon_sensitivity_counts_settled_coupons_only(rows: dict[str, dict[str, Any]]) -> None:
    c1, c2 = rows["c1"], rows["c2"]
    assert (c1["i_coupons_settled_lookback"], c1["i_coupons_redeemed_lookback"]) == (2, 1)
    assert c1["coupon_rate"] == 0.5 and c1["coupon_sensitivity"] == "mid"
    assert c1["coupon_user"] is True and c1["coupon_ignorer"] is False
    assert c2["coupon_sensitivity"] == "low" and c2["coupon_ignorer"] is True


def test_campaign_and_visit_response(rows: dict[str, dict[str, Any]]) -> None:
    c1, c2 = rows["c1"], rows["c2"]
    assert c1["i_campaign_touches_lookback"] == 3 and c1["i_campaign_response_rate"] == 0.5
    assert c1["campaign_response"] == "mid" and c1["campaign_touched"] is True
    # 04-01 is 91 days before as_of: outside the 90 days, still judged (no order in 14 days)
    assert c1["i_visits_90d"] == 1 and c1["visited_90d"] is True
    assert c1["i_days_since_visit"] == 29 and c1["visit_recency"] == "d30"
    assert c1["i_visit_order_rate"] == 0.5 and c1["visit_response"] == "mid"
    assert c2["visited_90d"] is False and c2["visit_recency"] is None
    assert c2["visit_response"] is None and c2["campaign_response"] is None


def test_last_nps_answer_and_silence(rows: dict[str, dict[str, Any]]) -> None:
    c1, c2 = rows["c1"], rows["c2"]
    assert c1["nps_score"] == 4 and c1["nps_answer"] == "detractor"
    assert c1["nps_answer_detractor"] is True and c1["nps_answer_promoter"] is False
    assert c1["survey_silent"] is False
    assert c2["nps_score"] is None and c2["nps_answer"] is None and c2["survey_silent"] is True


def test_rebate_earned_and_benefit_use(rows: dict[str, dict[str, Any]]) -> None:
    c1, c2 = rows["c1"], rows["c2"]
    assert c1["rebate_365d"] == 1100 and c1["rebate"] == "r2" and c1["rebate_ever"] is True
    assert c2["rebate"] == "none" and c2["rebate_ever"] is False
    assert c1["benefit_user"] is True and c2["benefit_user"] is False


def test_each_new_tag_names_its_table_and_refreshes_daily() -> None:
    for code, table in [("coupon_user", "coupons"), ("visit_response", "visits"),
                        ("nps_answer", "survey_answers"), ("rebate", "rebate_accruals")]:  # fmt: skip
        t = TAG_CATALOG[code]
        assert t.group == ("value" if code == "rebate" else "response")
        assert t.name_zh and t.name_en and t.definition and t.refresh == "daily"
        from tierwise.tags.catalog import input_table

        assert {input_table(i) for i in t.inputs} == {table}


@pytest.fixture(scope="module")
def tx_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The home of a snapshot of a transaction-log book (customers and orders only)."""
    tmp = tmp_path_factory.mktemp("tx")
    ops = ops_rows()
    lake = write_lake(tmp / "lake", {"customers": ops["customers"], "orders": ops["orders"]},
                      only=True)  # fmt: skip
    compute_snapshot(open_backend("duckdb"), lake, tmp / "home", AS_OF, now=dt.datetime(2025, 7, 1))
    return tmp / "home"


def test_a_transaction_log_book_marks_the_operations_tags_unavailable(tx_home: Path) -> None:
    snap = snapshot_for(tx_home)
    gone = snap.unavailable
    assert gone["coupon_user"] == ["coupons (not in the lake)"]
    assert gone["nps_answer"] == ["survey_answers (not in the lake)"]
    assert {"rebate", "visit_response", "campaign_response", "benefit_user"} <= set(gone)
    assert "recency" not in gone and "freq_90d" not in gone
    c1 = {r["entity_id"]: r for r in pq.read_table(snap.file).to_pylist()}["c1"]
    # unknown, not "no": empty values, while the order tags are computed
    assert c1["coupon_user"] is None and c1["rebate"] is None and c1["i_visits_90d"] is None
    assert c1["recency"] == "d30" and c1["freq_365d"] == "low"


def test_health_and_the_360_view_say_unavailable(tx_home: Path, tmp_path: Path) -> None:
    from tierwise.store.db import make_engine
    from tierwise.store.migrate import upgrade
    from tierwise.tags.profile import customer_tags, health_rows

    home = tx_home
    engine = make_engine(f"sqlite:///{tmp_path / 'state.db'}")
    upgrade(engine)
    health = {r["code"]: r for r in health_rows(home, engine)[0]}
    assert health["coupon_user"]["warning"] == "unavailable"
    assert health["coupon_user"]["unavailable"] == ["coupons (not in the lake)"]
    assert health["recency"]["warning"] is None
    tags = {t["code"]: t for g in customer_tags(home, engine, "c1", every=True) for t in g["tags"]}
    assert tags["nps_answer"]["why"] == "unavailable: survey_answers (not in the lake)"
    assert tags["recency"]["unavailable"] is None


def test_an_audience_reading_an_unavailable_tag_is_warned(tx_home: Path) -> None:
    from tierwise.tags.audience import Frame, evaluate

    r = evaluate(Frame(snapshot_for(tx_home), None), "coupon_user or recency_d30")
    assert r["count"] == 1 and r["unavailable"] == ["coupon_user"]
    assert "cannot compute" in r["warning"] and "coupon_user" in r["warning"]

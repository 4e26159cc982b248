"""Returns and complaint tickets in the world's window, moved by service level (issue 15 #2).

R-OPS-8 (NPS / service) and R-ANA-6 (return and complaint rates per tier) are measured on them.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from tierwise.world import parse_plan, simulate


@pytest.fixture(scope="module")
def served(book: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world-service")
    plan = {
        "start": "2026-11-01", "days": 90, "seed": 9,
        "arms": [
            {"name": "service", "share": 0.5,
             "treatment": {"kind": "service_level", "priority_delivery": True,
                           "complaint_hours": 4}},
            {"name": "control", "rest": True},
        ],
    }  # fmt: skip
    simulate(book, parse_plan(plan), out)
    return out


def _q(sql: str) -> tuple[float, ...]:
    row = duckdb.sql(sql).fetchone()
    assert row is not None
    return tuple(row)


def test_the_window_has_returns_and_tickets_like_the_book(book: Path, served: Path) -> None:
    w, b = served / "lake", book / "lake"
    n_ret, bad_order, early, late = _q(
        f"""select count(*), count(*) filter (where o.order_id is null),
                   count(*) filter (where r.return_time < o.order_time),
                   count(*) filter (where r.return_time >= timestamp '2027-01-30')
            from '{w}/returns/*.parquet' r left join '{w}/orders/*.parquet' o using (order_id)"""
    )
    assert n_ret > 100 and bad_order == 0 and early == 0 and late == 0
    rate_window = n_ret / pq.ParquetDataset(w / "orders").read(columns=["order_id"]).num_rows
    rate_book = (
        pq.ParquetDataset(b / "returns").read(columns=["return_id"]).num_rows
        / pq.ParquetDataset(b / "orders").read(columns=["order_id"]).num_rows
    )
    assert 0.6 < rate_window / rate_book < 1.2  # the same model; priority delivery lowers it
    (outside,) = _q(
        f"""select count(*) filter (where created_time < timestamp '2026-11-01'
                                    or created_time >= timestamp '2027-01-30')
            from '{w}/tickets/*.parquet'"""
    )
    assert outside == 0
    assert pq.ParquetDataset(w / "tickets").read().num_rows > 100


def test_service_level_cuts_complaints_and_the_lake_shows_the_assigned_arm(served: Path) -> None:
    w, truth = served / "lake", served / "truth"
    eff = f"'{truth}/effects.parquet'"
    service, control, lake_mismatch = _q(
        f"""with lake as (select customer_id, count(*) as n from '{w}/tickets/*.parquet'
                          where kind = 'complaint' group by customer_id)
            select avg(y_treated - y_control) filter (where arm = 'service'),
                   avg(y_treated - y_control) filter (where arm = 'control'),
                   count(*) filter (where y_treated <> coalesce(lake.n, 0))
            from {eff} e left join lake using (customer_id) where metric = 'complaints'"""
    )
    assert service < 0 and control == 0
    assert lake_mismatch == 0
    fast, slow = _q(
        f"""select median(epoch(resolved_time - created_time)) filter (where a.arm = 'service'),
                   median(epoch(resolved_time - created_time)) filter (where a.arm = 'control')
            from '{w}/tickets/*.parquet' t join '{truth}/assignment.parquet' a using (customer_id)
            where resolved_time is not null"""
    )
    assert fast < slow / 3  # a 4-hour target against the usual day
    gained = _q(
        f"""select avg(satisfaction_treated - satisfaction_control)
            from '{truth}/latent.parquet' l join '{truth}/assignment.parquet' a using (customer_id)
            where a.arm = 'service'"""
    )[0]
    assert gained > 0.5

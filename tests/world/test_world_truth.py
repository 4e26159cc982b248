"""The world run forward: the lake shows the assigned outcome, truth holds both (issue 15).

Requirement ids: R-OPS-1..9 and R-ANA-5 are measured on this world (DESIGN.md, "the world").
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pyarrow.parquet as pq
import pytest

from tierwise.world import parse_plan, simulate

START = dt.date(2026, 11, 1)


def _plan(arms: list[dict[str, object]], days: int = 60, seed: int = 3) -> object:
    return parse_plan({"start": str(START), "days": days, "seed": seed, "arms": arms})


@pytest.fixture(scope="module")
def rebate(book: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rebate")
    plan = _plan(
        [
            {"name": "rebate", "share": 0.5, "treatment": {"kind": "rebate", "percent": 2}},
            {"name": "control", "rest": True},
        ]
    )
    simulate(book, plan, out)  # type: ignore[arg-type]
    return out


def _effects(out: Path) -> dict[str, dict[str, tuple[str, float, float]]]:
    t = pq.read_table(out / "truth" / "effects.parquet").to_pylist()
    by: dict[str, dict[str, tuple[str, float, float]]] = {}
    for r in t:
        by.setdefault(r["metric"], {})[r["customer_id"]] = (
            r["arm"],
            r["y_control"],
            r["y_treated"],
        )
    return by


def _lake_outcomes(out: Path) -> dict[str, tuple[float, float, int]]:
    """Per customer from the lake alone: revenue, gross margin, orders (yuan, to the cent)."""
    lake = out / "lake"
    rows = duckdb.sql(
        f"""
        with o as (select customer_id, count(*) n, sum(amount) AS amount
                   from '{lake}/orders/*.parquet' group by 1),
             c as (select o.customer_id, sum(l.cost) AS line_cost from '{lake}/order_lines/*.parquet' l
                   join '{lake}/orders/*.parquet' o using (order_id) group by 1),
             cp as (select customer_id, sum(redeemed_amount) AS used
                    from '{lake}/coupons/*.parquet' group by 1),
             rb as (select customer_id, sum(amount) AS rebate
                    from '{lake}/rebate_accruals/*.parquet' group by 1)
        select o.customer_id, o.amount - coalesce(cp.used, 0) - coalesce(rb.rebate, 0) AS revenue,
               o.amount - coalesce(cp.used, 0) - coalesce(rb.rebate, 0) - c.line_cost AS margin, o.n
        from o join c using (customer_id) left join cp using (customer_id)
        left join rb using (customer_id)
        """
    ).fetchall()
    return {r[0]: (float(r[1]), float(r[2]), int(r[3])) for r in rows}


def test_the_lake_shows_the_assigned_arm_to_the_cent(rebate: Path) -> None:
    effects = _effects(rebate)
    lake = _lake_outcomes(rebate)
    assert len(lake) > 500
    arms = {arm for arm, _, _ in effects["revenue"].values()}
    assert arms == {"rebate", "control"}
    for cust, (arm, y0, y1) in effects["revenue"].items():
        shown = y1 if arm == "rebate" else y0
        assert abs(lake.get(cust, (0.0, 0.0, 0))[0] - shown) < 0.005, (cust, arm)
        margin = effects["gross_margin"][cust]
        assert abs(lake.get(cust, (0.0, 0.0, 0))[1] - margin[2]) < 0.005, cust
        assert lake.get(cust, (0.0, 0.0, 0))[2] == effects["orders"][cust][2], cust
    # the control arm is untreated: both potential outcomes are the same
    assert all(y0 == y1 for arm, y0, y1 in effects["revenue"].values() if arm == "control")
    # the rebate costs money on the treated: accruals are in the lake and in the outcome
    treated = [y1 - y0 for arm, y0, y1 in effects["revenue"].values() if arm == "rebate"]
    assert np.mean(treated) != 0


def test_an_empty_plan_is_every_arms_control_outcome(
    book: Path, rebate: Path, tmp_path: Path
) -> None:
    simulate(book, _plan([]), tmp_path)  # type: ignore[arg-type]
    empty = _lake_outcomes(tmp_path)
    effects = _effects(rebate)
    for cust, (_arm, y0, _y1) in effects["revenue"].items():
        assert abs(empty.get(cust, (0.0, 0.0, 0))[0] - y0) < 0.005, cust
        assert empty.get(cust, (0.0, 0.0, 0))[2] == effects["orders"][cust][1], cust


def test_same_seed_same_bytes(book: Path, rebate: Path, tmp_path: Path) -> None:
    plan = _plan(
        [
            {"name": "rebate", "share": 0.5, "treatment": {"kind": "rebate", "percent": 2}},
            {"name": "control", "rest": True},
        ]
    )
    simulate(book, plan, tmp_path)  # type: ignore[arg-type]
    files = sorted(p.relative_to(rebate) for p in rebate.rglob("*.parquet"))
    assert files == sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.parquet"))
    for f in files:
        assert (rebate / f).read_bytes() == (tmp_path / f).read_bytes(), f


def test_difference_in_means_recovers_the_true_average_effect(book: Path, tmp_path: Path) -> None:
    """A randomised 5 % discount: the plain estimate's 99 % interval holds the true ATE.

    The true ATE is the mean of y_treated − y_control over the treated customers (known per
    customer, not estimated); the estimate only sees what the lake shows of each arm.
    """
    plan = _plan(
        [
            {"name": "discount", "share": 0.5, "treatment": {"kind": "discount", "percent": 5}},
            {"name": "control", "rest": True},
        ],
        days=90,
        seed=5,
    )
    simulate(book, plan, tmp_path)  # type: ignore[arg-type]
    effects = _effects(tmp_path)
    for metric in ("orders", "revenue"):
        rows = effects[metric].values()
        t = np.array([y1 for arm, _, y1 in rows if arm == "discount"])
        c = np.array([y0 for arm, y0, _ in rows if arm == "control"])
        true_ate = np.mean([y1 - y0 for arm, y0, y1 in rows if arm == "discount"])
        est = t.mean() - c.mean()
        se = np.sqrt(t.var(ddof=1) / len(t) + c.var(ddof=1) / len(c))
        assert abs(est - true_ate) < 2.58 * se, (metric, est, true_ate, se)
    orders = [y1 - y0 for arm, y0, y1 in effects["orders"].values() if arm == "discount"]
    assert np.mean(orders) > 0  # a price cut brings orders


def test_the_exports_ingest_with_their_mapping(rebate: Path, tmp_path: Path) -> None:
    """`tierwise ingest OUT/exports --mapping OUT/exports/mapping.yaml` loads every row."""
    from tierwise.ingest.mapping import load_mapping
    from tierwise.ingest.run import ingest

    exports = rebate / "exports"
    run = ingest(
        exports,
        load_mapping(exports / "mapping.yaml"),
        raw=tmp_path / "raw",
        home=tmp_path,
        now=dt.datetime(2027, 6, 1),
    )
    loaded = {r.table: (r.rows_loaded, r.rows_quarantined) for r in run.loads}
    lake_rows = {p.name: pq.ParquetDataset(p).read().num_rows for p in (rebate / "lake").iterdir()}
    assert {t: n for t, n in lake_rows.items() if n} == {t: n for t, (n, _) in loaded.items()}
    assert all(q == 0 for _, q in loaded.values())

"""The season dry run of a rebate (R-OPS-3, issue 21 item 2): the same season a year back says
how customers who bought like this went on buying; only orders up to the dry run's day count."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from tierwise.errors import DataError
from tierwise.ops.benefits.rebates import (
    SeasonWindows,
    forecast_spend,
    season_forecast,
    season_ratios,
)
from tinylake import ts, write_lake

AS_OF = dt.date(2026, 12, 31)


def test_each_band_is_scaled_by_how_its_band_went_on_a_year_back() -> None:
    # a year back: 20 buyers of 100..2000; the top half bought half as much the next window,
    # the bottom half as much again
    before = {f"b{i}": Decimal(100 * i) for i in range(1, 21)}
    after = {c: v / 2 if v > 1000 else v for c, v in before.items()}
    ratios = season_ratios(before, after, bins=2)
    assert ratios == [Decimal(1), Decimal("0.5")]
    recent = {"x": Decimal(50), "y": Decimal(10_000), "z": Decimal(0)}
    f = season_forecast(recent, before, after, bins=2)
    assert f == {"x": Decimal("50.00"), "y": Decimal("5000.00")}  # z bought nothing: none


def _order(cid: str, day: dt.date, amount: float, k: int) -> dict[str, object]:
    return {"order_id": f"{cid}-{k}", "customer_id": cid,
            "order_time": ts(day.year, day.month, day.day), "amount": amount}  # fmt: skip


def test_the_forecast_reads_only_orders_up_to_the_dry_run_day(tmp_path: Path) -> None:
    w = SeasonWindows(AS_OF + dt.timedelta(days=1), 90)
    assert w.recent == (dt.date(2026, 10, 3), dt.date(2027, 1, 1))
    assert w.before == (dt.date(2025, 10, 3), dt.date(2026, 1, 1))
    assert w.after == (dt.date(2026, 1, 1), dt.date(2026, 4, 1))
    orders = [
        _order("old", dt.date(2025, 10, 2), 10.0, 0)
    ]  # the lake reaches back a year + 90 days
    for i in range(10):  # a year back: every customer halves in the next window
        orders.append(_order(f"p{i}", dt.date(2025, 11, 1), 1000.0 * (i + 1), 0))
        orders.append(_order(f"p{i}", dt.date(2026, 2, 1), 500.0 * (i + 1), 1))
        orders.append(_order(f"n{i}", dt.date(2026, 11, 1), 1000.0 * (i + 1), 2))
    lake = write_lake(tmp_path / "lake", {"customers": [{"customer_id": "x"}], "orders": orders})
    f, used = forecast_spend(lake, AS_OF, 90, "season")
    assert used == "season"
    assert f == {f"n{i}": Decimal(500 * (i + 1)).quantize(Decimal("0.01")) for i in range(10)}
    # orders after the dry run's day (the period itself) change nothing
    later = [*orders, _order("n0", dt.date(2027, 1, 5), 99999.0, 9)]
    lake2 = write_lake(tmp_path / "lake2", {"customers": [{"customer_id": "x"}], "orders": later})
    assert forecast_spend(lake2, AS_OF, 90, "season")[0] == f
    recent, used = forecast_spend(lake, AS_OF, 90, "recent")
    assert used == "recent" and recent["n9"] == Decimal("10000.00")

    short = write_lake(tmp_path / "short", {"customers": [{"customer_id": "x"}],
                                            "orders": orders[3::3]})  # fmt: skip
    with pytest.raises(DataError, match="needs orders from 2025-10-03"):
        forecast_spend(short, AS_OF, 90, "season")
    assert forecast_spend(short, AS_OF, 90, "auto")[1] == "recent"

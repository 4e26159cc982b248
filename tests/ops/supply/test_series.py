"""Weekly demand per SKU × warehouse × tier (R-OPS-9, issue 27 item 1): a line counts in the
tier its customer held on the order's day, so a tier change moves later demand."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from tierwise.errors import DataError
from tierwise.ops.supply.series import held_tiers_from_grants, weekly_demand

AS_OF = dt.date(2026, 4, 15)  # a Wednesday: its week (from 13 April) is left out


def _book() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    orders = pd.DataFrame(
        {
            "order_id": ["O1", "O2", "O3", "O4", "O5"],
            "customer_id": ["C1", "C1", "C2", "C1", "C9"],
            "order_time": pd.to_datetime(
                [
                    "2026-03-25 10:00",  # C1 gold
                    "2026-04-02 09:00",  # C1 platinum from 1 April
                    "2026-04-03 09:00",  # C2 never tiered: bronze
                    "2026-04-14 09:00",  # the week of as_of: left out
                    "2026-04-01 09:00",  # C9 in no warehouse's city: left out
                ]
            ),
        }
    )
    lines = pd.DataFrame(
        {
            "order_id": ["O1", "O2", "O2", "O3", "O4", "O5"],
            "sku": ["HG0001", "HG0001", "SC0001", "HG0001", "HG0001", "HG0001"],
            "category": ["火锅食材", "火锅食材", "蔬菜", "火锅食材", "火锅食材", "火锅食材"],
            "quantity": [2.0, 3.0, 1.0, 5.0, 7.0, 9.0],
            "amount": [20.0, 30.0, 4.0, 50.0, 70.0, 90.0],
        }
    )
    customers = pd.DataFrame(
        {"customer_id": ["C1", "C2", "C9"], "city": ["成都市", "重庆市", "火星市"]}
    )
    return lines, orders, customers


HELD = pd.DataFrame(
    {
        "customer_id": ["C1", "C1"],
        "tier": ["gold", "platinum"],
        "valid_from": [dt.date(2026, 1, 1), dt.date(2026, 4, 1)],
        "valid_until": [dt.date(2026, 4, 1), dt.date(2026, 7, 1)],
    }
)


def test_a_tier_change_moves_later_demand_to_the_new_tier() -> None:
    lines, orders, customers = _book()
    d = weekly_demand(lines, orders, customers, HELD, as_of=AS_OF, weeks=3, default_tier="bronze")
    got = d[d["y"] > 0].set_index(["sku", "warehouse_id", "tier", "ds"])["y"].to_dict()
    assert got == {
        ("HG0001", "WH01", "gold", pd.Timestamp("2026-03-23")): 2.0,
        ("HG0001", "WH01", "platinum", pd.Timestamp("2026-03-30")): 3.0,
        ("SC0001", "WH01", "platinum", pd.Timestamp("2026-03-30")): 1.0,
        ("HG0001", "WH03", "bronze", pd.Timestamp("2026-03-30")): 5.0,
    }
    # every series runs over the 3 whole weeks, zeros where nothing was ordered
    assert d.groupby(["sku", "warehouse_id", "tier"]).size().eq(3).all()
    assert d["ds"].min() == pd.Timestamp("2026-03-23")


def test_without_the_change_the_demand_stays_in_the_old_tier() -> None:
    lines, orders, customers = _book()
    held = HELD.iloc[:1].assign(valid_until=dt.date(2026, 7, 1))
    d = weekly_demand(lines, orders, customers, held, as_of=AS_OF, weeks=3, default_tier="bronze")
    assert set(d.loc[d["y"] > 0, "tier"]) == {"gold", "bronze"}


def test_held_tiers_from_grants_keep_one_row_per_customer_and_period() -> None:
    grants = pd.concat([HELD, HELD]).assign(benefit="x")
    assert len(held_tiers_from_grants(grants)) == 2


def test_a_missing_column_names_the_table_and_the_columns_there_are() -> None:
    lines, orders, customers = _book()
    with pytest.raises(DataError, match=r"orders: missing column\(s\) \['order_time'\]") as e:
        weekly_demand(
            lines,
            orders.drop(columns="order_time"),
            customers,
            HELD,
            as_of=AS_OF,
            weeks=3,
            default_tier="bronze",
        )
    assert "customer_id" in str(e.value.hint)

"""A small book for experiment tests: profiles in the store, orders in a lake.

Accounts ``A000``.. have one or two outlets; each outlet orders once in each 31-day period
before the start with a margin around its own level, so the pre-period predicts the window.
:func:`write_window` adds the window's orders once the assignment is known: the treated
outlets' margin is raised by ``effect`` (the truth the analysis must recover).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, insert

from tierwise.store.migrate import upgrade
from tierwise.store.schema import CustomerProfile
from tinylake import write_lake

START = dt.date(2026, 3, 1)
END = dt.date(2026, 3, 31)
NOW = dt.datetime(2026, 2, 28, 9)


def design(code: str = "rebate", **over: Any) -> dict[str, Any]:
    return {
        "code": code,
        "name": "2 % 返利 / rebate",
        "arms": [
            {"code": "control"},
            {"code": "rebate", "treatment": {"kind": "rebate", "rebate_pct": 2}},
        ],
        "start": START.isoformat(),
        "end": END.isoformat(),
        "tail_days": 0,
        "target_effect": 100.0,
        **over,
    }


def outlets(n_accounts: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for a in range(n_accounts):
        for k in range(1 + (a % 3 == 0)):
            rows.append(
                {
                    "customer_id": f"C{a:03d}{k}",
                    "account_id": f"A{a:03d}",
                    "tier": ["gold", "silver", "bronze"][a % 3],
                    "city": ["成都市", "重庆市"][a % 2],
                    "level": float(rng.gamma(4, 500)),
                }
            )
    return pd.DataFrame(rows)


def seed_profiles(engine: Engine, book: pd.DataFrame) -> None:
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(CustomerProfile),
            [
                {
                    "customer_id": r.customer_id,
                    "account_id": r.account_id,
                    "name": "门店",
                    "tier": r.tier,
                    "province": "四川省",
                    "city": r.city,
                    "account_manager": "AM1",
                    "spend_365d": r.level * 12,
                    "refreshed_at": NOW,
                }
                for r in book.itertuples()
            ],
        )


def _orders(
    book: pd.DataFrame, day: dt.date, tag: str, rng: np.random.Generator, extra: dict[str, float]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    orders, lines = [], []
    for r in book.itertuples():
        margin = max(1.0, r.level + rng.normal(0, 150) + extra.get(r.customer_id, 0.0))
        oid = f"{tag}-{r.customer_id}"
        amount = round(margin * 4, 2)
        orders.append(
            {
                "order_id": oid,
                "customer_id": r.customer_id,
                "order_time": dt.datetime.combine(day, dt.time(10)),
                "amount": amount,
            }
        )
        lines.append({"order_id": oid, "amount": amount, "cost": round(amount - margin, 2)})
    return orders, lines


def write_book(
    lake: Path, book: pd.DataFrame, window_extra: dict[str, float] | None = None, seed: int = 0
) -> Path:
    """Orders in the two periods before START and, when given, in the window."""
    rng = np.random.default_rng(seed)
    orders: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    periods = [(dt.date(2026, 1, 10), "p2", {}), (dt.date(2026, 2, 10), "p1", {})]
    if window_extra is not None:
        periods.append((dt.date(2026, 3, 10), "w", window_extra))
    for day, tag, extra in periods:
        o, ln = _orders(book, day, tag, rng, extra)
        orders += o
        lines += ln
    customers = [
        {"customer_id": r.customer_id, "account_id": r.account_id} for r in book.itertuples()
    ]
    return write_lake(lake, {"customers": customers, "orders": orders, "order_lines": lines})

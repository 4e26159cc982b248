"""The supply module as the API and the console serve it (R-OPS-9): the kept runs and their
tables as JSON-ready rows (NaN → None, dates as dates). ``/supply`` routes and the console's
供应链 page both call these."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import pandas as pd

from tierwise.api.deps import AppContext
from tierwise.ops.supply import service


def _clean(v: Any) -> Any:
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, pd.Timestamp):
        return v.date()
    return v


def rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): _clean(v) for k, v in r.items()} for r in frame.to_dict("records")]


def run_rows(ctx: AppContext, limit: int = 50) -> list[dict[str, Any]]:
    return rows(service.runs(ctx.engine, limit))


def table_rows(ctx: AppContext, run_id: int, table: str) -> list[dict[str, Any]]:
    return rows(service.run_table(ctx.engine, run_id, table))

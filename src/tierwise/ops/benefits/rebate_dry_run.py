"""A rebate change's dry run from the store and the lake, with the cost realised since beside it
(R-OPS-3): what ``tierwise benefits rebate-dry-run`` and ``POST /rebates/dry-run`` call."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine

from tierwise.errors import DataError
from tierwise.ops.benefits.ledger import read_states
from tierwise.ops.benefits.rebate_ledger import Period
from tierwise.ops.benefits.rebate_store import ledger_summary
from tierwise.ops.benefits.rebates import Realised, beside_realised, dry_run, forecast_spend


@dataclass(frozen=True)
class DryRun:
    """A dry run per tier (each row with the ledger's accruals of ``periods`` beside it)."""

    as_of: dt.date
    days: int
    method: str  # the forecast used: season or recent
    periods: list[str]
    rows: list[Realised]


def rebate_dry_run(
    engine: Engine,
    lake: Path,
    pct_by_tier: Mapping[str, Decimal],
    *,
    as_of: dt.date,
    days: int,
    method: str = "auto",
    realised: Sequence[Period] = (),
) -> DryRun:
    """The cost per tier of ``pct_by_tier`` over the ``days`` after ``as_of`` for the customers
    holding each tier now (spend forecast by ``method``, from orders up to ``as_of``), with the
    rebate ledger's accruals of the ``realised`` periods beside it (a tier nobody holds:
    :class:`DataError` naming the tiers held)."""
    with engine.connect() as conn:
        states = read_states(conn, None)
    known = {s.tier for s in states.values()}
    unknown = [t for t in pct_by_tier if t not in known]
    if unknown:
        raise DataError(
            f"no customer holds tier {unknown[0]!r}",
            hint="tiers held now: " + ", ".join(sorted(t for t in known if t)),
            field="pct", value=unknown[0],
        )  # fmt: skip
    spend, used = forecast_spend(lake, as_of, days, method)
    rows = dry_run(spend, {c: s.tier for c, s in states.items()}, pct_by_tier)
    ledger = [r for p in realised for r in ledger_summary(engine, p.label)]
    return DryRun(as_of, days, used, [p.label for p in realised], beside_realised(rows, ledger))

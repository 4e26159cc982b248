"""Printing a spot check's queue and agreement: ``tierwise spotcheck show`` and
``tierwise runs review`` show the same table (rich only, so that ``--help`` stays light)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def print_check(out: Console, check: dict[str, Any], title: str) -> None:
    """The check's items (customer, stratum, proposed move, verdict) and its agreement."""
    table = Table(title=title)
    for col in ("item", "customer", "stratum", "from", "to", "verdict", "reason"):
        table.add_column(col)
    for i in check["items"]:
        table.add_row(
            str(i["id"]),
            i["customer_id"],
            i["stratum"],
            i["from_tier"] or "—",
            i["to_tier"] or "—",
            i["verdict"] or "",
            i["reason"] or "",
        )
    out.print(table)
    a = check["agreement"]
    if a["rate"] is not None:
        out.print(
            f"agreement {a['rate']:.1%} of {a['reviewed']} [{a['ci_low']:.1%}, {a['ci_high']:.1%}]"
        )

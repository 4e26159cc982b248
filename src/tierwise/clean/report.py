"""The data-quality report of a clean run (what was cleaned and why, R-DAT-4)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tierwise.clean.run import CleanResult


def clean_report(res: CleanResult, *, raw: Path, lake: Path) -> dict[str, Any]:
    """The report data of a clean run, for :func:`tierwise.ingest.report.write_report`."""
    return {
        "title": "Tierwise clean: data-quality report",
        "summary": {
            "raw lake": str(raw),
            "clean lake": str(lake),
            "customers in": res.customers_in,
            "duplicate customers merged": res.merged,
            "customers out": res.customers_out,
            "link table": str(lake / "_clean" / "customer_links.parquet"),
            **{f"flag {k}": v for k, v in res.flags.items()},
        },
        "sections": [
            {"title": "Tables", "rows": [{"table": k, **v} for k, v in res.tables.items()]},
            {"title": "Notes", "rows": [{"note": n} for n in res.notes]},
        ],
        "result": res.to_json(),
    }

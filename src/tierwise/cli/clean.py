"""``tierwise clean``: the raw lake into the clean lake (standard names, merged duplicates, flags)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from tierwise.cli.main import app

# pandas, Splink and DuckDB are imported by the command: `tierwise clean --help` loads
# Typer and Rich only (issue 19 item 7).

_out = Console(highlight=False)


@app.command("clean")
def clean_command(
    home: Annotated[
        Path | None, typer.Option(help="Tierwise home (default $TIERWISE_HOME).")
    ] = None,
    raw: Annotated[Path | None, typer.Option(help="Raw lake to read (default HOME/raw).")] = None,
    lake: Annotated[
        Path | None, typer.Option(help="Clean lake to write (default HOME/lake).")
    ] = None,
    threshold: Annotated[
        float | None,
        typer.Option(
            help="Match probability that merges two customers (default: DedupeParams', 0.99)."
        ),
    ] = None,
) -> None:
    """De-duplicate customers, drop duplicate rows, standardize names and addresses, flag outliers."""
    from rich.table import Table as RichTable

    from tierwise.clean.dedupe import DedupeParams
    from tierwise.clean.report import clean_report
    from tierwise.clean.run import clean
    from tierwise.features.availability import unavailable_note
    from tierwise.ingest.report import write_report
    from tierwise.settings import get_settings

    params = DedupeParams() if threshold is None else DedupeParams(threshold=threshold)
    settings = get_settings()
    home = home or settings.home
    raw = raw or home / "raw"
    lake = lake or home / "lake"
    with _out.status("cleaning") as status:
        res = clean(raw, lake, dedupe=params, step=lambda s: status.update(s))
    if note := unavailable_note(lake):  # the report says what this book cannot grade on
        res.notes.append(note)
    t = RichTable(title="clean")
    counts: dict[str, int]
    for c in ("table", "rows in", "exact duplicates", "grain conflicts", "rows out"):
        t.add_column(c)
    for name, counts in res.tables.items():
        t.add_row(
            name,
            f"{counts.get('rows_in', 0):,}",
            f"{counts.get('exact_duplicates_dropped', 0):,}",
            f"{counts.get('grain_conflicts_dropped', 0):,}",
            f"{counts.get('rows_out', 0):,}",
        )
    _out.print(t)
    for note in res.notes:
        _out.print(f"note: {note}", soft_wrap=True)
    _js, page = write_report(clean_report(res, raw=raw, lake=lake), home / "reports", "clean")
    _out.print(
        f"customers: {res.customers_in:,} in, {res.merged:,} duplicates merged, "
        f"{res.customers_out:,} out; flags: "
        + ", ".join(f"{k} {v:,}" for k, v in res.flags.items())
        + f"; clean lake {lake}; report {page}"
    )

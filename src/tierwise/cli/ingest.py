"""``tierwise ingest``: source files (or a SQL query) through a mapping into the raw lake."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from tierwise.cli.main import app
from tierwise.errors import DataError, UsageError

if TYPE_CHECKING:
    from tierwise.ingest.infer import FileInference
    from tierwise.ingest.mapping import Mapping
    from tierwise.ingest.run import IngestRun

# NumPy, PyArrow and DuckDB (the readers and the validator) are imported by the command
# itself: `tierwise ingest --help` loads Typer and Rich only (issue 19 item 7).

_out = Console(highlight=False)


@contextmanager
def rows_progress() -> Iterator[Callable[[str, int], Callable[[int], None]]]:
    """A Rich progress display; yields a factory of per-source row callbacks."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed:,.0f} rows"),
        TimeElapsedColumn(),
        transient=False,
        console=Console(stderr=True),
    ) as bar:

        def factory(label: str, _size: int) -> Callable[[int], None]:
            task = bar.add_task(label, total=None)
            return lambda n: bar.update(task, completed=n)

        yield factory


def print_summary(run: IngestRun) -> None:
    """The per-load summary table."""
    from rich.table import Table as RichTable

    t = RichTable(title="ingest")
    for c in ("table", "source", "status", "rows in", "loaded", "quarantined", "top problem"):
        t.add_column(c)
    for r in run.loads:
        top = next(iter(r.problems.items()), None)
        t.add_row(
            r.table,
            Path(r.source).name,
            r.status,
            f"{r.rows_in:,}",
            f"{r.rows_loaded:,}",
            f"{r.rows_quarantined:,}",
            f"{top[0][:48]} ({top[1]:,})" if top else "",
        )
    _out.print(t)
    if run.missing:
        _out.print("not found (skipped): " + ", ".join(run.missing))


def all_rows_refused(run: IngestRun) -> DataError | None:
    """The error for the first file whose every row went to quarantine (issue 17), naming the
    file and the commonest reason: such a load is almost always the wrong file or mapping."""
    for r in run.loads:
        if r.rows_in > 0 and r.rows_loaded == 0 and r.rows_quarantined >= r.rows_in:
            reason, n = max(r.problems.items(), key=lambda kv: kv[1], default=("unknown", 0))
            return DataError(
                f"{Path(r.source).name}: all {r.rows_in:,} rows were quarantined "
                f"({r.table}); commonest reason: {reason} ({n:,} rows)",
                hint="check that the file and the mapping are the right ones; the rows are in "
                "the quarantine and the report",
                file=r.source,
                table=r.table,
                reason=reason,
            )
    return None


def _mapping(path: Path | None) -> Mapping:
    from tierwise.ingest.mapping import default_mapping, load_mapping

    return load_mapping(path) if path is not None else default_mapping()


def print_inference(found: list[FileInference]) -> None:
    """The proposed mapping as tables a user reads before editing the file."""
    from rich.table import Table as RichTable

    for f in found:
        how = [f.encoding or "", f"delimiter {f.delimiter!r}" if f.delimiter != "," else ""]
        how.append(
            "no header row"
            if f.header_row == 0
            else f"header on row {f.header_row}"
            if f.header_row != 1
            else ""
        )
        t = RichTable(title=f"{f.path.name} → {f.table} ({', '.join(h for h in how if h)})")
        for c in ("source header", "canonical column", "score", "examples", "format / values"):
            t.add_column(c)
        for m in f.matches:
            t.add_row(
                m.header,
                m.column or "—",
                f"{m.score:.2f}" if m.column else "",
                ", ".join(m.examples),
                m.detail,
            )
        _out.print(t)
        if f.absent:
            _out.print(
                "absent, left empty (the features that need them are unavailable): "
                + ", ".join(f.absent)
            )
        if f.numbered:
            _out.print("numbered from the file name and row: " + ", ".join(f.numbered))
        for col, vals in f.unknown_values.items():
            _out.print(
                f"[yellow]values of {col} with no translation: {', '.join(vals)}: "
                "add them under values: in the mapping, or their rows are quarantined[/]"
            )
        for w in f.warnings:
            _out.print(f"[yellow]warning: {w}[/]")
        for n in f.notes:
            _out.print(f"note: {n}")
        if f.earliest is not None:
            _out.print(
                f"[yellow]warning: the book starts before the default earliest date; "
                f"limits.earliest set to {f.earliest} (inferred from the data)[/]"
            )


def _infer(sources: list[str], table: str | None, encoding: str | None, out: Path) -> None:
    from tierwise.ingest.infer import infer, mapping_yaml

    found = infer([Path(s) for s in sources], table=table, encoding=encoding)
    command = "tierwise ingest " + " ".join(sources) + " --infer"
    out.write_text(mapping_yaml(found, command), encoding="utf-8")
    print_inference(found)
    _out.print(
        f"proposed mapping written to {out}; check it, then: tierwise ingest "
        + " ".join(sources)
        + f" --mapping {out}"
    )


@app.command("ingest")
def ingest_command(
    sources: Annotated[
        list[str],
        typer.Argument(
            help="A folder of exports, files, or a SQLAlchemy URL (with --query).",
            show_default=False,
        ),
    ],
    mapping: Annotated[
        Path | None, typer.Option(help="Mapping YAML (default: the generator's exports).")
    ] = None,
    table: Annotated[str | None, typer.Option(help="Canonical table a single file fills.")] = None,
    encoding: Annotated[
        str | None, typer.Option(help="utf-8, utf-8-sig, gbk or gb18030 (default: detect).")
    ] = None,
    query: Annotated[
        str | None, typer.Option(help="Table name or SELECT, for a SQL source.")
    ] = None,
    home: Annotated[
        Path | None, typer.Option(help="Tierwise home (default $TIERWISE_HOME).")
    ] = None,
    raw: Annotated[Path | None, typer.Option(help="Raw lake folder (default HOME/raw).")] = None,
    now: Annotated[
        datetime | None,
        typer.Option(help="Load time; later event times are rejected (default: now)."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Reload files whose checksum is unchanged.")] = False,
    allow_empty: Annotated[
        bool, typer.Option(help="Accept files with a header and no data rows.")
    ] = False,
    memory_limit: Annotated[
        str | None,
        typer.Option(
            help="DuckDB's memory cap per load, e.g. 512MB or 2GB; beyond it DuckDB spills "
            "to the staging folder (default: DuckDB's own, 80 % of RAM)."
        ),
    ] = None,
    infer: Annotated[
        bool,
        typer.Option(
            "--infer",
            help="Propose a mapping for your own files (headers, codes, formats) and write "
            "it to --out instead of loading.",
        ),
    ] = False,
    out: Annotated[Path, typer.Option(help="Where --infer writes the proposed mapping.")] = Path(
        "tierwise-mapping.yaml"
    ),
    earliest: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"],
            help="Earliest plausible date (default: the mapping's, 1990-01-01): older rows "
            "are quarantined.",
        ),
    ] = None,
) -> None:
    """Load exports into the raw lake: validate every row, quarantine the bad ones with a reason."""
    from tierwise.engines.memory import parse_size
    from tierwise.ingest.report import ingest_report, write_report
    from tierwise.ingest.run import ingest, ingest_sql
    from tierwise.settings import get_settings

    if memory_limit is not None:
        parse_size(memory_limit)  # one clear line before any file is opened
    if infer:
        _infer(sources, table, encoding, out)
        return
    home = home or get_settings().home
    raw = raw or home / "raw"
    when = now or datetime.now()
    m = _mapping(mapping)
    if earliest is not None:
        m = m.model_copy(
            update={"limits": m.limits.model_copy(update={"earliest": earliest.date()})}
        )
    source = " ".join(sources)
    with rows_progress() as progress:
        if len(sources) == 1 and "://" in source:
            if not (query and table):
                raise UsageError("a SQL source needs --query and --table")
            run = ingest_sql(
                source,
                query,
                table,
                m,
                raw=raw,
                home=home,
                now=when,
                progress=progress,
                memory_limit=memory_limit,
            )
        else:
            run = ingest(
                [Path(s) for s in sources] if len(sources) > 1 else Path(source),
                m,
                raw=raw,
                home=home,
                now=when,
                table=table,
                encoding=encoding,
                force=force,
                allow_empty=allow_empty,
                memory_limit=memory_limit,
                progress=progress,
            )
    print_summary(run)
    js, page = write_report(
        ingest_report(run, source=source, raw=raw, home=home),
        home / "reports",
        f"ingest-{when:%Y%m%dT%H%M%S}",
    )
    _out.print(
        f"{run.rows_in:,} rows read: {run.rows_loaded:,} loaded into {raw}, "
        f"{run.rows_quarantined:,} quarantined in {home / 'quarantine'}; report {page} and {js.name}"
    )
    refused = all_rows_refused(run)
    if refused is not None:  # after the report: the quarantine and the report are kept
        raise refused

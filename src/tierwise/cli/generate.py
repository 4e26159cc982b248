"""``tierwise generate`` and ``tierwise demo``: make a realistic book and show what is in it."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from tierwise.cli.main import app
from tierwise.cli.summary_view import render_grading, render_summary, user_language
from tierwise.errors import UsageError
from tierwise.generate import GenerateConfig, generate
from tierwise.generate.book import ProgressFn
from tierwise.generate.config import DEFAULT_END_DATE, prepare_out
from tierwise.pipeline.demo import DEMO_CUSTOMERS, DEMO_MONTHS, DemoContext, Step, run_demo
from tierwise.settings import Settings, get_settings

_console = Console(highlight=False)


@contextmanager
def _progress_bar(console: Console) -> Iterator[ProgressFn]:
    """A Rich progress bar fed by the generator's ``progress(stage, done, total)`` calls.

    The bar is live only while a stage runs, so lines printed between stages (the demo's
    step names) appear in order instead of above a bar that is still on screen.
    """
    bar = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=False,
    )  # fmt: skip
    tasks: dict[str, TaskID] = {}

    def update(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(f"{stage} (customer batches)", total=total)
            bar.start()
        bar.update(tasks[stage], completed=done, total=total)
        if done >= total:
            bar.stop()

    try:
        yield update
    finally:
        bar.stop()


def _end_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--end-date must be a date like 2026-10-31, got {text!r}") from None


@app.command("generate")
def generate_command(
    customers: Annotated[int, typer.Option(help="Number of outlets (customers).")] = 3000,
    months: Annotated[int, typer.Option(help="Length of the book in months (1..60).")] = 30,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same bytes.")] = 0,
    out: Annotated[
        Path | None, typer.Option(help="Output folder [default: $TIERWISE_HOME/book].")
    ] = None,
    end_date: Annotated[
        str, typer.Option(help="Last day of the book.")
    ] = DEFAULT_END_DATE.isoformat(),
    exports: Annotated[
        bool, typer.Option(help="Also write the dirty source-style exports.")
    ] = True,
) -> None:
    """Generate a distributor's book: clean lake, dirty exports and the ground truth."""
    cfg = GenerateConfig(
        customers=customers, months=months, seed=seed, end_date=_end_date(end_date), exports=exports
    )
    target = prepare_out(out if out is not None else get_settings().home / "book")
    started = time.perf_counter()
    with _progress_bar(_console) as progress:
        result = generate(cfg, target, progress)
    rows = result.rows
    _console.print(
        f"wrote {target}: {rows['customers']:,} customers, {rows['orders']:,} orders, "
        f"{rows['order_lines']:,} order lines in {time.perf_counter() - started:.1f} s"
        + (
            f"; {sum(result.manifest['defect_counts'].values()):,} defects recorded in truth/manifest.json"
            if exports
            else ""
        )
    )


@app.command("demo")
def demo_command(
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Run the job and exit.")] = False,
    customers: Annotated[int, typer.Option(help="Customers in the demo book.")] = DEMO_CUSTOMERS,
    months: Annotated[int, typer.Option(help="Months in the demo book.")] = DEMO_MONTHS,
    host: Annotated[str, typer.Option(help="Interface the console listens on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port of the console.")] = 8000,
    lang: Annotated[
        str | None, typer.Option(help="Summary language: zh (default) or en; else from LANG.")
    ] = None,
) -> None:
    """Generate, ingest, clean, grade and publish the demo book, then serve the console."""
    language = user_language(lang)
    GenerateConfig(customers=customers, months=months)  # bad arguments fail before any work
    settings = get_settings()
    ctx = DemoContext(
        home=settings.home, customers=customers, months=months, state_url=settings.state_url
    )
    started = time.perf_counter()

    def announce(step: Step) -> None:
        _console.print(f"[bold]▶ {step.name}[/]: {step.description}")

    with _progress_bar(_console) as progress:
        ctx.progress = progress
        run_demo(ctx, on_step=announce)
    if ctx.summary is not None:
        render_summary(_console, ctx.summary, ctx.book_dir, language)
    if "grading" in ctx.extra:
        render_grading(_console, ctx.extra, language)
    _console.print(f"demo finished in {time.perf_counter() - started:.1f} s")
    if not no_serve:
        _serve_console(settings, host, port)


def _serve_console(settings: Settings, host: str, port: int) -> None:
    """Serve the API and the web console on the demo's store; print the address and login."""
    from tierwise.api import server
    from tierwise.api.auth import signing_key, utcnow
    from tierwise.console.demo import copy_policies, demo_admin
    from tierwise.policy import DEFAULT_POLICY
    from tierwise.store.db import make_engine
    from tierwise.store.migrate import upgrade

    signing_key(settings)  # refuse a default secret outside development before serving
    engine = make_engine(settings.state_url)
    upgrade(engine)
    user, password = demo_admin(engine, utcnow())
    engine.dispose()
    copy_policies(DEFAULT_POLICY.parent, settings.policies_dir)
    _console.print(
        f"[bold green]console:[/] http://{host}:{port}/  (API docs at /docs)\n"
        f"  sign in as [bold]{user}[/] with password [bold]{password}[/] "
        "(random, shown only now; the next demo run sets a new one)\n"
        "  Ctrl-C stops the server"
    )
    server.run(host, port)


def _metric(v: float) -> str:
    """A metric as a reader expects it: counts and large values in full, small ones to 3 digits."""
    if float(v).is_integer() or abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.3g}"

"""What the demo's backfill adds (issue 18 finding 9): the grade step with and without it.

On one demo book (``--book``: a ``$TIERWISE_HOME`` after ``tierwise demo``), the grade step
(:func:`tierwise.pipeline.demo._grade`) runs into a fresh store three times — last day only,
with the backfill, last day only again — and the churn-warning step once, side by side.

    uv run python -m bench.bench_demo_backfill --book var
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from tierwise.pipeline.demo import DEMO_HISTORY_MONTHS, DemoContext, _grade, _warning
from tierwise.store.db import sqlite_url


def _home(tmp: Path, name: str, book: Path) -> Path:
    home = tmp / name
    home.mkdir()
    (home / "lake").symlink_to((book / "lake").resolve())
    return home


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--book", type=Path, required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tierwise-bench-demo-") as tmp:
        for i, months in enumerate((0, DEMO_HISTORY_MONTHS, 0)):
            home = _home(Path(tmp), f"g{i}", args.book)
            ctx = DemoContext(home=home, state_url=sqlite_url(home / "state.db"))
            ctx.history_months = months
            t = time.perf_counter()
            _grade(ctx)
            runs = len(ctx.extra.get("backfill", [])) + 1
            print(f"grade step, {runs} run(s): {time.perf_counter() - t:.1f} s", flush=True)
        ctx = DemoContext(home=_home(Path(tmp), "w", args.book))
        t = time.perf_counter()
        _warning(ctx)
        print(f"warning step: {time.perf_counter() - t:.1f} s", flush=True)


if __name__ == "__main__":
    main()

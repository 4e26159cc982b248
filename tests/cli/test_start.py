"""The command line starts without the heavy libraries a command does not use (issue 19
item 7): `tierwise X --help` loads Typer and Rich, not Ibis, DuckDB, PyArrow, pandas,
scikit-learn, SciPy, SQLAlchemy or Alembic. Not timed (the machine is shared): the modules
loaded are what decides the start time; bench/bench_cli_start.py measures it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = (
    "ibis",
    "duckdb",
    "pyarrow",
    "numpy",
    "pandas",
    "sklearn",
    "scipy",
    "sqlalchemy",
    "alembic",
    "fastapi",
    "splink",
    "pyspark",
)


def loaded_after(*argv: str) -> set[str]:
    """The top-level packages in sys.modules after running ``tierwise ARGV`` in a fresh
    interpreter."""
    code = (
        "import sys, json\n"
        "from tierwise.cli.main import run\n"
        f"sys.argv = ['tierwise', *{list(argv)!r}]\n"
        "try:\n    run()\nexcept SystemExit:\n    pass\n"
        "print('\\n' + json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    "argv",
    [
        ("--help",),
        ("ingest", "--help"),
        ("grade", "--help"),
        ("explain", "--help"),
        ("features", "--help"),
        ("clean", "--help"),
        ("runs", "--help"),
        ("runs", "list", "--help"),
    ],
)
def test_help_loads_no_heavy_library(argv: tuple[str, ...]) -> None:
    assert loaded_after(*argv) & set(HEAVY) == set()


def test_explaining_a_grade_needs_no_ibis_nor_machine_learning() -> None:
    # `tierwise explain C1` reads the run's Parquet and its policy: PyArrow, not Ibis
    code = (
        "import sys\n"
        "from tierwise.explain import explain, render\n"
        "from tierwise.policy import parse_policy\n"
        "from tierwise.policy.tiering import Cutoff\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert set(out.stdout.split()) & {"ibis", "sklearn", "scipy", "duckdb", "sqlalchemy"} == set()


def test_the_clean_threshold_default_is_the_one_its_help_states() -> None:
    from tierwise.clean.dedupe import DedupeParams
    from tierwise.cli.clean import clean_command

    assert "0.99" in str(clean_command.__annotations__["threshold"])
    assert DedupeParams().threshold == 0.99


def test_grading_without_publish_loads_neither_the_store_nor_the_operations_modules(
    tmp_path: Path,
) -> None:
    # issue 28 item 1: `tierwise grade` imported the publishing pipeline, which pulls in the
    # store and the operations modules with SciPy, statsmodels and scikit-learn (about 8 s of
    # a whole process on the 2-core machine); they are imported with --publish only
    from tinylake import small_book

    lake = small_book(tmp_path / "lake")
    code = (
        "import sys, json\n"
        "from tierwise.cli.main import run\n"
        "sys.argv = ['tierwise', 'grade', '--as-of', '2025-06-30', '--lake', sys.argv[1],\n"
        "            '--out', sys.argv[2]]\n"
        "try:\n    run()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "print('\\n' + json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    env = dict(os.environ, TIERWISE_HOME=str(tmp_path / "home"), TIERWISE_ENGINE="duckdb")
    out = subprocess.run(
        [sys.executable, "-c", code, str(lake), str(tmp_path / "runs")],
        capture_output=True, text=True, check=True, timeout=300, env=env,
    )  # fmt: skip
    loaded = set(json.loads(out.stdout.strip().splitlines()[-1]))
    assert {"ibis", "duckdb"} <= loaded  # it did grade
    assert list((tmp_path / "runs").glob("2025*/assignments.parquet"))
    not_needed = {"scipy", "sklearn", "statsmodels", "sqlalchemy", "alembic", "fastapi", "polars"}
    assert loaded & not_needed == set()

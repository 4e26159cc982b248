"""Engines: where the one set of Ibis definitions (features, policy) gets executed.

Each engine is an adapter that returns an Ibis backend (:func:`open_backend`); the
computation never asks which engine it runs on. DuckDB is embedded and the default;
PySpark (``local[N]``, a ``spark://`` cluster or a Spark Connect ``sc://`` URL) is for
books that outgrow one machine. Both honour one memory cap (:mod:`tierwise.engines.memory`).
"""

from __future__ import annotations

from typing import Any, Literal

from tierwise.errors import UsageError

EngineName = Literal["duckdb", "spark"]
ENGINES: tuple[EngineName, ...] = ("duckdb", "spark")


def check_engine(name: str) -> EngineName:
    """``name`` as an engine name, or a usage error listing the choices."""
    if name not in ENGINES:
        raise UsageError(f"engine {name!r} is not known", hint="use duckdb or spark")
    return name


def open_backend(
    engine: str,
    *,
    spark_master: str = "local[2]",
    memory_limit: str | None = None,
    temp_dir: str | None = None,
) -> Any:
    """An Ibis backend for ``engine`` with the memory cap applied.

    Parameters
    ----------
    engine:
        ``duckdb`` or ``spark``.
    spark_master:
        ``local[N]``, ``spark://host:7077`` or a Spark Connect URL ``sc://host:15002``.
    memory_limit:
        A cap such as ``2GB``: DuckDB's ``memory_limit``; Spark's driver/executor memory.
    temp_dir:
        Where DuckDB spills (and Spark's ``spark.local.dir``) when the cap is reached.
    """
    if check_engine(engine) == "spark":
        from tierwise.engines.spark import spark_backend

        return spark_backend(spark_master, memory_limit=memory_limit, temp_dir=temp_dir)
    from tierwise.engines.duck import duckdb_backend

    return duckdb_backend(memory_limit=memory_limit, temp_dir=temp_dir)

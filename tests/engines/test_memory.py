"""The memory cap reaches each engine's own settings; bad sizes and masters fail clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from tierwise.engines import open_backend
from tierwise.engines.memory import parse_size, spark_memory
from tierwise.engines.spark import check_master, spark_conf
from tierwise.errors import UsageError


@pytest.mark.parametrize(
    ("text", "size"),
    [("2GB", 2 * 10**9), ("2 gb", 2 * 10**9), ("1.5GiB", 3 * 2**29), ("512MB", 512 * 10**6)],
)
def test_sizes_parse(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["two gigs", "2XB", "", "-1GB"])
def test_bad_sizes_say_how_to_write_one(text: str) -> None:
    with pytest.raises(UsageError, match="2GB"):
        parse_size(text)


def test_duckdb_gets_the_cap_a_spill_folder_and_no_insertion_order(tmp_path: Path) -> None:
    con = open_backend("duckdb", memory_limit="2GB", temp_dir=str(tmp_path))
    row = con.raw_sql(
        "SELECT current_setting('memory_limit'), current_setting('temp_directory'), "
        "current_setting('preserve_insertion_order')"
    ).fetchone()
    assert row[0] in ("1.8 GiB", "1.8GiB", "1862.6 MiB", "1.9 GB")
    assert row[1] == str(tmp_path)
    assert row[2] is False


def test_spark_heap_and_overhead_stay_within_the_cap() -> None:
    heap, overhead = spark_memory(parse_size("2GB"))
    assert int(heap[:-1]) + int(overhead[:-1]) <= 2 * 10**9 // 2**20
    conf = spark_conf("local[2]", memory_limit="2GB", temp_dir="/tmp/x")
    assert conf["spark.driver.memory"] == heap and conf["spark.local.dir"] == "/tmp/x"
    assert conf["spark.driver.bindAddress"] == "127.0.0.1"


@pytest.mark.parametrize("master", ["local[2]", "local[*]", "spark://h:7077", "sc://h:15002"])
def test_masters_accepted(master: str) -> None:
    assert check_master(master) == master


def test_unknown_engine_and_master_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="duckdb or spark"):
        open_backend("polars")
    with pytest.raises(UsageError, match="sc://"):
        check_master("localhost:7077")

"""Lake layout and atomic writes."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tierwise.errors import DataError
from tierwise.lake import has_table, parquet_glob, require_table, write_parquet_atomic


def test_atomic_write_leaves_no_temp_and_reads_back(tmp_path: Path) -> None:
    data = pa.table({"x": [1, 2, 3]})
    target = tmp_path / "orders" / "part-0.parquet"
    write_parquet_atomic(data, target)
    assert pq.read_table(target).equals(data)
    assert [p.name for p in target.parent.iterdir()] == ["part-0.parquet"]
    assert has_table(tmp_path, "orders")
    assert parquet_glob(tmp_path, "orders").endswith("orders/**/*.parquet")


def test_missing_table_says_how_to_fill_it(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="tierwise generate"):
        require_table(tmp_path, "orders")


def test_lake_urls_are_not_path_mangled() -> None:
    from tierwise.lake import as_lake, parquet_glob, table_location

    lake = as_lake("s3a://bucket/tierwise/lake/")
    assert lake == "s3a://bucket/tierwise/lake"
    assert table_location(lake, "orders") == "s3a://bucket/tierwise/lake/orders"
    assert parquet_glob(as_lake("hdfs://nn:8020/lake"), "orders") == (
        "hdfs://nn:8020/lake/orders/**/*.parquet"
    )
    assert as_lake("var/lake") == Path("var/lake")

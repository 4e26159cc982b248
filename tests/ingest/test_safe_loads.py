"""Safe loads: streamed, idempotent, atomic when killed, logged (R-DAT-2)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
from helpers_ingest import NOW, load_one

from tierwise.ingest.mapping import default_mapping
from tierwise.ingest.partitions import read_load_log
from tierwise.ingest.readers import read_csv
from tierwise.ingest.run import ingest

HEAD = "订单编号,客户编号,下单时间,下单渠道,订单金额\n"


def orders_csv(path: Path, n: int, encoding: str = "utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as fh:
        fh.write(HEAD)
        for i in range(n):
            fh.write(f"O{i},C{i % 97},2025-03-05 14:03:00,online,{i % 500}.50\n")
    return path


def test_a_big_file_is_streamed_not_loaded_whole(tmp_path: Path) -> None:
    f = orders_csv(tmp_path / "orders.csv", 200_000, "gbk")  # ~9 MB
    src = read_csv(f, block_bytes=256 * 1024)
    first = next(src.batches)
    # After the first batch only a small part of the file has been read from disk.
    assert first.data.num_rows < 10_000
    assert first.rows.to_pylist()[:2] == [2, 3]
    total = first.data.num_rows + sum(b.data.num_rows for b in src.batches)
    assert total == 200_000


def test_reingesting_the_same_file_adds_nothing_twice(home: Path, tmp_path: Path) -> None:
    f = orders_csv(tmp_path / "orders.csv", 100)
    first = load_one(home, f)
    run = ingest(f, default_mapping(), raw=home / "raw", home=home, now=NOW)
    assert run.loads[0].status == "unchanged"
    again = load_one(home, f, force=True)  # forced reload replaces the partition
    assert first.lake.num_rows == again.lake.num_rows == 100
    files = list((home / "raw" / "orders").rglob("*.parquet"))
    assert len(files) == 1
    log = read_load_log(home / "raw")
    assert [e["status"] for e in log] == ["loaded", "loaded"]
    assert log[0]["checksum"] == log[1]["checksum"]
    assert {"source", "rows_in", "rows_loaded", "rows_quarantined", "started", "finished"} <= set(
        log[0]
    )


def test_a_changed_file_replaces_its_partition(home: Path, tmp_path: Path) -> None:
    f = orders_csv(tmp_path / "orders.csv", 100)
    load_one(home, f)
    orders_csv(f, 40)
    assert load_one(home, f).lake.num_rows == 40


KILL_SCRIPT = """
import sys
from datetime import datetime
from pathlib import Path
from tierwise.ingest.mapping import default_mapping
from tierwise.ingest.run import ingest
import tierwise.ingest.load as load

def slow(n):
    print("progress", n, flush=True)
    import time; time.sleep(0.2)

home = Path(sys.argv[2])
ingest(Path(sys.argv[1]), default_mapping(), raw=home / "raw", home=home,
       now=datetime(2025, 6, 1), force=True, progress=lambda label, size: slow)
"""


def test_a_load_killed_half_way_leaves_the_previous_lake_intact(home: Path, tmp_path: Path) -> None:
    f = orders_csv(tmp_path / "orders.csv", 50)
    before = load_one(home, f).lake
    orders_csv(f, 600_000)  # several batches: killed while staging
    with subprocess.Popen(
        [sys.executable, "-c", KILL_SCRIPT, str(f), str(home)], stdout=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        while line and not line.startswith("progress"):
            line = proc.stdout.readline()
        assert line.startswith("progress")  # it is writing staged files
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert any((home / "raw" / "_staging").iterdir())  # the half-written load
    after = pq.read_table(home / "raw" / "orders" / "orders.csv.parquet")
    assert after.equals(before)
    assert len(read_load_log(home / "raw")) == 1
    # The next load cleans up and succeeds.
    assert load_one(home, orders_csv(f, 10), force=True).lake.num_rows == 10
    assert not any((home / "raw" / "_staging").iterdir())  # stale staging swept

"""`tierwise grade --publish`, `tierwise runs list` and `runs history` as a user runs them (issue 5)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from tinylake import ts, write_lake


def tierwise(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TIERWISE_HOME": str(home), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "tierwise", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_grade_publish_then_list_and_history(tmp_path: Path) -> None:
    customers = [{"customer_id": f"c{i}"} for i in range(6)]
    orders = [
        {
            "order_id": f"o{i}-{k}",
            "customer_id": f"c{i}",
            "order_time": ts(2025, 6, 25) - dt.timedelta(days=5 * k),
            "amount": 900 * i,
        }
        for i in range(1, 6)
        for k in range(6 * i)
    ]
    write_lake(tmp_path / "lake", {"customers": customers, "orders": orders})
    first = tierwise("grade", "--as-of", "2025-06-30", "--publish", home=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "published run" in first.stdout
    listed = tierwise("runs", "list", home=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "◀ current" in listed.stdout
    assert "published" in listed.stdout
    history = tierwise("runs", "history", "c5", home=tmp_path)
    assert history.returncode == 0, history.stderr
    assert "initial" in history.stdout


def test_grade_publish_on_a_missing_lake_is_one_line(tmp_path: Path) -> None:
    done = tierwise("grade", "--as-of", "2025-06-30", "--publish", home=tmp_path)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert "no 'customers' table" in done.stderr or "lake" in done.stderr

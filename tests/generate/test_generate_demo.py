"""The demo pipeline runs its steps and summarises the book it generated (issue 2)."""

from __future__ import annotations

import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tierwise.pipeline.demo import DEMO_STEPS, DemoContext, run_demo


def test_demo_steps_generate_and_summarise(tmp_path: Path) -> None:
    seen: list[str] = []
    ctx = run_demo(
        DemoContext(home=tmp_path, customers=60, months=6), on_step=lambda s: seen.append(s.name)
    )
    assert seen == [s.name for s in DEMO_STEPS]
    assert ctx.summary is not None
    assert ctx.generated is not None
    s = ctx.summary
    assert sum(s.customers_by_type.values()) == 60
    assert sum(s.orders_per_month.values()) == s.orders == ctx.generated.rows["orders"]
    assert s.order_lines == ctx.generated.rows["order_lines"]
    assert len(s.orders_per_month) == 6
    assert s.dirt["duplicate_customer"] >= 1
    # the models step (issue 8): CLV registered with its window, predictions published, the
    # profiles' LTV filled; models a 6-month book cannot train are named, not fatal
    cards = ctx.extra["models"]
    assert cards["clv"].version == "v0001" and str(cards["clv"].training_end) == "2026-10-31"
    assert set(cards) | set(ctx.extra["models_skipped"]) >= {"clv", "churn", "value"}
    with sqlite3.connect(tmp_path / "state.db") as db:
        graded, with_ltv = db.execute(
            "SELECT count(tier), count(ltv) FROM customer_profiles WHERE tier IS NOT NULL"
        ).fetchone()
    assert graded > 0 and with_ltv == graded
    # the publish opened retention call-back tasks for the churn warnings (R-OPS-5)
    assert ctx.extra["retention_tasks"].get("open", 0) > 0
    with sqlite3.connect(tmp_path / "state.db") as db:
        untagged = db.execute(
            "SELECT count(*) FROM retention_tasks t WHERE t.status = 'open' AND NOT EXISTS "
            "(SELECT 1 FROM customer_tags g WHERE g.customer_id = t.customer_id "
            "AND g.tag = 'churn_warning')"
        ).fetchone()[0]
    assert untagged == 0


def test_demo_command_prints_the_summary_and_exits_with_no_serve(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tierwise", "demo", "--customers", "40", "--months", "3",
         "--no-serve"],
        capture_output=True, text=True, timeout=300, check=False,
        env={"TIERWISE_HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "COLUMNS": "120"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    for title in ("Customers by business type", "Customers by province", "Customers by channel",
                  "Orders per month", "Dirt injected"):  # fmt: skip
        assert title in proc.stdout, title
    assert "console:" not in proc.stdout
    assert (tmp_path / "demo" / "lake" / "orders").is_dir()


def test_demo_ends_by_serving_the_console_with_a_printed_login(tmp_path: Path) -> None:
    """Without --no-serve the demo serves the console and prints its address and login."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "tierwise", "demo", "--customers", "40", "--months", "3",
         "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={"TIERWISE_HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "COLUMNS": "200"},
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        lines = []
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Ctrl-C" in line:
                break
        out = "".join(lines)
        assert f"console: http://127.0.0.1:{port}/" in out, out
        password = re.search(r"sign in as demo-admin with password (\S+)", out)
        assert password, out
        # the server starts listening just after printing (seconds later on a loaded machine)
        answer_by = time.monotonic() + 120
        while time.monotonic() < answer_by:
            try:
                url = f"http://127.0.0.1:{port}/console/login"
                with urllib.request.urlopen(url, timeout=10) as r:
                    assert r.status == 200 and "登录" in r.read().decode()
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise AssertionError("the console did not answer")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()

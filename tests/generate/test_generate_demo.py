"""The demo pipeline runs its steps and summarises the book it generated (issue 2)."""

from __future__ import annotations

import subprocess
import sys
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


def test_demo_command_prints_the_summary_and_says_what_is_not_built(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tierwise", "demo", "--customers", "40", "--months", "3"],
        capture_output=True, text=True, timeout=300, check=False,
        env={"TIERWISE_HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "COLUMNS": "120"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    for title in ("Customers by business type", "Customers by province", "Customers by channel",
                  "Orders per month", "Dirt injected", "not yet"):  # fmt: skip
        assert title in proc.stdout, title
    assert (tmp_path / "demo" / "lake" / "orders").is_dir()

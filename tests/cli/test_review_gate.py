"""`tierwise runs review` and `tierwise runs publish` as a user runs them: a run held for its
spot check is listed with its sample, refused in one line until reviewed, then published
(issue 23 item 4, R-GRD-11)."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from gatebook import gate_lake
from tierwise.policy import DEFAULT_POLICY
from tierwise.settings import Settings
from tierwise.store.db import make_engine
from tierwise.store.migrate import upgrade
from tierwise.store.schema import SpotCheckItem

from .test_runs import tierwise


def test_review_then_publish_a_held_run(tmp_path: Path) -> None:
    gate_lake(tmp_path)
    policy = tmp_path / "gated.yaml"
    policy.write_text(
        DEFAULT_POLICY.read_text(encoding="utf-8") + "\nreview:\n  per_stratum: 1\n",
        encoding="utf-8",
    )  # one CLI call per sampled item: few
    graded = tierwise(
        "grade", "--policy", str(policy), "--as-of", "2025-06-30", "--publish", home=tmp_path
    )
    assert graded.returncode == 0, graded.stderr
    assert "is awaiting review" in graded.stdout and "published run" not in graded.stdout
    held = re.search(r"run (\S+) is awaiting review", graded.stdout)
    assert held is not None
    run_id = held.group(1)
    engine = make_engine(Settings(home=tmp_path).state_url)
    upgrade(engine)
    with engine.connect() as conn:
        items = conn.execute(select(SpotCheckItem.id).order_by(SpotCheckItem.id)).scalars().all()
    engine.dispose()
    assert items

    listed = tierwise("runs", "list", home=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "awaiting_review" in listed.stdout
    shown = tierwise("runs", "review", run_id, home=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert f"run {run_id}: awaiting_review" in shown.stdout
    assert f"{len(items)} of {len(items)} without a verdict" in shown.stdout
    assert "new:" in shown.stdout

    early = tierwise("runs", "publish", run_id, home=tmp_path)
    assert early.returncode == 2  # ConflictError
    assert "spot check of run" in early.stderr and "not finished" in early.stderr
    assert "Traceback" not in early.stderr and len(early.stderr.strip().splitlines()) == 1

    for item in items:
        r = tierwise("spotcheck", "review", str(item), "agree", home=tmp_path)
        assert r.returncode == 0, r.stderr
    ready = tierwise("runs", "review", run_id, home=tmp_path)
    assert "agreement 100.0%" in ready.stdout and "ready: tierwise runs publish" in ready.stdout

    done = tierwise("runs", "publish", run_id, home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"run {run_id} published: 6 customers, changes: initial 6" in done.stdout
    history = tierwise("runs", "history", "c5", home=tmp_path)
    assert run_id in history.stdout
    again = tierwise("runs", "publish", run_id, home=tmp_path)
    assert again.returncode == 2 and "only a run awaiting review" in again.stderr

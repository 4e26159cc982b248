"""`tierwise tasks list` and `tierwise tasks done` as a user runs them (R-OPS-5)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tierwise.ops.retention import sync_tasks
from tierwise.policy.schema import Retention
from tierwise.settings import Settings
from tierwise.store.db import make_engine
from tierwise.store.migrate import upgrade

from .test_runs import tierwise


def _seed(home: Path) -> None:
    engine = make_engine(Settings(home=home).state_url)
    upgrade(engine)
    with engine.begin() as conn:
        sync_tasks(
            conn, Retention(), {"c1", "c2"}, now=dt.datetime(2026, 11, 1, 8), source="run",
            run_id="r1",
        )  # fmt: skip
    engine.dispose()


def test_list_then_done_with_a_note(tmp_path: Path) -> None:
    _seed(tmp_path)
    listed = tierwise("tasks", "list", home=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "c1" in listed.stdout and "c2" in listed.stdout and "open" in listed.stdout
    assert "2026-11-04 overdue" in listed.stdout
    done = tierwise("tasks", "done", "1", "--note", "called: orders next week", home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "task 1 (c1) is now done" in done.stdout
    only_done = tierwise("tasks", "list", "--status", "done", home=tmp_path)
    assert "called: orders next week" in only_done.stdout and "c2" not in only_done.stdout
    assert (
        "no retention tasks match"
        in tierwise("tasks", "list", "--manager", "AM9", home=tmp_path).stdout
    )


def test_errors_are_one_line_and_a_non_zero_exit(tmp_path: Path) -> None:
    _seed(tmp_path)
    cases = [
        (("tasks", "done", "99", "--note", "x"), "no retention task 99"),
        (("tasks", "done", "1", "--note", "  "), "closing a task as done needs a note"),
        (("tasks", "list", "--status", "closed"), "--status 'closed' is not a task status"),
        (("tasks", "update", "2", "--status", "recovered"), "cannot become recovered"),
    ]
    for args, message in cases:
        done = tierwise(*args, home=tmp_path)
        assert done.returncode != 0, args
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], (args, done.stderr)
        assert "Traceback" not in done.stderr

"""One reader of a run's folder (issue 16 item 4): grading/run.py writes runs/<id>/, and only
grading/handoff.py opens its files; every other module goes through handoff."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "tierwise"
# the run's files, by their layout constant or their name
FILES = re.compile(
    r"layout\.(ASSIGNMENTS|FEATURES|CUTOFFS|RUN_JSON)\b"
    r"|[\"'](assignments|features|cutoffs)\.parquet[\"']|[\"']run\.json[\"']"
)
ALLOWED = {
    "grading/layout.py",  # the names
    "grading/run.py",  # the writer
    "grading/handoff.py",  # the reader
    "api/sample.py",  # writes a tiny demo run for the API's sample mode (a writer, not a reader)
    "analytics/source.py",  # names run.json in a read error's message
}


def test_only_the_handoff_opens_a_run_folder() -> None:
    found = {
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.py")
        if FILES.search(p.read_text(encoding="utf-8"))
    }
    assert found <= ALLOWED, sorted(found - ALLOWED)

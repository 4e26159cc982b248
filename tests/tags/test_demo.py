"""The demo computes the tag snapshot and saves the business segments (issue 20)."""

from __future__ import annotations

from pathlib import Path

from tierwise.pipeline.demo import DEMO_SEGMENTS, DEMO_STEPS, DemoContext, run_demo
from tierwise.store.db import make_engine, sqlite_url
from tierwise.tags.service import audience_members, audiences


def test_demo_tags_step(tmp_path: Path) -> None:
    steps = [s for s in DEMO_STEPS if s.name in ("generate", "ingest", "clean", "tags")]
    ctx = run_demo(DemoContext(home=tmp_path, customers=60, months=6), steps)
    assert ctx.extra["tags"]["rows"] >= 60 and ctx.extra["tags"]["tags"] >= 300
    engine = make_engine(sqlite_url(tmp_path / "state.db"))
    saved = audiences(engine, "segment")
    assert [a["name"] for a in saved] == sorted(n for n, *_ in DEMO_SEGMENTS)
    assert {a["title_zh"] for a in saved} == {"战略客户", "成长客户", "潜力客户"}
    m = audience_members(engine, tmp_path, tmp_path / "runs", "growth")
    assert m.source["snapshot_as_of"] == "2026-10-31"

"""`tierwise surveys sample | load | report` as an office runs them (R-OPS-8, issue 26)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from sqlalchemy import insert

from tierwise.settings import Settings
from tierwise.store.db import make_engine
from tierwise.store.migrate import upgrade
from tierwise.store.schema import CustomerProfile, CustomerTier

from .test_runs import tierwise

NOW = dt.datetime(2026, 2, 27)


def _seed(home: Path) -> list[str]:
    engine = make_engine(Settings(home=home).state_url)
    upgrade(engine)
    ids = [f"C{i:07d}" for i in range(1, 7)]
    with engine.begin() as conn:
        conn.execute(
            insert(CustomerTier),
            [
                {
                    "customer_id": c,
                    "tier": "platinum",
                    "score": 90.0,
                    "run_id": "r1",
                    "since": NOW.date(),
                    "updated_at": NOW,
                }
                for c in ids
            ],
        )
        conn.execute(
            insert(CustomerProfile),
            [
                {"customer_id": c, "name": c, "account_manager": "AM001", "refreshed_at": NOW}
                for c in ids
            ],
        )
    engine.dispose()
    return ids


def test_sample_load_report(tmp_path: Path) -> None:
    ids = _seed(tmp_path)
    pol = tmp_path / "surveys.yaml"
    pol.write_text("name: t\nquotas: {platinum: 4}\ncooldown_days: 30\n", encoding="utf-8")
    done = tierwise("surveys", "sample", "--day", "2026-03-01", "--policy", str(pol), home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "wave 1 (2026-03-01): 4 customers sampled" in done.stdout
    again = tierwise(
        "surveys", "sample", "--day", "2026-03-02", "--policy", str(pol), home=tmp_path
    )
    assert "wave 2 (2026-03-02): 2 customers sampled" in again.stdout
    assert "warning: tier platinum short of its quota by 2" in again.stdout
    answers = tmp_path / "answers.csv"
    rows = ["customer_id,score,comment"] + [
        f"{c},{s}," for c, s in zip(ids, [10, 9, 3, 11, 8, 0], strict=True)
    ]
    answers.write_text("\n".join(rows) + "\n", encoding="utf-8")
    load = tierwise("surveys", "load", "1", str(answers), "--policy", str(pol), home=tmp_path)
    assert load.returncode == 0, load.stderr
    # the wave's 4 recipients are a random 4 of the 6: the file's others are rejected
    m = re.search(r"(\d+) answers loaded, (\d+) rows rejected, (\d+) detractor", load.stdout)
    assert m is not None and int(m[1]) + int(m[2]) == 6 and 3 <= int(m[1]) <= 4, load.stdout
    assert "not sent this survey wave" in load.stdout
    rep = tierwise("surveys", "report", home=tmp_path)
    assert rep.returncode == 0, rep.stderr
    assert "platinum" in rep.stdout and "2026-03-01" in rep.stdout
    bad = tierwise("surveys", "load", "9", str(answers), home=tmp_path)
    assert bad.returncode != 0 and "no survey wave 9" in bad.stderr


def test_followup_closes_a_wave_and_report_shows_two_phase(tmp_path: Path) -> None:
    """R-OPS-8 (issue 26): `surveys followup` draws a share of the non-respondents; the
    follow-up's answers load like any wave's and the report shows the two-phase NPS."""
    ids = _seed(tmp_path)
    pol = tmp_path / "surveys.yaml"
    pol.write_text("name: t\nquotas: {platinum: 6}\ncooldown_days: 30\n", encoding="utf-8")
    assert tierwise("surveys", "sample", "--day", "2026-03-01", "--policy", str(pol),
                    home=tmp_path).returncode == 0  # fmt: skip
    first = tmp_path / "first.csv"
    first.write_text(f"customer_id,score\n{ids[0]},10\n{ids[1]},9\n", encoding="utf-8")
    assert tierwise("surveys", "load", "1", str(first), home=tmp_path).returncode == 0
    fu = tierwise("surveys", "followup", "1", "--fraction", "0.5", "--day", "2026-03-08",
                  home=tmp_path)  # fmt: skip
    assert fu.returncode == 0, fu.stderr
    assert "wave 1 closed; follow-up wave 2 (call): 2 non-respondents drawn at 0.5" in fu.stdout
    calls = tierwise("surveys", "recipients", "2", home=tmp_path)
    drawn = [c for c in ids[2:] if c in calls.stdout]
    assert len(drawn) == 2 and "AM001" in calls.stdout
    second = tmp_path / "second.csv"
    second.write_text(f"customer_id,score\n{drawn[0]},0\n{drawn[1]},10\n", encoding="utf-8")
    load = tierwise("surveys", "load", "2", str(second), home=tmp_path)
    assert "2 answers loaded, 0 rows rejected, 1 detractor" in load.stdout, load.stdout
    rep = tierwise("surveys", "report", home=tmp_path)
    assert rep.returncode == 0, rep.stderr
    assert "follow-up of 1 (call)" in rep.stdout and "2 of 2" in rep.stdout
    # 2 promoters; 4 non-respondents stand as 2 detractors and 2 promoters: (4 - 2) / 6
    assert "+33.3" in rep.stdout
    again = tierwise("surveys", "followup", "1", "--fraction", "0.5", "--day", "2026-03-09",
                     home=tmp_path)  # fmt: skip
    assert again.returncode != 0 and "already has its follow-up wave 2" in again.stderr
    # sending answer links needs the link secret from the settings (none in code)
    send = tierwise("surveys", "send", "2", home=tmp_path)
    assert send.returncode != 0 and "TIERWISE_SURVEY_LINK_SECRET" in send.stderr

"""`tierwise supply plan | runs | show` on a tiny generated book (R-OPS-9, issue 27): the run
is kept, the proposal written as Excel, a bad policy refused without a traceback."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from tierwise.generate import GenerateConfig, generate

from .test_runs import tierwise


def test_plan_runs_show_and_a_bad_policy(tmp_path: Path) -> None:
    generate(
        GenerateConfig(
            customers=60, months=8, seed=4, end_date=dt.date(2026, 6, 30), exports=False
        ),
        tmp_path / "book",
    )
    lake = str(tmp_path / "book" / "lake")
    xlsx = tmp_path / "po.xlsx"
    done = tierwise(
        "supply", "plan", "--as-of", "2026-06-29", "--lake", lake, "--top-skus", "2",
        "--out", str(xlsx), home=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "supply run 1 (2026-06-29): 2 SKUs" in done.stdout
    sheets = pd.read_excel(xlsx, sheet_name=None, engine="calamine")
    lines = sum(len(s) for s in sheets.values())
    listed = tierwise("supply", "runs", home=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert f"│ 1   │ 2026-06-29 │ supply-default │ 2    │ {lines}" in listed.stdout
    shown = tierwise("supply", "show", "1", "--table", "levels", home=tmp_path)
    assert shown.returncode == 0 and "binding_tier" in shown.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: x\nservice_levels: {platinum: 1.5}\ndefault_tier: platinum\n", encoding="utf-8"
    )
    refused = tierwise(
        "supply", "plan", "--as-of", "2026-06-29", "--lake", lake, "--policy", str(bad),
        home=tmp_path,
    )  # fmt: skip
    assert refused.returncode != 0 and "outside (0, 1)" in refused.stderr
    assert "Traceback" not in refused.stderr

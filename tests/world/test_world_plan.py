"""A bad plan gets one clear error naming the entry, and nothing is written (issue 15)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tierwise.errors import UsageError
from tierwise.world import load_plan, parse_plan, simulate

GOOD = {"start": "2026-11-01", "days": 30, "seed": 1}


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        (
            {**GOOD, "arms": [{"name": "a", "customers": ["C0000001", "C9999999"],
                               "treatment": {"kind": "rebate", "percent": 2}}]},
            "arms[0] (a): unknown customer 'C9999999'",
        ),
        (
            {**GOOD, "arms": [{"name": "a", "share": 0.5, "treatment": {"kind": "rebat", "percent": 2}}]},
            "arms[0] (a).treatment: unknown treatment kind 'rebat'",
        ),
        (
            {**GOOD, "start": "2026-10-15", "arms": []},
            "start 2026-10-15 is before the day after the book ends (2026-11-01)",
        ),
        (
            {**GOOD, "arms": [
                {"name": "a", "customers": ["C0000003"], "treatment": {"kind": "discount", "percent": 2}},
                {"name": "b", "customers": ["C0000003", "C0000004"],
                 "treatment": {"kind": "discount", "percent": 5}},
            ]},
            "arms 'a' and 'b' both give discount to customer C0000003",
        ),
        (
            {**GOOD, "arms": [{"name": "a", "share": 0.5, "treatment": {"kind": "rebate", "percent": 2, "cap": 9}}]},
            "arms[0] (a).treatment.cap: Extra inputs are not permitted",
        ),
        (
            {**GOOD, "arms": [{"name": "a", "share": 0.5, "of": {"tierr": "gold"},
                               "treatment": {"kind": "coupon", "value": 20}}]},
            "arms[0] (a).of: unknown column 'tierr'",
        ),
    ],
)  # fmt: skip
def test_a_bad_plan_names_the_entry_and_writes_nothing(
    book: Path, tmp_path: Path, plan: dict[str, object], message: str
) -> None:
    out = tmp_path / "out"
    with pytest.raises(UsageError) as err:
        simulate(book, parse_plan(plan), out)
    assert message in str(err.value)
    assert not out.exists()


def test_different_kinds_may_share_a_customer(book: Path, tmp_path: Path) -> None:
    plan = parse_plan(
        {**GOOD, "arms": [
            {"name": "a", "customers": ["C0000003"], "treatment": {"kind": "discount", "percent": 2}},
            {"name": "b", "customers": ["C0000003"], "treatment": {"kind": "coupon", "value": 30}},
        ]}
    )  # fmt: skip
    simulate(book, plan, tmp_path)
    import pyarrow.parquet as pq

    arms = pq.read_table(tmp_path / "truth" / "assignment.parquet").to_pylist()[2]
    assert arms == {"customer_id": "C0000003", "arm": "a+b", "kinds": "discount+coupon"}


def test_customers_file_and_labels_are_read_relative_to_the_plan(
    book: Path, tmp_path: Path
) -> None:
    (tmp_path / "treated.csv").write_text("customer_id\nC0000001\nC0000002\n", encoding="utf-8")
    (tmp_path / "tiers.csv").write_text(
        "customer_id,tier\n"
        + "".join(f"C{i:07d},{'黄金' if i % 3 == 0 else '白银'}\n" for i in range(1, 1501)),
        encoding="utf-8",
    )
    (tmp_path / "plan.yaml").write_text(
        "start: 2026-11-01\ndays: 30\nseed: 2\nlabels: tiers.csv\narms:\n"
        "  - {name: listed, customers: treated.csv, treatment: {kind: visit_cadence, every_days: 7}}\n"
        "  - {name: gold, share: 0.5, of: {tier: 黄金}, treatment: {kind: rebate, percent: 2}}\n"
        "  - {name: control, rest: true}\n",
        encoding="utf-8",
    )
    result = simulate(book, load_plan(tmp_path / "plan.yaml"), tmp_path / "out", plan_dir=tmp_path)
    import pyarrow.parquet as pq

    rows = pq.read_table(tmp_path / "out" / "truth" / "assignment.parquet").to_pylist()
    gold = [r for r in rows if "gold" in r["arm"]]
    assert gold and all(int(r["customer_id"][1:]) % 3 == 0 for r in gold)
    assert 0.3 < len(gold) / 500 < 0.7
    assert [r["arm"] for r in rows[:2]] == ["listed", "listed"]
    assert result.rows["visits"] > 0


def test_cli_bad_plan_is_one_line_and_a_non_zero_exit(book: Path, tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "start: 2026-11-01\narms:\n  - {name: x, share: 0.5, treatment: {kind: bribe}}\n",
        encoding="utf-8",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "tierwise", "world", "simulate", "--book", str(book), "--plan",
         str(plan), "--out", str(tmp_path / "out")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "unknown treatment kind 'bribe'" in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()

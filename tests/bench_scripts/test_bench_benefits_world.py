"""bench/bench_benefits_world.py on a tiny world: the ledger's figures against the world's truth
(issue 21, R-OPS-3). The ledger's orders must equal the world's rebate basis to the fen, and
its accrual differ from the world's rebate only by the refunds it nets."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `bench/` is a top-level package of the repository, not installed
    sys.path.insert(0, str(ROOT))

from bench import bench_benefits_world as bw  # noqa: E402


@pytest.fixture(scope="module")
def figures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    return bw.measure(400, 3, 5, tmp_path_factory.mktemp("bw"))  # type: ignore[no-any-return]


def test_the_ledger_and_the_world_agree_on_the_same_basis(figures: dict[str, object]) -> None:
    m = figures
    assert m["members"] > 0 and m["ledger_customers"] == m["members"]
    assert m["coupons_to_arm"] == 0  # the plan gives the arm no coupon: the world nets none
    assert m["basis_off"] == 0
    assert m["ledger_gross"] == m["world_basis"]
    realised = m["realised"]
    assert isinstance(realised, Decimal) and realised > 0
    # three monthly roundings against the world's one: at most a fen and a half per customer
    assert m["amount_off"] <= Decimal("0.02")
    assert abs(m["like_total"] - realised) <= Decimal("0.02") * m["members"]  # type: ignore[operator]
    # what is left between the ledger's accrual and the world's cost is the refunds it nets
    refunds = m["ledger_refunds"]
    assert isinstance(refunds, Decimal) and refunds > 0
    left = m["like_total"] - m["ledger_total"]  # type: ignore[operator]
    assert abs(left - refunds * Decimal("0.02")) <= Decimal("0.02") * 3 * m["members"]  # type: ignore[operator]


def test_the_report_names_the_figures(figures: dict[str, object]) -> None:
    text = bw.report(figures)
    assert "realised rebate" in text and "refunds netted" in text
    assert '"figure": "benefits: ledger basis vs the world\'s rebate basis (customers off)"' in text
    assert "ROI" in text
    # both dry runs: the season one (here the book is too short: `auto` says it fell back)
    assert "dry run (season) vs the world's realised cost" in text
    assert "dry run (recent, the old one)" in text
    assert figures["season_method"] == "recent" and "fell back" in text

"""bench/bench_service_world.py on a tiny world (R-OPS-1, issue 21 item 3): grants from the tier
writer give each tier its target; the module's order never breaches more top-tier tickets
than FIFO at the same capacity, and every ticket is worked once in both."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `bench/` is a top-level package of the repository, not installed
    sys.path.insert(0, str(ROOT))

from bench import bench_service_world as bs  # noqa: E402


@pytest.fixture(scope="module")
def figures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    return bs.measure(400, 6, 5, tmp_path_factory.mktemp("bs"))  # type: ignore[no-any-return]


def test_targets_follow_the_grants_and_vip_first_helps_the_top_tier(
    figures: dict[str, object],
) -> None:
    per = figures["per"]
    assert isinstance(per, dict) and per
    targets = {t: p["target"] / p["tickets"] for t, p in per.items()}
    expected = {"platinum": 2, "gold": 8, "silver": 24, "bronze": 48, "ungraded": 24}
    assert {t: expected[t] for t in targets} == targets  # the default policy's service levels
    assert sum(p["tickets"] for p in per.values()) == figures["tickets"]
    for p in per.values():
        assert p["vip_late"] <= p["tickets"] and p["fifo_late"] <= p["tickets"]
    if "platinum" in per:
        assert per["platinum"]["vip_late"] <= per["platinum"]["fifo_late"]
    text = bs.report(figures)  # type: ignore[arg-type]
    assert "VIP first" in text and "<!-- figure:" in text


def test_the_module_order_beats_fifo_for_the_top_tier_on_a_busy_desk() -> None:
    import datetime as dt

    from tierwise.ops.benefits.decide import Grant
    from tierwise.ops.service.decide import Ticket, terms_reader

    day = dt.date(2026, 1, 1)

    def svc(level: str, hours: int) -> list[Grant]:
        params = {"level": level, "response_hours": hours}
        return [Grant(1, "service_level", "service_level", params, "x", day, None, "active")]

    grants = {"vip": svc("dedicated", 2), "std": svc("basic", 48)}
    t0 = dt.datetime(2026, 1, 2, 9)
    # ten basic tickets arrive just before one VIP ticket; one agent, one hour each
    tickets = [Ticket(f"s{i}", "std", t0, "complaint", 1, "other") for i in range(10)]
    tickets.append(Ticket("v", "vip", t0 + dt.timedelta(minutes=1), "complaint", 1, "other"))
    fifo = bs.desk(tickets, terms_reader(grants), 1, vip_first=False)
    vip = bs.desk(tickets, terms_reader(grants), 1, vip_first=True)
    assert fifo["v"][0] is True and vip["v"][0] is False  # breached in FIFO, not VIP first
    assert len(fifo) == len(vip) == 11

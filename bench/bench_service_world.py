"""Differentiated service on the world (R-OPS-1, issue 21 item 3): VIP first against FIFO at the
same handling capacity.

A generated book (12 months to 2026-10-31) is graded with the default policy as of 90 days
before its end and published through the one tier writer, whose hook grants each tier its
``service_level`` (铂金 dedicated 2 h, 黄金 priority 8 h, 白银 standard 24 h, 青铜 basic 48 h).
The world's tickets of the following 90 days are then

1. reported as the module reports them (``service.breach_report``: the world's own resolution
   times against each ticket's target), and
2. worked again by a simulated desk of ``c`` agents, 24 hours a day, each ticket taking one
   agent ``WORK_H`` hours, ``c`` the fewest agents that keep the desk under 90 % busy: once in
   arrival order (FIFO) and once in the module's order (``order_queue`` at every dispatch:
   service level, time left, severity). A ticket breaches when its work ends after its target.

The desk model (one hour a ticket, round-the-clock agents) is this bench's assumption; the
arrivals, tiers, targets and ordering are the world's and the module's.

    flock /work/bench.lock uv run --frozen python -m bench.bench_service_world --customers 20000
"""

from __future__ import annotations

import argparse
import datetime as dt
import heapq
import math
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import tierwise.pipeline  # noqa: F401  (registers the benefits hook with the tier writer)
from bench.common import figure, machine_facts, record
from tierwise.generate import GenerateConfig, generate
from tierwise.ops.service import service, store
from tierwise.ops.service.decide import Ticket, order_queue, terms_reader
from tierwise.pipeline.publish import grade_and_publish
from tierwise.policy import DEFAULT_POLICY, load_policy
from tierwise.store.db import make_engine, sqlite_url
from tierwise.store.migrate import upgrade

END = dt.date(2026, 10, 31)
DAYS = 90
WORK_H = 1.0
BUSY = 0.9


def desk(
    tickets: list[Ticket], terms: Any, agents: int, vip_first: bool
) -> dict[str, tuple[bool, float]]:
    """Each ticket's (breached, wait hours) when ``agents`` work them in arrival order or in
    the module's order."""
    work = dt.timedelta(hours=WORK_H)
    arrivals = sorted(tickets, key=lambda t: (t.created_time, t.ticket_id))
    free = [arrivals[0].created_time] * agents
    heapq.heapify(free)
    waiting: list[Ticket] = []
    i, out = 0, {}
    while i < len(arrivals) or waiting:
        at = heapq.heappop(free)
        if not waiting and arrivals[i].created_time > at:
            at = arrivals[i].created_time
        while i < len(arrivals) and arrivals[i].created_time <= at:
            waiting.append(arrivals[i])
            i += 1
        nxt = order_queue(waiting, terms, at)[0].ticket if vip_first else waiting[0]
        waiting.remove(nxt)
        done = at + work
        target = terms(nxt.customer_id, nxt.created_time.date()).response_hours
        out[nxt.ticket_id] = (
            done > nxt.created_time + dt.timedelta(hours=target),
            (at - nxt.created_time).total_seconds() / 3600,
        )
        heapq.heappush(free, done)
    return out


def measure(customers: int, months: int, seed: int, work: Path) -> dict[str, Any]:
    """Every figure of the bench on a fresh book of ``customers`` × ``months``."""
    book = work / "book"
    t0 = time.perf_counter()
    generate(GenerateConfig(customers=customers, months=months, seed=seed, end_date=END,
                            exports=False), book)  # fmt: skip
    gen_s = time.perf_counter() - t0
    engine = make_engine(sqlite_url(work / "state.db"))
    upgrade(engine)
    start = END - dt.timedelta(days=DAYS)
    t0 = time.perf_counter()
    grade_and_publish(load_policy(DEFAULT_POLICY), as_of=start, lake=book / "lake",
                      runs=work / "runs", engine=engine, trigger="bench",
                      policy_dir=DEFAULT_POLICY.parent)  # fmt: skip
    grade_s = time.perf_counter() - t0
    lake = book / "lake"
    now = dt.datetime.combine(END, dt.time(23, 59, 59))
    first = dt.datetime.combine(start + dt.timedelta(days=1), dt.time())
    with engine.connect() as conn:
        report = service.breach_report(conn, lake, now, start + dt.timedelta(days=1),
                                       END + dt.timedelta(days=1))  # fmt: skip
        tickets = store.tickets(conn, lake, since=first, until=now)
        ids = sorted({t.customer_id for t in tickets})
        grants = store.service_grants(conn, ids)
        tier_of = store.tiers_of(conn, ids)
        order = store.tier_order(conn)
    engine.dispose()
    terms = terms_reader(grants)
    open_tickets = [Ticket(t.ticket_id, t.customer_id, t.created_time, t.kind, t.severity,
                           t.topic) for t in tickets]  # fmt: skip
    hours = DAYS * 24
    agents = max(1, math.ceil(len(open_tickets) * WORK_H / (hours * BUSY)))
    t0 = time.perf_counter()
    desks = [agents, agents - 1] if agents > 1 else [agents]  # and one agent short
    runs = [(desk(open_tickets, terms, n, vip_first=False),
             desk(open_tickets, terms, n, vip_first=True)) for n in desks]  # fmt: skip
    sim_s = time.perf_counter() - t0
    pers = []
    for fifo, vip in runs:
        per: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for t in open_tickets:
            p = per[tier_of.get(t.customer_id) or "ungraded"]
            p["tickets"] += 1
            p["target"] += terms(t.customer_id, t.created_time.date()).response_hours
            for name, res in (("fifo", fifo), ("vip", vip)):
                late, wait = res[t.ticket_id]
                p[f"{name}_late"] += late
                p[f"{name}_wait"] += wait
        pers.append({k: dict(v) for k, v in per.items()})
    return {
        "customers": customers, "months": months, "tickets": len(open_tickets),
        "agents": agents, "busy": len(open_tickets) * WORK_H / (agents * hours),
        "world": report, "per": pers[0], "desks": list(zip(desks, pers, strict=True)),
        "order": [*order, "ungraded"], "gen_s": gen_s, "grade_s": grade_s, "sim_s": sim_s,
    }  # fmt: skip


def _rate(n: float, d: float) -> str:
    return f"{n / d:.1%}" if d else "—"


def report(m: dict[str, Any]) -> str:
    """The section of docs/benchmarks.md."""
    w = m["world"]
    world_rows = "\n".join(
        f"| {r.tier or '—'} | {r.tickets} | {r.resolved_late} | {r.open_overdue} | "
        f"{_rate(r.breached, r.tickets)} | {_rate(r.breached, sum(x.breached for x in w.totals))} | "
        f"{'—' if r.median_hours is None else f'{r.median_hours:.1f}'} |"
        for r in w.totals
    )
    per = m["per"]
    tiers = [t for t in m["order"] if t in per]
    hours = DAYS * 24
    desk_rows = "\n".join(
        f"| {n} ({m['tickets'] * WORK_H / (n * hours):.0%} busy) | {t} | {q[t]['tickets']:.0f} | "
        f"{q[t]['target'] / q[t]['tickets']:.0f} | "
        f"{_rate(q[t]['fifo_late'], q[t]['tickets'])} | "
        f"{_rate(q[t]['vip_late'], q[t]['tickets'])} | "
        f"{q[t]['fifo_wait'] / q[t]['tickets']:.2f} | {q[t]['vip_wait'] / q[t]['tickets']:.2f} |"
        for n, q in m["desks"]
        for t in tiers
    )
    top = tiers[0]
    fifo_top = per[top]["fifo_late"] / per[top]["tickets"]
    vip_top = per[top]["vip_late"] / per[top]["tickets"]
    ratio = vip_top / fifo_top if fifo_top else None
    all_fifo = sum(p["fifo_late"] for p in per.values()) / m["tickets"]
    all_vip = sum(p["vip_late"] for p in per.values()) / m["tickets"]
    return f"""## Differentiated service on the world: VIP first against FIFO (issue 21 item 3)

{machine_facts()}

`flock /work/bench.lock uv run --frozen python -m bench.bench_service_world --customers {m["customers"]}`:
a book of {m["customers"]:,} customers × {m["months"]} months to {END}, graded with the default
policy as of {END - dt.timedelta(days=DAYS)} and published through the tier writer (its hook
grants each tier's `service_level`); the world's {m["tickets"]:,} tickets of the next {DAYS} days
(generate {m["gen_s"]:.0f} s, grade and publish {m["grade_s"]:.0f} s).

**1. Breaches as the module reports them** (`service.breach_report`, the world's own resolution
times against each ticket's target). The book's tickets were resolved the same way for every
tier (its generator knows no service levels), so the tight VIP targets are breached most: what
a distributor sees the day it starts tracking targets its desk was not run by.

| tier | tickets | resolved late | open, overdue | breach rate | share of breaches | median hours to resolve |
|---|---|---|---|---|---|---|
{world_rows}

**2. A desk at the same capacity, FIFO vs the module's order**: {m["agents"]} agents round the
clock (the fewest under {BUSY:.0%} busy), then one agent short; {WORK_H:g} h a ticket; breached =
work ends after the target (simulations {m["sim_s"]:.1f} s):

| agents | tier | tickets | mean target h | breached, FIFO | breached, VIP first | mean wait h, FIFO | mean wait h, VIP first |
|---|---|---|---|---|---|---|---|
{desk_rows}

With {m["agents"]} agents, all tickets: {all_fifo:.1%} breached in FIFO, {all_vip:.1%} in the
module's order. The module's order moves the wait from the tight targets to the loose ones:
{top}'s breach rate goes from {fifo_top:.1%} to {vip_top:.1%}; what it costs the others is in the
wait columns (and, one agent short, in their breaches).

{figure("service: top-tier breach rate, VIP first vs FIFO", None if ratio is None else round(ratio, 3), "FIFO at the same capacity", "< 1", None if ratio is None else ratio < 1, f"{fifo_top:.1%} → {vip_top:.1%}")}
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=20_000)
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--seed", type=int, default=21)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-service-world-"))
    body = report(measure(args.customers, args.months, args.seed, work))
    print(body)
    record("service_world", body)


if __name__ == "__main__":
    main()

"""Render time of every console page with 100 000 customers loaded (issue 7).

Seeds N customers (:mod:`tierwise.api.sample`: lake, two published runs, run details, the
``customer_profiles`` read model) on SQLite, builds the app in-process and requests each page
through the ASGI stack (Starlette's test client: routing, session cookie, repositories,
Jinja2; no network) after one warm-up request, ``--repeat`` times. Target: every page under
1 s. The browser's own work (ECharts drawing) is not in these figures.

    uv run python -m bench.bench_console --customers 100000
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from bench.common import figure, machine_facts, record
from tierwise.api.access import Principal, Role
from tierwise.api.app import create_app
from tierwise.api.auth import DEV_SECRET, issue_token, utcnow
from tierwise.api.sample import seed
from tierwise.console.session import SESSION_COOKIE
from tierwise.settings import Settings
from tierwise.store.db import make_engine, sqlite_url

PAGES = [
    ("dashboard (6 charts, migration matrix)", "analyst", "/console/"),
    ("customer list, page 1", "analyst", "/console/customers"),
    ("customer list, page 2 000", "analyst", "/console/customers?p=2000"),
    ("list sorted by LTV, descending (issue 18)", "analyst", "/console/customers?sort=-ltv"),
    (
        "list sorted by churn probability, page 2 000",
        "analyst",
        "/console/customers?sort=churn_probability&p=2000",
    ),
    ("list filtered by tier (htmx partial)", "analyst", "/console/customers?tier=gold"),
    (
        "list filtered by tag + province",
        "analyst",
        "/console/customers?tag=churn_warning&province=四川省",
    ),
    ("list search by name", "analyst", "/console/customers?q=火锅"),
    ("list, account manager's own", "sales", "/console/customers"),
    ("customer 360°", "service", "/console/customers/{mid}"),
    ("policies", "analyst", "/console/policies"),
    ("policy editor", "analyst", "/console/policies/sample"),
    ("runs", "analyst", "/console/runs"),
    ("models (with the churn warning backtest)", "analyst", "/console/models"),
    ("retention tasks, by value at risk (issue 18)", "marketing", "/console/tasks"),
    ("customer view (my tier)", "customer", "/console/me"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-doc", action="store_true", help="print only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tierwise-bench-console-") as tmp:
        home = Path(tmp)
        engine = make_engine(sqlite_url(home / "state.db"))
        t0 = time.perf_counter()
        seed(engine, home, args.customers)
        seed_s = time.perf_counter() - t0
        print(f"seeded {args.customers:,} customers in {seed_s:.1f} s", flush=True)
        app = create_app(Settings(home=home, env="development"), engine=engine)
        for _, role, _ in PAGES:  # a token's user must exist and be active (issue 17)
            if not any(u["name"] == f"bench-{role}" for u in app.state.ctx.users.list_users()):
                app.state.ctx.users.add_user(
                    f"bench-{role}",
                    Role(role),
                    "a bench password",
                    now=utcnow(),
                    manager_id="AM003" if role == "sales" else None,
                    customer_id="C0000005" if role == "customer" else None,
                )
        rows = []
        with TestClient(app) as client:
            client.get("/console/login")  # the app's own first request (imports, templates)
            # the same-run baseline: a page through the same stack that reads no data
            login = []
            for _ in range(max(args.repeat, 5)):
                t = time.perf_counter()
                assert client.get("/console/login").status_code == 200
                login.append((time.perf_counter() - t) * 1000)
            login_ms = statistics.median(login)
            for title, role, url in PAGES:
                p = Principal(
                    f"user:bench-{role}",
                    Role(role),
                    manager_id="AM003" if role == "sales" else None,
                    customer_id="C0000005" if role == "customer" else None,
                )
                token = issue_token(p, DEV_SECRET, now=utcnow(), minutes=30)
                client.cookies.set(SESSION_COOKIE, token)
                url = url.format(mid=f"C{args.customers // 2:07d}")
                headers = {"HX-Request": "true"} if "htmx" in title else {}
                t = time.perf_counter()
                r = client.get(url, headers=headers)
                cold = (time.perf_counter() - t) * 1000
                assert r.status_code == 200, (url, r.status_code, r.text[:300])
                times = []
                for _ in range(args.repeat):
                    t = time.perf_counter()
                    r = client.get(url, headers=headers)
                    times.append((time.perf_counter() - t) * 1000)
                    assert r.status_code == 200
                med, worst = statistics.median(times), max(times)
                rows.append((title, url, cold, med, worst, len(r.content)))
                print(
                    f"{title:40s} first {cold:7.1f}  median {med:7.1f}  max {worst:7.1f} ms",
                    flush=True,
                )
        engine.dispose()
    slowest = max(max(r[2], r[4]) for r in rows)
    table = "\n".join(
        f"| {t} | `{u}` | {c:.0f} | {m:.0f} | {w:.0f} | {b / 1024:.0f} |"
        for t, u, c, m, w, b in rows
    )
    body = f"""## Console pages (issue 7)

{args.customers:,} customers in the read model (SQLite, seeded in {seed_s:.0f} s); each page
requested once after the app has served its login page ("first": cold caches, e.g. the dashboard's aggregates, which are then
cached per published run for 60 s), then {args.repeat} more times through the ASGI stack in-process
(session cookie, access decision, repositories, Jinja2; no network, no browser drawing).
Machine, at the end of the run: {machine_facts()}.

| page | URL | first ms | median ms | max ms | KiB |
|---|---|---:|---:|---:|---:|
{table}

Slowest single render: {slowest:.0f} ms (target: every page under 1 000 ms). Baseline, in the
same run and app: the login page (same stack, no data read) renders in {login_ms:.1f} ms
(median); the slowest render is {slowest / login_ms:.0f}x that.
{
        figure(
            f"console, slowest page render, {args.customers:,} customers",
            round(slowest / login_ms),
            "the login page through the same stack (median)",
            "every page < 1 000 ms",
            slowest < 1000,
            value=f"{slowest:.0f} ms",
        )
    }
`uv run python -m bench.bench_console --customers {args.customers}`
"""
    print(body)
    if not args.no_doc:
        record("console", body)


if __name__ == "__main__":
    main()

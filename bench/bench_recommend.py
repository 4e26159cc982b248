"""Recommendations (R-OPS-7): training at scale and serving latency.

Training: a customers × SKUs matrix of order counts like a distributor's (each customer buys
``--items-per-customer`` distinct SKUs on average, drawn from a Zipf-like catalogue
popularity, counts 1–30), then the implicit ALS fit, the item-kNN fit and the new-items top 10
for every customer through the same ranking and rules code as served
(:func:`tierwise.recommend.rank.top_new`). Wall time per step and the process's peak RSS.

Serving: ``GET /customers/{id}/recommendations`` through the app (SQLite store with
``--serve-customers`` stored lists, the sample book's customers), ``--requests`` random
customers, p50/p99.

    flock /work/bench.lock uv run --frozen python -m bench.bench_recommend --customers 2000000
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def synthetic_counts(customers: int, items: int, per_customer: int, seed: int = 0) -> sp.csr_matrix:
    """customers × items order counts: Zipf-like SKU popularity, ~per_customer SKUs each."""
    rng = np.random.default_rng(seed)
    k = rng.poisson(per_customer, customers).clip(1, items)
    pop = 1.0 / np.arange(1, items + 1) ** 0.8
    pop /= pop.sum()
    rows = np.repeat(np.arange(customers, dtype=np.int32), k)
    cols = rng.choice(items, size=int(k.sum()), p=pop).astype(np.int32)
    data = rng.integers(1, 31, size=len(cols)).astype(np.float32)
    m = sp.csr_matrix((data, (rows, cols)), shape=(customers, items))
    m.sum_duplicates()
    return m


def train(args: argparse.Namespace) -> None:
    from tierwise.recommend.models import ALS, ItemKNN
    from tierwise.recommend.rank import top_new

    t = time.perf_counter()
    counts = synthetic_counts(args.customers, args.items, args.items_per_customer)
    print(
        f"matrix {counts.shape[0]:,} × {counts.shape[1]:,}, {counts.nnz:,} entries: "
        f"{time.perf_counter() - t:.1f} s, peak RSS {_rss_mb():,.0f} MB",
        flush=True,
    )
    total = 0.0
    t = time.perf_counter()
    als = ALS(iterations=args.iterations).fit_counts(counts)
    took = time.perf_counter() - t
    total += took
    print(
        f"ALS fit ({als.factors} factors, {als.iterations} iterations): {took:.1f} s, peak RSS {_rss_mb():,.0f} MB",
        flush=True,
    )
    t = time.perf_counter()
    vectors = counts.copy()
    vectors.data = np.log1p(vectors.data)
    knn = ItemKNN().fit_vectors(vectors)
    took = time.perf_counter() - t
    total += took
    print(f"item-kNN fit: {took:.1f} s, peak RSS {_rss_mb():,.0f} MB", flush=True)
    t = time.perf_counter()
    boost = np.ones(args.items)
    allowed = np.ones((args.batch, args.items), dtype=bool)
    for start in range(0, counts.shape[0], args.batch):
        users = np.arange(start, min(start + args.batch, counts.shape[0]))
        top_new(als.score(users), counts[users], allowed[: len(users)], boost, 10)
    took = time.perf_counter() - t
    total += took
    print(
        f"new-items top 10 for every customer (ALS): {took:.1f} s, peak RSS {_rss_mb():,.0f} MB",
        flush=True,
    )
    del knn
    cpu = time.process_time()
    print(
        f"TRAINING TOTAL {total:.1f} s wall ({total / 60:.1f} min), process CPU {cpu:.0f} s "
        f"(both cores: {cpu / 2 / 60:.1f} min if it had them to itself), peak RSS {_rss_mb():,.0f} MB"
    )


def serve(args: argparse.Namespace) -> None:
    import pandas as pd
    from fastapi.testclient import TestClient

    from tierwise.api.access import Principal, Role
    from tierwise.api.app import create_app
    from tierwise.api.auth import DEV_SECRET, issue_token, utcnow
    from tierwise.api.sample import seed
    from tierwise.recommend.book import Book
    from tierwise.recommend.lists import build_lists
    from tierwise.recommend.policy import RecommendPolicy
    from tierwise.recommend.service import store_lists
    from tierwise.settings import Settings
    from tierwise.store.db import make_engine, sqlite_url

    n = args.serve_customers
    rng = np.random.default_rng(1)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        engine = make_engine(sqlite_url(home / "state.db"))
        seed(engine, home, n)
        ids = [f"C{i:07d}" for i in range(1, n + 1)]
        skus = [f"SK{j:04d}" for j in range(args.items)]
        products = pd.DataFrame(
            {"sku": skus, "name": skus, "category": "冻品", "unit_price": 20.0, "unit_cost": 15.0}
        )
        rows = []
        end = dt.date(2026, 10, 31)
        for c in ids:
            for o in range(12):
                day = end - dt.timedelta(days=int(rng.integers(0, 180)))
                for j in rng.choice(args.items, 8, replace=False):
                    rows.append((c, f"{c}-{o}", day, skus[int(j)], 1.0))
        lines = pd.DataFrame(rows, columns=["customer_id", "order_id", "day", "sku", "quantity"])
        customers = pd.DataFrame(
            {"customer_id": ids, "cuisine": "火锅", "business_type": "single", "province": "四川省"}
        )
        book = Book(lines, products, customers, end)
        t = time.perf_counter()
        store_lists(
            engine, build_lists(book, RecommendPolicy(), "als"), None, dt.datetime(2026, 11, 1)
        )
        print(
            f"built and stored lists of {n:,} customers: {time.perf_counter() - t:.1f} s",
            flush=True,
        )
        app = create_app(Settings(home=home, env="test"), engine=engine)
        tok = issue_token(Principal("user:bench", Role.ADMIN), DEV_SECRET, now=utcnow(), minutes=60)
        h = {"Authorization": f"Bearer {tok}"}
        times = []
        with TestClient(app) as client:
            for _ in range(50):  # warm-up
                client.get(f"/customers/{random.choice(ids)}/recommendations", headers=h)
            for _ in range(args.requests):
                c = random.choice(ids)
                t = time.perf_counter()
                r = client.get(f"/customers/{c}/recommendations", headers=h)
                times.append((time.perf_counter() - t) * 1000)
                assert r.status_code == 200, r.text
        q = statistics.quantiles(times, n=100)
        print(
            f"GET /customers/{{id}}/recommendations, {args.requests} requests over {n:,} stored "
            f"customers: p50 {q[49]:.1f} ms, p99 {q[98]:.1f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=2_000_000)
    parser.add_argument("--items", type=int, default=1_000)
    parser.add_argument("--items-per-customer", type=int, default=30)
    parser.add_argument("--iterations", type=int, default=12)
    parser.add_argument("--batch", type=int, default=20_000)
    parser.add_argument("--serve-customers", type=int, default=5_000)
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--skip-train", action="store_true")
    parser.add_argument("--skip-serve", action="store_true")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores", flush=True)
    if not args.skip_train:
        train(args)
    if not args.skip_serve:
        serve(args)
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

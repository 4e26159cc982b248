"""The recommendation module's edges: lake → lists → store; backtest file; real-time refresh.

- :func:`evaluate_lake` runs the backtest on the lake and writes its figures and the ship
  decision to ``$TIERWISE_HOME/recommend/backtest.json`` (the models page reads it).
- :func:`build_and_store` computes both lists for every customer as of a day (tiers from the
  published state) and replaces the ``recommendations`` table in one transaction.
- :func:`refresh_after_orders` re-scores the buy-again list of customers with a new real-time
  order from the stored stats and drops what they just bought from their new-to-you list
  (inside the regrade's transaction; the CF scores themselves wait for the next build).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, delete, insert, select, update

from tierwise.errors import NotFoundError
from tierwise.lake import LakeLocation
from tierwise.recommend.book import load_book, records
from tierwise.recommend.buy_again import apply_order, score_stats, top_per_user
from tierwise.recommend.evaluate import Backtest, ShipDecision, backtest, ship_decision
from tierwise.recommend.lists import again_item, build_lists, stats_of
from tierwise.recommend.policy import RecommendPolicy
from tierwise.store.schema import CustomerTier, Recommendation, Run, latest_published

BACKTEST_FILE = "recommend/backtest.json"
INSERT_CHUNK = 5_000


def published_tiers(engine: Engine) -> tuple[dict[str, str], str | None]:
    """(customer id → current tier, the latest published run id) from the store."""
    with engine.connect() as conn:
        tiers = {r.customer_id: r.tier for r in conn.execute(select(CustomerTier))}
        run = conn.execute(latest_published(Run.id)).first()
    return tiers, (run.id if run else None)


def write_backtest(home: Path, bt: Backtest, decision: ShipDecision) -> Path:
    """Store the backtest's figures and decision under ``home`` (atomically)."""
    path = home / BACKTEST_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {
        "cutoff": bt.cutoff.isoformat(),
        "horizon_days": bt.horizon_days,
        "k": bt.k,
        "decision": {"model": decision.model, "cf_ships": decision.cf_ships},
        "reason": decision.reason,
        "table": bt.table.to_dict(orient="records"),
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(body, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(path)
    return path


def read_backtest(home: Path) -> dict[str, Any] | None:
    """The latest stored backtest (None if none was run)."""
    path = home / BACKTEST_FILE
    if not path.is_file():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def evaluate_lake(
    lake: LakeLocation,
    engine: Engine,
    home: Path,
    *,
    cutoff: dt.date,
    horizon_days: int,
    policy: RecommendPolicy,
    progress: Callable[[str], None] | None = None,
) -> tuple[Backtest, ShipDecision]:
    """Backtest on the lake (all of it; train up to ``cutoff``) and store the result."""
    tiers, _ = published_tiers(engine)
    book = load_book(lake, dt.date.max, tiers)
    bt = backtest(
        book, cutoff, horizon_days=horizon_days, k=policy.k, rules=policy.rules, progress=progress
    )
    decision = ship_decision(bt)
    write_backtest(home, bt, decision)
    return bt, decision


def chosen_model(policy: RecommendPolicy, home: Path) -> str:
    """The new-items model: the policy's, or for ``auto`` the stored ship decision's."""
    if policy.new_items.model != "auto":
        return policy.new_items.model
    stored = read_backtest(home)
    return str(stored["decision"]["model"]) if stored else "segment_popularity"


def build_and_store(
    lake: LakeLocation,
    engine: Engine,
    home: Path,
    *,
    as_of: dt.date,
    policy: RecommendPolicy,
    now: dt.datetime,
) -> tuple[int, str]:
    """Compute both lists for every customer and replace the stored ones; (rows, model)."""
    tiers, run_id = published_tiers(engine)
    book = load_book(lake, as_of, tiers)
    model = chosen_model(policy, home)
    return store_lists(engine, build_lists(book, policy, model), run_id, now), model


def store_lists(
    engine: Engine, rows: Iterable[dict[str, Any]], run_id: str | None, now: dt.datetime
) -> int:
    """Replace every stored list with ``rows`` in one transaction; how many were written."""
    n = 0
    with engine.begin() as conn:
        conn.execute(delete(Recommendation))
        chunk: list[dict[str, Any]] = []
        for row in rows:
            chunk.append({**row, "run_id": run_id, "source": "build", "refreshed_at": now})
            if len(chunk) >= INSERT_CHUNK:
                conn.execute(insert(Recommendation), chunk)
                n += len(chunk)
                chunk = []
        if chunk:
            conn.execute(insert(Recommendation), chunk)
            n += len(chunk)
    return n


def read_lists(engine: Engine, customer_id: str) -> dict[str, Any] | None:
    """A customer's stored lists (None if none were built for them)."""
    with engine.connect() as conn:
        return _lists_row(conn, customer_id)


def _lists_row(conn: Connection, customer_id: str) -> dict[str, Any] | None:
    t = Recommendation.__table__
    r = conn.execute(select(*t.c).where(t.c.customer_id == customer_id)).mappings().first()
    return None if r is None else dict(r)


def refresh_one(
    current: dict[str, Any], day: dt.date, lines: Iterable[tuple[str, float]], k: int
) -> dict[str, Any]:
    """The stored lists of one customer after an order on ``day`` with (sku, quantity) lines.

    Pure: buy-again is re-scored from the stats (:func:`tierwise.recommend.buy_again.apply_order`
    then :func:`score_stats`), new-to-you loses what was bought.
    """
    stats = current.get("stats") or {}
    known = {it["sku"]: it for it in current.get("buy_again", [])}
    skus = [it["sku"] for it in stats.get("items", [])]
    bought = dict(lines)
    for s in bought:
        if s not in skus:
            skus.append(s)
    code = {s: j for j, s in enumerate(skus)}
    items = pd.DataFrame(
        [
            {
                "u": 0,
                "i": code[it["sku"]],
                "n": it["n"],
                "first_day": pd.Timestamp(it["first_day"]),
                "last_day": pd.Timestamp(it["last_day"]),
                "qty": it["qty"],
                "in_season": it["in_season"],
            }
            for it in stats.get("items", [])
        ],
        columns=["u", "i", "n", "first_day", "last_day", "qty", "in_season"],
    )
    first = pd.Timestamp(stats.get("first_day") or day)
    customers = pd.DataFrame(
        {"orders": [int(stats.get("orders", 0))], "first_day": [first]}, index=pd.Index([0])
    )
    items, customers = apply_order(
        items, customers, 0, day, [(code[s], q) for s, q in bought.items()]
    )
    scored = top_per_user(score_stats(items, customers, day), k)
    now = pd.Timestamp(day)
    again = []
    for r in records(scored):
        sku = skus[int(r["i"])]
        base = known.get(sku, {"name": sku, "category": "", "unit": ""})
        since = int((now - r["last_day"]).days)
        again.append(
            again_item(sku, base["name"], base["category"], base.get("unit", ""), r, since)
        )
    head: dict[str, Any] = records(customers)[0]
    new_stats = stats_of(
        head["orders"],
        head["first_day"],
        records(items),
        lambda r: skus[int(r["i"])],
    )
    return {
        **current,
        "buy_again": again,
        "new_items": [it for it in current.get("new_items", []) if it["sku"] not in bought],
        "stats": new_stats,
        "cold_start": 0,
    }


def refresh_after_orders(
    conn: Connection, events: Iterable[dict[str, Any]], now: dt.datetime, k: int = 10
) -> list[str]:
    """Refresh the stored lists of customers whose new order events carry lines; who changed.

    ``events`` are the stored event rows (``kind``, ``customer_id``, ``event_time``,
    ``payload`` with the order's ``lines``). A customer without stored lists is left alone
    (the next build covers them).
    """
    done: list[str] = []
    for ev in sorted(events, key=lambda e: e["event_time"]):
        lines = (ev.get("payload") or {}).get("lines") or []
        if ev.get("kind") != "order" or not lines:
            continue
        rec = _lists_row(conn, ev["customer_id"])
        if rec is None:
            continue
        qty = [(str(ln["sku"]), float(ln.get("quantity", 1))) for ln in lines if ln.get("sku")]
        if not qty:
            continue
        out = refresh_one(rec, ev["event_time"].date(), qty, k)
        conn.execute(
            update(Recommendation)
            .where(Recommendation.customer_id == ev["customer_id"])
            .values(
                buy_again=out["buy_again"],
                new_items=out["new_items"],
                stats=out["stats"],
                cold_start=0,
                source="realtime",
                refreshed_at=now,
            )
        )
        done.append(ev["customer_id"])
    return done


def lists_or_404(engine: Engine, customer_id: str) -> dict[str, Any]:
    """The stored lists, or a NotFoundError saying how to build them."""
    row = read_lists(engine, customer_id)
    if row is None:
        raise NotFoundError(
            f"no recommendations stored for {customer_id!r}",
            hint="run `tierwise recommend build` after publishing a run",
            customer_id=customer_id,
        )
    return row

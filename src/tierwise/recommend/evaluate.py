"""Time-based backtest of both lists: next-basket recall@k and NDCG@k, repeat and new apart.

Train on everything up to a cutoff day; the target of a customer is the set of SKUs in their
orders of the ``horizon_days`` after it (``horizon_days=0``: their next order only, the strict
next basket). Following the reality check of next-basket recommenders (Li et al. 2021), the
target is split into **repeat** items (bought before the cutoff) and **new** items (not), and
each list is judged on its own part only:

- 常购清单 (buy again) on repeat items, against personal top-frequency and global popularity
  ranking the customer's own past items;
- 猜你喜欢 (new to you) on new items, against popularity and similar-outlet popularity (the
  same ranking and business rules as served: :func:`tierwise.recommend.rank.top_new`).
  Personal top-frequency recommends no new item by construction (0 on this part).

``recall@k = hits / |target part|``; ``NDCG@k`` with binary gains and the ideal DCG of
``min(|target part|, k)`` hits. Customers whose target part is empty are left out of that
part's averages (and counted in ``customers``). Figures per tier and for everybody (``all``).

:func:`ship_decision` is the rule that decides whether the CF list ships for new items.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from tierwise.recommend.book import Book
from tierwise.recommend.buy_again import repeat_stats, score_stats
from tierwise.recommend.models import (
    ALS,
    ItemKNN,
    Popularity,
    SegmentPopularity,
    TopFrequency,
    _Scorer,
)
from tierwise.recommend.policy import Rules
from tierwise.recommend.rank import allowed_mask, boost_vector, top_new

CF_MODELS = ("als", "item_knn", "spark_als")
NEW_BASELINES = ("popularity", "segment_popularity")
BATCH = 20_000


def targets(book: Book, cutoff: dt.date, horizon_days: int) -> dict[int, set[int]]:
    """Customer code → SKU codes bought after ``cutoff`` within the horizon (see module)."""
    lines = book.lines
    after = lines[lines["day"] > pd.Timestamp(cutoff)]
    if horizon_days > 0:
        after = after[after["day"] <= pd.Timestamp(cutoff + dt.timedelta(days=horizon_days))]
    else:  # the next order only
        first = after.groupby("u")["day"].transform("min")
        firsts = after[after["day"] == first]
        first_order = firsts.groupby("u")["order_id"].transform("min")
        after = firsts[firsts["order_id"] == first_order]
    out: dict[int, set[int]] = {}
    for key, g in after.groupby("u")["i"]:
        u: Any = key
        out[int(u)] = set(g.tolist())
    return out


def _metrics(ranked: np.ndarray, target: set[int], k: int) -> tuple[float, float]:
    hits = [1.0 if int(x) in target else 0.0 for x in ranked[:k]]
    dcg = sum(h / np.log2(r + 2) for r, h in enumerate(hits))
    idcg = sum(1.0 / np.log2(r + 2) for r in range(min(len(target), k)))
    return sum(hits) / len(target), dcg / idcg


@dataclass(frozen=True)
class Backtest:
    """The figures of one backtest (one row per list × model × tier) and its setup."""

    table: pd.DataFrame  # list, model, tier, customers, evaluated, recall, ndcg
    cutoff: dt.date
    horizon_days: int
    k: int

    def figure(self, part: str, model: str, tier: str = "all") -> tuple[float, float]:
        """(recall@k, NDCG@k) of ``model`` on ``part`` (repeat | new) for ``tier``."""
        t = self.table
        row = t[(t["list"] == part) & (t["model"] == model) & (t["tier"] == tier)]
        return float(row["recall"].iloc[0]), float(row["ndcg"].iloc[0])


def _summarize(
    per_user: list[tuple[str, str, int, float, float]], tiers: np.ndarray, cust: int
) -> pd.DataFrame:
    df = pd.DataFrame(per_user, columns=["list", "model", "u", "recall", "ndcg"])
    df["tier"] = pd.Series(tiers[df["u"].to_numpy()], dtype=object).fillna("(none)").to_numpy()
    rows = []
    for keys, g in [*df.groupby(["list", "model"]), *df.groupby(["list", "model", "tier"])]:
        lst, model, *rest = keys if isinstance(keys, tuple) else (keys,)
        rows.append(
            {
                "list": lst,
                "model": model,
                "tier": rest[0] if rest else "all",
                "customers": cust,
                "evaluated": len(g),
                "recall": float(g["recall"].mean()),
                "ndcg": float(g["ndcg"].mean()),
            }
        )
    return pd.DataFrame(rows)


def backtest(
    book: Book,
    cutoff: dt.date,
    *,
    horizon_days: int = 0,
    k: int = 10,
    rules: Rules | None = None,
    models: Iterable[_Scorer] | None = None,
    progress: Callable[[str], None] | None = None,
) -> Backtest:
    """Train every list on ``book`` up to ``cutoff`` and score it on what came after."""
    rules = rules or Rules()
    say = progress or (lambda _m: None)
    train = book.until(cutoff)
    target = targets(book, cutoff, horizon_days)
    # customers with history at the cutoff and something after it (codes of the training book)
    counts = train.counts
    has_history = np.diff(counts.indptr) > 0
    codes = train.users.get_indexer(book.users[list(target)]) if target else np.array([], int)
    known = {int(c): u for c, u in zip(codes, target, strict=True) if c >= 0 and has_history[c]}
    users = np.array(sorted(known), dtype=np.int64)
    item_code = train.items.get_indexer(book.items)  # same catalogue: identity, kept explicit
    tgt = {u: {int(item_code[i]) for i in target[known[u]]} for u in known}
    per_user: list[tuple[str, str, int, float, float]] = []

    # 常购清单 on repeat items
    say("buy again")
    items, customers = repeat_stats(train)
    scored = score_stats(items, customers, cutoff)
    pop = Popularity().fit(train).popularity_
    scored["top_frequency"] = scored["n"].astype(float)
    scored["popularity"] = pop[scored["i"].to_numpy()]
    scored["buy_again"] = scored["score"]
    by_user: dict[int, pd.DataFrame] = {}
    for key, g in scored[scored["u"].isin(users)].groupby("u"):
        uk: Any = key
        by_user[int(uk)] = g
    for u in users:
        rep = {i for i in tgt[u] if counts[u, i] > 0}
        mine = by_user.get(int(u))
        if not rep or mine is None:
            continue
        for name in ("buy_again", "top_frequency", "popularity"):
            ranked = mine.sort_values([name, "i"], ascending=[False, True])["i"].to_numpy()
            per_user.append(("repeat", name, int(u), *_metrics(ranked, rep, k)))

    # 猜你喜欢 on new items
    fitted = list(models) if models is not None else [ALS(), ItemKNN()]
    fitted += [Popularity(), SegmentPopularity()]
    boost = boost_vector(train, rules)
    new_t = {int(u): {i for i in tgt[u] if counts[u, i] == 0} for u in users}
    new_users = np.array([u for u in users if new_t[int(u)]], dtype=np.int64)
    for model in fitted:
        say(f"new items: {model.name}")
        model.fit(train)
        for start in range(0, len(new_users), BATCH):
            batch = new_users[start : start + BATCH]
            ranked, _ = top_new(
                model.score(batch), counts[batch], allowed_mask(train, batch, rules), boost, k
            )
            for row, u in zip(ranked, batch, strict=True):
                per_user.append(("new", model.name, int(u), *_metrics(row, new_t[int(u)], k)))
    for u in new_users:
        per_user.append(("new", TopFrequency.name, int(u), 0.0, 0.0))
    tiers = train.segments["tier"].to_numpy()
    return Backtest(_summarize(per_user, tiers, len(users)), cutoff, horizon_days, k)


@dataclass(frozen=True)
class ShipDecision:
    """Whether a CF model ships for new items, and why (the figures it was judged on)."""

    model: str  # the model whose list ships: a CF model or segment_popularity
    cf_ships: bool
    reason: str


def ship_decision(bt: Backtest) -> ShipDecision:
    """The rule: the best CF model (by NDCG@k on new items, everybody) ships only if both its
    recall@k and NDCG@k on new items beat every baseline's; otherwise similar-outlet
    popularity (the best the baselines offer for new items) ships."""
    t = bt.table
    new = t[(t["list"] == "new") & (t["tier"] == "all")]
    fig: dict[str, tuple[float, float]] = {
        str(m): (float(r), float(n))
        for m, r, n in zip(new["model"], new["recall"], new["ndcg"], strict=True)
    }
    cf = [m for m in CF_MODELS if m in fig]
    if not cf:
        return ShipDecision("segment_popularity", False, "no backtest of a CF model")
    best = max(cf, key=lambda m: fig[m][1])
    r, n = fig[best]
    rivals = [m for m in (*NEW_BASELINES, TopFrequency.name) if m in fig]
    beaten = [m for m in rivals if r > fig[m][0] and n > fig[m][1]]
    if len(beaten) == len(rivals):
        return ShipDecision(
            best,
            True,
            f"{best} recall@{bt.k} {r:.4f}, NDCG@{bt.k} {n:.4f} beat {', '.join(rivals)}",
        )
    lost = [m for m in rivals if m not in beaten]
    return ShipDecision(
        "segment_popularity",
        False,
        f"{best} recall@{bt.k} {r:.4f}, NDCG@{bt.k} {n:.4f} did not beat {', '.join(lost)}",
    )

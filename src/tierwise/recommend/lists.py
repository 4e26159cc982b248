"""Both lists for every customer of a book, with a reason per item (pure: book in, rows out).

A row is what the store keeps and the API serves (docs/recommendations.md)::

    {"customer_id", "as_of", "model", "cold_start",
     "buy_again": [{"sku", "name", "category", "score", "usual_qty", "unit", "interval_days",
                    "days_since", "reason": {"code", "zh", "en"}}],
     "new_items": [{"sku", "name", "category", "score", "reason": {...}}],
     "stats": {"orders", "first_day", "items": [{"sku", "n", "first_day", "last_day", "qty",
                                                "in_season"}]}}

A customer without history gets ``cold_start = 1``, no buy-again items and the similar-outlet
popularity list (its reason says which outlets).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from tierwise.recommend.book import Book, records
from tierwise.recommend.buy_again import repeat_stats, score_stats, top_per_user
from tierwise.recommend.models import ALS, ItemKNN, SegmentPopularity, _Scorer
from tierwise.recommend.policy import RecommendPolicy
from tierwise.recommend.rank import allowed_mask, boost_vector, top_new

STATS_PER_CUSTOMER = 40  # repeat items kept for the real-time refresh
BATCH = 20_000
_BT = {"chain": ("连锁", "chain"), "single": ("单店", "single")}


def new_items_model(name: str) -> _Scorer:
    """The scorer behind a new-items model name (als, item_knn, segment_popularity)."""
    scorers: dict[str, type[_Scorer]] = {"als": ALS, "item_knn": ItemKNN}
    return scorers.get(name, SegmentPopularity)()


def _segment_words(seg: dict[str, str]) -> tuple[str, str]:
    cuisine = seg.get("cuisine")
    if not cuisine or cuisine == "∅":
        return "门店", "outlets"
    bt = _BT.get(seg.get("business_type", ""), ("", ""))
    return f"{bt[0]}{cuisine}店", f"{cuisine} {bt[1]} outlets".replace("  ", " ")


def new_reason(model: str, seg: dict[str, str], clearance: bool) -> dict[str, str]:
    """The reason shown next to a new-to-you item."""
    zh_seg, en_seg = _segment_words(seg)
    if model == "als":
        r = {"code": "similar_buyers", "zh": f"与你采购相似的{zh_seg}常买"}
        r["en"] = f"Often bought by {en_seg} that buy like you"
    elif model == "item_knn":
        r = {"code": "bought_together", "zh": "常与你常买的商品一起购买"}
        r["en"] = "Often bought together with what you buy"
    elif seg:
        r = {"code": "similar_outlets", "zh": f"与你相似的{zh_seg}常买"}
        r["en"] = f"Popular with {en_seg} like you"
    else:
        r = {"code": "popular", "zh": "各类门店都常买", "en": "Popular with all outlets"}
    if clearance:
        r = {**r, "zh": r["zh"] + "（清仓特惠）", "en": r["en"] + " (clearance)"}
    return r


def again_reason(interval: float, since: int, qty: float, unit: str) -> dict[str, str]:
    """The reason shown next to a buy-again item."""
    iv = max(1, round(interval))
    q = f"{qty:g}"
    return {
        "code": "due" if since >= 0.8 * iv else "regular",
        "zh": f"约每{iv}天买一次，距上次{since}天，常买{q}{unit}",
        "en": f"Bought about every {iv} days, last {since} days ago; usually {q} {unit}",
    }


def again_item(
    sku: str, name: str, category: str, unit: str, r: dict[str, Any], since: int
) -> dict[str, Any]:
    """One buy-again item from its scored stats ``r`` (score, qty, interval)."""
    return {
        "sku": sku,
        "name": name,
        "category": category,
        "score": round(float(r["score"]), 6),
        "usual_qty": float(r["qty"]),
        "unit": unit,
        "interval_days": round(float(r["interval"]), 1),
        "days_since": since,
        "reason": again_reason(float(r["interval"]), since, float(r["qty"]), unit),
    }


def stats_of(orders: int, first_day: Any, items: list[dict[str, Any]], sku: Any) -> dict[str, Any]:
    """The stored purchase stats of one customer (``sku(row)`` names a stats row's SKU)."""
    return {
        "orders": int(orders),
        "first_day": pd.Timestamp(first_day).date().isoformat(),
        "items": [
            {
                "sku": sku(r),
                "n": int(r["n"]),
                "first_day": pd.Timestamp(r["first_day"]).date().isoformat(),
                "last_day": pd.Timestamp(r["last_day"]).date().isoformat(),
                "qty": float(r["qty"]),
                "in_season": int(r["in_season"]),
            }
            for r in items
        ],
    }


def buy_again_items(
    book: Book, scored: pd.DataFrame, as_of: dt.date, k: int
) -> dict[int, list[dict[str, Any]]]:
    """Top ``k`` buy-again items per customer code, as rows for the API."""
    prod = book.products
    unit = prod["unit"].to_numpy() if "unit" in prod.columns else np.full(len(prod), "")
    top = top_per_user(scored, k)
    now = pd.Timestamp(as_of)
    out: dict[int, list[dict[str, Any]]] = {}
    for r in records(top):
        since = int((now - r["last_day"]).days)
        i = int(r["i"])
        out.setdefault(int(r["u"]), []).append(
            again_item(
                str(book.items[i]),
                str(prod["name"].iat[i]),
                str(prod["category"].iat[i]),
                str(unit[i] or ""),
                r,
                since,
            )
        )
    return out


def _stats_rows(book: Book, items: pd.DataFrame, customers: pd.DataFrame) -> dict[int, Any]:
    kept = top_per_user(items.assign(score=items["n"].astype(float)), STATS_PER_CUSTOMER)
    out: dict[int, Any] = {}
    orders = customers["orders"].to_dict()
    firsts = customers["first_day"].to_dict()
    for key, g in kept.groupby("u"):
        u: Any = key
        out[int(u)] = stats_of(
            orders[u], firsts[u], records(g), lambda r: str(book.items[int(r["i"])])
        )
    return out


def build_lists(book: Book, policy: RecommendPolicy, model: str) -> Iterator[dict[str, Any]]:
    """Both lists of every customer of ``book`` (see module); ``model`` makes new items."""
    k, rules = policy.k, policy.rules
    items, customers = repeat_stats(book)
    scored = score_stats(items, customers, book.as_of)
    again = buy_again_items(book, scored, book.as_of, k)
    stats = _stats_rows(book, items, customers)
    seg = SegmentPopularity().fit(book)
    scorer: _Scorer = seg if model == "segment_popularity" else new_items_model(model).fit(book)
    boost = boost_vector(book, rules)
    clear = set(rules.clearance)
    counts = book.counts
    cold = np.diff(counts.indptr) == 0
    prod = book.products
    for start in range(0, book.n_users, BATCH):
        users = np.arange(start, min(start + BATCH, book.n_users))
        allowed = allowed_mask(book, users, rules)
        ranked, vals = top_new(scorer.score(users), counts[users], allowed, boost, k)
        cold_rows = np.flatnonzero(cold[users])
        if len(cold_rows) and scorer is not seg:
            r2, v2 = top_new(
                seg.score(users[cold_rows]), counts[users[cold_rows]], allowed[cold_rows], boost, k
            )
            ranked[cold_rows], vals[cold_rows] = r2, v2
        for row, u in enumerate(users):
            is_cold = bool(cold[u])
            used = "segment_popularity" if is_cold else model
            segment = seg.reason_key(int(u))
            new = []
            for i, v in zip(ranked[row], vals[row], strict=True):
                if i < 0:
                    continue
                sku = str(book.items[int(i)])  # noqa: RUF100
                new.append(
                    {
                        "sku": sku,
                        "name": str(prod["name"].iat[int(i)]),
                        "category": str(prod["category"].iat[int(i)]),
                        "score": round(float(v), 6),
                        "reason": new_reason(used, segment, sku in clear),
                    }
                )
            yield {
                "customer_id": str(book.users[int(u)]),
                "as_of": book.as_of,
                "model": used,
                "cold_start": int(is_cold),
                "buy_again": again.get(int(u), []),
                "new_items": new,
                "stats": stats.get(int(u), {}),
            }


def campaign_variables(row: dict[str, Any], lang: str = "zh") -> dict[str, str]:
    """Content variables a campaign message can use (docs/recommendations.md).

    ``rec_new_list``: the first three new-to-you item names (、-joined in Chinese);
    ``rec_new_top``: the first one; ``rec_again_list``: the first three buy-again names;
    ``rec_again_top``: the most due item with its usual quantity (``牛油火锅底料 6袋``).
    Empty strings when a list is empty, so a template never shows a placeholder.
    """
    sep = "、" if lang == "zh" else ", "
    new = [i["name"] for i in row.get("new_items", [])]
    again = row.get("buy_again", [])
    top = again[0] if again else None
    qty = f"{top['usual_qty']:g}{'' if lang == 'zh' else ' '}{top['unit']}" if top else ""
    return {
        "rec_new_list": sep.join(new[:3]),
        "rec_new_top": new[0] if new else "",
        "rec_again_list": sep.join(i["name"] for i in again[:3]),
        "rec_again_top": f"{top['name']} {qty}".strip() if top else "",
    }

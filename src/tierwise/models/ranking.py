"""How well a score finds the customers who turn out most valuable (R-ANA-7).

Shared by the value model, the learned weights and (later) the backtest.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import spearmanr


def top_share_metrics(score: Any, future_value: Any, share: float) -> dict[str, float]:
    """Precision/recall of the top ``share`` by score against the top ``share`` by value.

    With equal-sized sets precision equals recall; ``capture`` is the share of all future
    value held by the customers the score puts on top, and ``lift`` is their mean future value
    over everyone's.
    """
    s = np.asarray(score, dtype=np.float64)
    v = np.asarray(future_value, dtype=np.float64)
    k = max(1, round(share * len(s)))
    top_s = np.argsort(-s, kind="stable")[:k]
    top_v = np.argsort(-v, kind="stable")[:k]
    hit = len(np.intersect1d(top_s, top_v))
    total = float(v.sum())
    mean = float(v.mean()) if len(v) else 0.0
    return {
        "precision": hit / k,
        "capture": float(v[top_s].sum()) / total if total > 0 else float("nan"),
        "lift": float(v[top_s].mean()) / mean if mean > 0 else float("nan"),
    }


def ranking_metrics(score: Any, future_value: Any) -> dict[str, float]:
    """Spearman correlation and top-5 % / top-20 % precision, capture and lift."""
    s = np.asarray(score, dtype=np.float64)
    v = np.asarray(future_value, dtype=np.float64)
    out: dict[str, float] = {"spearman": float(spearmanr(s, v).statistic)}
    for share in (0.05, 0.20):
        tag = f"top{round(share * 100)}"
        for key, value in top_share_metrics(s, v, share).items():
            out[f"{tag}_{key}"] = value
    return out

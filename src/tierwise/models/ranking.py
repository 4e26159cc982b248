"""How well a score finds the customers who turn out most valuable (R-ANA-7).

Shared by the value model, the learned weights and (later) the backtest.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import spearmanr


def selection_metrics(selected: Any, future_value: Any, share: float) -> dict[str, float]:
    """Precision, recall and F1 of a selected set (e.g. a policy's top tier) against the top
    ``share`` by value, with the set's size, ``capture`` and ``lift`` as above.

    A tier need not hold exactly ``share`` of the customers (ties share a tier; threshold
    tiers hold whoever meets the rules), so precision and recall differ in general.
    """
    sel = np.asarray(selected, dtype=bool)
    v = np.asarray(future_value, dtype=np.float64)
    k = max(1, round(share * len(v)))
    truth = np.zeros(len(v), dtype=bool)
    truth[np.argsort(-v, kind="stable")[:k]] = True
    hit = int((sel & truth).sum())
    n_sel = int(sel.sum())
    precision = hit / n_sel if n_sel else 0.0
    recall = hit / k
    total = float(v.sum())
    mean = float(v.mean()) if len(v) else 0.0
    return {
        "size": n_sel / len(v) if len(v) else 0.0,
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if hit else 0.0,
        "capture": float(v[sel].sum()) / total if total > 0 else float("nan"),
        "lift": float(v[sel].mean()) / mean if mean > 0 and n_sel else float("nan"),
    }


def ranking_metrics(
    score: Any, future_value: Any, selected: dict[float, Any] | None = None
) -> dict[str, float]:
    """Spearman correlation and top-5 % / top-20 % precision, recall, F1, capture and lift.

    ``selected`` maps a share (0.05, 0.20) to the customers a policy put in its top tier(s);
    without it the top ``share`` by score is taken (then precision = recall = F1).
    """
    s = np.asarray(score, dtype=np.float64)
    v = np.asarray(future_value, dtype=np.float64)
    out: dict[str, float] = {"spearman": float(spearmanr(s, v).statistic)}
    for share in (0.05, 0.20):
        tag = f"top{round(share * 100)}"
        if selected is not None and share in selected:
            chosen = np.asarray(selected[share], dtype=bool)
        else:
            chosen = np.zeros(len(s), dtype=bool)
            chosen[np.argsort(-s, kind="stable")[: max(1, round(share * len(s)))]] = True
        for key, value in selection_metrics(chosen, v, share).items():
            out[f"{tag}_{key}"] = value
    return out

"""Credit scoring run (R-OPS-4): fit the default-risk model on the lake's history, score every
customer as of a date, take the receivables snapshot, and write the credit accounts; then
recompute the terms (docs/credit.md)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from tierwise.errors import DataError
from tierwise.lake import LakeLocation
from tierwise.models.credit_risk import (
    HORIZON_DAYS,
    CreditRiskModel,
    Method,
    risk_features,
    snapshots,
)
from tierwise.ops.credit.policy import CreditPolicy
from tierwise.ops.credit.receivables import receivables
from tierwise.ops.credit.service import write_accounts
from tierwise.ops.credit.state import recompute_terms


@dataclass(frozen=True)
class ScoreSummary:
    as_of: dt.date
    customers: int
    training_rows: int
    base_rate: float
    mean_pd: float
    terms: dict[str, int]


def score_frame(
    lake: LakeLocation, as_of: dt.date, *, method: Method = "gbm", training_snapshots: int = 3
) -> tuple[pd.DataFrame, int, float]:
    """Every customer's probability of default, reason codes (JSON) and receivables as of
    ``as_of``; the model is fitted on snapshots 90, 180, … days earlier (labels end ≤ as_of)."""
    dates = [as_of - dt.timedelta(days=HORIZON_DAYS * k) for k in range(1, training_snapshots + 1)]
    X, y = snapshots(lake, dates)
    if y.nunique() < 2:
        raise DataError(
            f"no customer had an invoice 30 days overdue in the training windows before {as_of}",
            hint="score a lake with more payment history",
        )
    model = CreditRiskModel(method=method).fit(X.drop(columns="as_of"), y)
    feats = risk_features(lake, as_of)
    p = model.predict_proba(feats)
    reasons = model.reasons(feats)
    scored = pd.DataFrame(
        {
            "customer_id": feats.index.astype(str),
            "pd": p,
            "spend_90d": feats["spend_90d"].to_numpy(),
            "reasons": [
                json.dumps(
                    [{"feature": r.feature, "value": round(r.value, 4), "zh": r.text("zh"),
                      "en": r.text("en")} for r in rs],
                    ensure_ascii=False,
                )
                for rs in reasons
            ],
        }
    )  # fmt: skip
    rec = receivables(lake, as_of)
    out = scored.merge(rec, on="customer_id", how="left")
    money = [c for c in rec.columns if c not in ("customer_id", "max_days_overdue")]
    out[money] = out[money].fillna(0.0)
    out["max_days_overdue"] = out["max_days_overdue"].fillna(0).astype(np.int64)
    return out, len(X), float(y.mean())


def score_and_decide(
    engine: Engine,
    lake: LakeLocation,
    as_of: dt.date,
    policy: CreditPolicy,
    now: dt.datetime,
    *,
    method: Method = "gbm",
) -> ScoreSummary:
    """Score every customer, write the accounts and recompute everyone's terms, in one
    transaction."""
    frame, rows, base = score_frame(lake, as_of, method=method)
    with engine.begin() as conn:
        write_accounts(conn, frame, as_of, f"credit-{method}", now)
        counts = recompute_terms(conn, policy, as_of, now, source="cli")
    return ScoreSummary(as_of, len(frame), rows, base, float(frame["pd"].mean()), counts)

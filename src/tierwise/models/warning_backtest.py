"""How good is the churn warning? Precision and recall of next-period churn (issue 18 #10).

For each ``as_of`` the policy's tag rule (``churn_warning``, or any other tag rule given) is
evaluated through the real policy engine (:func:`tierwise.features.build.build_features`,
:func:`tierwise.policy.engine.grade_frame`) from data up to that day only. The population is
every customer with an order on or before ``as_of``; a customer **churns** when they place
no order in the ``horizon_days`` after it. Per rule: the share of customers flagged,
precision (flagged customers who churned), recall (churned customers who were flagged), and
the median spend of the last 365 days of the flagged against everyone's (a warning that flags
mostly small customers shows a low ratio). Candidate rules are graded together in one policy
(tags do not move a tier), so comparing a rule change costs one feature build per date.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from tierwise.errors import UsageError
from tierwise.features.build import GROUP_TABLES, build_features, groups_for
from tierwise.features.catalog import CATALOG
from tierwise.features.sources import connect, open_lake
from tierwise.lake import LakeLocation, parquet_glob
from tierwise.policy.engine import grade_frame, required_features
from tierwise.policy.load import parse_policy
from tierwise.policy.schema import Policy


def _with_rules(policy: Policy, rules: Mapping[str, str]) -> Policy:
    """``policy`` with only the tags ``rules`` (code → rule), no layers or benefits."""
    data = policy.model_dump(mode="json", exclude_none=True)
    data.update(
        layers={}, segments=None, benefits={}, retention=None,
        tags=[{"code": c, "label": {"zh": c, "en": c}, "when": r} for c, r in rules.items()],
    )  # fmt: skip
    data = {k: v for k, v in data.items() if v is not None}
    return parse_policy(data, source=f"<{policy.name} warning backtest>")


def warning_backtest(
    lake: LakeLocation,
    policy: Policy,
    as_of_dates: Sequence[date],
    *,
    rules: Mapping[str, str] | None = None,
    tag: str = "churn_warning",
    horizon_days: int = 90,
) -> list[dict[str, Any]]:
    """One row per (as_of, rule): ``customers``, ``churned``, ``flagged``, ``flagged_share``,
    ``precision``, ``recall``, ``f1``, ``spend_ratio`` (median 365-day spend of the flagged
    over everyone's). ``rules`` (name → rule) defaults to the policy's own ``tag`` rule."""
    if rules is None:
        found = [t.when for t in policy.tags if t.code == tag]
        if not found:
            raise UsageError(f"policy {policy.name!r} has no tag {tag!r}")
        rules = {tag: found[0]}
    codes = {f"r{i}": name for i, name in enumerate(rules)}
    graded_policy = _with_rules(policy, {c: rules[n] for c, n in codes.items()})
    con = duckdb.connect()
    orders = con.read_parquet(parquet_glob(lake, "orders"))
    last = orders.query("o", "SELECT max(CAST(order_time AS DATE)) FROM o").fetchone()
    last_day = last[0] if last else None
    backend = connect()
    names = [n for n in CATALOG if n in set(required_features(graded_policy)) | {"spend_365d"}]
    out: list[dict[str, Any]] = []
    for as_of in as_of_dates:
        if last_day is None or as_of + timedelta(days=horizon_days) > last_day:
            raise UsageError(
                f"as_of {as_of} + {horizon_days} days goes past the last order ({last_day})",
                hint="pick earlier dates: the next period must be known",
            )
        end = as_of + timedelta(days=horizon_days)
        people = orders.query(
            "o",
            "SELECT customer_id, "
            f"bool_or(CAST(order_time AS DATE) > DATE '{as_of}' "
            f"AND CAST(order_time AS DATE) <= DATE '{end}') AS back "
            f"FROM o WHERE CAST(order_time AS DATE) <= DATE '{end}' GROUP BY customer_id "
            f"HAVING min(CAST(order_time AS DATE)) <= DATE '{as_of}'",
        ).df()
        churned = dict(
            zip(people["customer_id"].astype(str), ~people["back"].astype(bool), strict=True)
        )
        tables = open_lake(
            backend, lake, sorted({t for g in groups_for(names) for t in GROUP_TABLES[g]})
        )
        feats = build_features(
            tables, as_of, lookback_days=graded_policy.lookback_days,
            entity=graded_policy.entity, names=names,
        )  # fmt: skip
        cols = ["entity_id", "spend_365d", *[f"tag_{c}" for c in codes]]
        frame = backend.execute(grade_frame(feats, graded_policy, None).select(*cols))
        frame = frame[frame["entity_id"].astype(str).isin(churned)]
        truth = frame["entity_id"].astype(str).map(churned).to_numpy(dtype=bool)
        spend = frame["spend_365d"].fillna(0).to_numpy(dtype=float)
        for code, name in codes.items():
            flag = frame[f"tag_{code}"].fillna(False).to_numpy(dtype=bool)
            tp = int((flag & truth).sum())
            precision = tp / flag.sum() if flag.sum() else float("nan")
            recall = tp / truth.sum() if truth.sum() else float("nan")
            f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
            everyone = float(np.median(spend)) if len(spend) else float("nan")
            flagged_spend = float(np.median(spend[flag])) if flag.any() else float("nan")
            out.append({
                "as_of": as_of, "rule": name, "when": rules[name], "customers": len(frame),
                "churned": int(truth.sum()), "flagged": int(flag.sum()),
                "flagged_share": float(flag.mean()) if len(flag) else float("nan"),
                "precision": precision, "recall": recall, "f1": f1,
                "spend_ratio": flagged_spend / everyone if everyone else float("nan"),
            })  # fmt: skip
    return out


RESULTS_FILE = "churn_warning_backtest.json"


def write_results(models_dir: Path, policy: str, rows: Sequence[dict[str, Any]]) -> Path:
    """Keep the latest results beside the registered models (the console's models page)."""
    models_dir.mkdir(parents=True, exist_ok=True)
    path = models_dir / RESULTS_FILE
    body = {"policy": policy, "rows": [{**r, "as_of": str(r["as_of"])} for r in rows]}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(body, ensure_ascii=False, indent=1, allow_nan=True), "utf-8")
    tmp.replace(path)
    return path


def read_results(models_dir: Path) -> dict[str, Any] | None:
    """The latest results (``policy``, ``rows``), or None before any backtest."""
    path = models_dir / RESULTS_FILE
    if not path.is_file():
        return None
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data

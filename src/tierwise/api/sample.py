"""A small synthetic book for the API's tests, fuzzing and benchmark (no generator needed).

:func:`seed` writes a lake ``customers`` table of ``n`` outlets, publishes two grading runs
through :class:`tierwise.store.runs.RunStore` (so history, migration and distributions have
something to show), writes the second run's details the way a grading run does
(``runs/<run_id>/run.json``, ``assignments.parquet``, ``features.parquet``) and refreshes the
read model. Deterministic for a given ``n`` and ``seed``.
"""

from __future__ import annotations

import json
import random
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Engine

from tierwise.lake import write_parquet_atomic
from tierwise.model.arrow import arrow_schema
from tierwise.model.tables import CUSTOMERS
from tierwise.store.migrate import upgrade
from tierwise.store.profiles import RefreshSummary, refresh_profiles
from tierwise.store.runs import Assignment, Cutoff, RunStore
from tierwise.tierstate.decide import StabilityRule

TIERS = ("platinum", "gold", "silver", "bronze")
CUTOFFS = [Cutoff("platinum", 0, 4.0), Cutoff("gold", 1, 3.0), Cutoff("silver", 2, 2.0)]
CUTOFFS.append(Cutoff("bronze", 3, None))
_SERVICE = {
    "platinum": {"zh": "专属客服", "en": "Dedicated service desk"},
    "standard": {"zh": "常规服务", "en": "Standard service"},
    "basic": {"zh": "基础服务", "en": "Basic service"},
}
BENEFITS = {  # as policies/kuailv.yaml writes them: texts in both languages, codes, numbers
    "platinum": {"service": _SERVICE["platinum"], "rebate_pct": 2, "payment_terms": "monthly"},
    "gold": {"service": _SERVICE["standard"], "rebate_pct": 1, "payment_terms": "weekly"},
    "silver": {"service": _SERVICE["standard"], "payment_terms": "cod"},
    "bronze": {"service": _SERVICE["basic"], "payment_terms": "prepaid"},
}
MANAGERS = tuple(f"AM{i:03d}" for i in range(1, 9))
_PLACES = (
    ("四川省", "成都市", "武侯区", "510107"),
    ("四川省", "成都市", "锦江区", "510104"),
    ("重庆市", "重庆市", "渝中区", "500103"),
    ("广东省", "广州市", "海珠区", "440105"),
    ("陕西省", "西安市", "未央区", "610112"),
)
_CUISINES = ("川菜", "火锅", "粤菜", "湘菜", "批发", "商超")
_FAMILY = "王李张刘陈杨赵黄周吴"
_ROADS = ("人民南路", "春熙路", "解放碑街", "迎宾大道", "凤城路")
RUN_1, RUN_2 = "sample-run-1", "sample-run-2"
POLICY_YAML = """\
# The sample book's policy: the seed's RFM formula and percentile tiers (R-GRD-1, R-GRD-3)
name: sample
title: {zh: 示例分级, en: Sample grading}
score: {method: rfm_formula}
tiers:
  method: percentile
  levels:
    - {code: platinum, label: {zh: 铂金, en: Platinum}, top: 0.05}
    - {code: gold, label: {zh: 黄金, en: Gold}, top: 0.20}
    - {code: silver, label: {zh: 白银, en: Silver}, top: 0.50}
    - {code: bronze, label: {zh: 青铜, en: Bronze}}
"""


def customers_table(n: int, seed: int = 0) -> pa.Table:
    """``n`` synthetic outlets with the canonical customers columns."""
    rng = random.Random(seed)
    rows = []
    for i in range(1, n + 1):
        prov, city, district, region = _PLACES[i % len(_PLACES)]
        cuisine = _CUISINES[i % len(_CUISINES)]
        rows.append(
            {
                "customer_id": f"C{i:07d}",
                "account_id": f"A{(i + 1) // 2:07d}",
                "account_name": f"{city}{cuisine}餐饮有限公司{i}",
                "name": f"{_FAMILY[i % 10]}记{cuisine}{i}号店",
                "business_type": "chain" if i % 3 == 0 else "single",
                "cuisine": cuisine,
                "scale": ("small", "medium", "large")[i % 3],
                "province": prov,
                "city": city,
                "district": district,
                "address": f"{_ROADS[i % len(_ROADS)]}{rng.randint(1, 999)}号",
                "region_id": region,
                "channel": ("online", "offline", "wholesale", "retail")[i % 4],
                "signup_date": date(2023, 1 + i % 12, 1 + i % 28),
                "contract_amount": Decimal(rng.randint(0, 50) * 10000) if i % 2 else None,
                "payment_terms": ("prepaid", "cod", "weekly", "monthly")[i % 4],
                "credit_limit": Decimal(rng.randint(0, 20) * 5000),
                "account_manager": MANAGERS[i % len(MANAGERS)],
                "contact_name": _FAMILY[(i * 7) % 10] + "小明",
                "phone": f"13{rng.randint(100000000, 999999999)}",
                "special_needs": "vip_service" if i % 11 == 0 else None,
            }
        )
    return pa.Table.from_pylist(rows, schema=arrow_schema(CUSTOMERS))


def _score(i: int, run: int) -> float:
    return round(((i * 37 + run * 11) % 50) / 10, 2)


def _tier(score: float) -> str:
    for c in CUTOFFS:
        if c.min_score is None or score >= c.min_score:
            return c.tier
    return TIERS[-1]


def _write_run_details(runs: Path, run_id: str, ids: list[str], as_of: date) -> None:
    d = runs / run_id
    d.mkdir(parents=True, exist_ok=True)
    scores = [_score(i, 2) for i in range(1, len(ids) + 1)]
    tiers = [_tier(s) for s in scores]
    nxt = {t: TIERS[k - 1] if k else None for k, t in enumerate(TIERS)}
    cuts = {c.tier: c.min_score for c in CUTOFFS}
    assignments = pa.table(
        {
            "entity_id": ids,
            "run_id": [run_id] * len(ids),
            "as_of": [as_of] * len(ids),
            "status": ["graded"] * len(ids),
            "score": scores,
            "tier": tiers,
            "layer_value": ["vip" if s >= 4 else "mid" if s >= 2 else "low" for s in scores],
            "segment": ["strategic" if t == "platinum" else "growth" for t in tiers],
            "tag_churn_warning": [i % 7 == 0 for i in range(1, len(ids) + 1)],
            "tag_high_risk": [i % 13 == 0 for i in range(1, len(ids) + 1)],
            "next_tier": [nxt[t] for t in tiers],
            "gap_score": [
                None if nxt[t] is None else round((cuts[nxt[t] or ""] or 0) - s, 2)
                for s, t in zip(scores, tiers, strict=True)
            ],
            "need_spend_365d": [None if t == "platinum" else 1200.0 for t in tiers],
        }
    )
    features = pa.table(
        {
            "entity_id": ids,
            "orders_365d": [10 + i % 40 for i in range(len(ids))],
            "spend_365d": [1000.0 * (1 + i % 50) for i in range(len(ids))],
            "recency_days": [i % 90 for i in range(len(ids))],
            # the catalog's alias of recency_days, as the default policy's rules read it
            "days_since_last_order": [i % 90 for i in range(len(ids))],
        }
    )
    pq.write_table(assignments, d / "assignments.parquet")
    pq.write_table(features, d / "features.parquet")
    record = {
        "run_id": run_id,
        "as_of": as_of.isoformat(),
        "policy_name": "sample",
        "policy": {"name": "sample", "benefits": BENEFITS},
    }
    (d / "run.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")


def seed(engine: Engine, home: Path, n: int = 40, *, seed: int = 0) -> RefreshSummary:
    """Lake, two published runs, run details and the read model under ``home`` (idempotent
    only on an empty store)."""
    upgrade(engine)
    customers = customers_table(n, seed)
    write_parquet_atomic(customers, home / "lake" / "customers" / "part-0.parquet")
    ids = customers["customer_id"].to_pylist()
    store = RunStore(engine)
    rule = StabilityRule(downgrade_after_runs=1)
    for k, (run_id, as_of) in enumerate(
        ((RUN_1, date(2026, 9, 30)), (RUN_2, date(2026, 10, 31))), start=1
    ):
        store.begin(
            run_id,
            policy_name="sample",
            policy_hash="0" * 64,
            as_of=as_of,
            data_fingerprint="f" * 64,
            started_at=datetime(2026, 11, k, 3, 0),
        )
        store.publish(
            run_id,
            [Assignment(c, _tier(_score(i, k)), _score(i, k)) for i, c in enumerate(ids, start=1)],
            CUTOFFS,
            rule=rule,
            now=datetime(2026, 11, k, 3, 5),
        )
    _write_run_details(home / "runs", RUN_2, ids, date(2026, 10, 31))
    (home / "policies").mkdir(parents=True, exist_ok=True)
    (home / "policies" / "sample.yaml").write_text(POLICY_YAML, encoding="utf-8")
    return refresh_profiles(engine, home / "lake", home / "runs", now=datetime(2026, 11, 2, 4, 0))

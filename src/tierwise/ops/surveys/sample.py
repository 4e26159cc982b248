"""Pure parts of a survey wave (R-OPS-8): the stratified sample and the checking of answers.

:func:`draw_sample` draws, in each tier, a simple random sample of the quota of the policy
among the customers not surveyed within the cooldown (fewer when fewer are eligible; the
shortfall is reported, not hidden). :func:`check_rows` sorts the rows of an answers file into
good answers and rejected rows, each rejected row with its row number, column, value and
reason, every one of them (nothing is silently dropped).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tierwise.errors import DataError
from tierwise.ops.surveys.policy import SurveyPolicy

#: the columns of an answers file (other columns are ignored); a few zh-CN headers accepted
COLUMNS = ("customer_id", "score", "comment", "answered_at", "reasons")
ALIASES = {"客户编号": "customer_id", "评分": "score", "意见": "comment", "回答时间": "answered_at"}
UNKNOWN_CELL = "unknown"


def cell_of(probability: float | None, bands: Sequence[float]) -> str:
    """The weighting cell of a churn probability: ``p<0.2``, ``0.2-0.5``, ``p>=0.5`` for the
    bands [0.2, 0.5]; ``unknown`` without a probability."""
    if probability is None or probability != probability:
        return UNKNOWN_CELL
    if not bands:
        return "all"
    if probability < bands[0]:
        return f"p<{bands[0]:g}"
    for lo, hi in pairwise(bands):
        if probability < hi:
            return f"{lo:g}-{hi:g}"
    return f"p>={bands[-1]:g}"


@dataclass(frozen=True)
class Stratum:
    tier: str | None
    population: int  # customers of the tier
    eligible: int  # not surveyed within the cooldown
    quota: int
    sampled: int


def draw_sample(
    population: pd.DataFrame,
    policy: SurveyPolicy,
    *,
    exclude: Collection[str] = (),
    seed: int = 0,
) -> tuple[pd.DataFrame, list[Stratum]]:
    """Sample ``population`` (customer_id, tier, ... any other columns kept) by tier with the
    policy's quotas, never a customer of ``exclude`` (surveyed within the cooldown).
    Deterministic for a seed. Returns the sample and one :class:`Stratum` a tier."""
    pop = population.drop_duplicates("customer_id").sort_values("customer_id")
    skip = set(exclude)
    rng = np.random.default_rng(seed)
    parts, strata = [], []
    for tier, group in pop.groupby("tier", dropna=False, sort=True):
        t = None if tier != tier else str(tier)
        ok = group[~group["customer_id"].isin(skip)]
        quota = policy.quota(t)
        take = min(quota, len(ok))
        if take:
            idx = rng.choice(len(ok), size=take, replace=False)
            parts.append(ok.iloc[np.sort(idx)])
        strata.append(Stratum(t, len(group), len(ok), quota, take))
    cols = list(pop.columns)
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
    return out, strata


def draw_followup(
    nonrespondents: pd.DataFrame, fraction: float, *, seed: int = 0
) -> tuple[pd.DataFrame, dict[str, dict[str, int]]]:
    """The second phase of a two-phase survey: in each tier of ``nonrespondents``
    (customer_id, tier, ... other columns kept) a simple random sample of ``fraction`` of
    them, rounded up (at least one when the tier has any). Deterministic for a seed. Returns
    the subsample and, per tier (``-``: no tier), the non-respondents and the number drawn."""
    miss = nonrespondents.drop_duplicates("customer_id").sort_values("customer_id")
    rng = np.random.default_rng(seed)
    parts, by_tier = [], {}
    for tier, group in miss.groupby(miss["tier"].fillna(""), sort=True):
        take = min(len(group), int(np.ceil(fraction * len(group) - 1e-9)))
        idx = np.sort(rng.choice(len(group), size=take, replace=False))
        parts.append(group.iloc[idx])
        by_tier[str(tier) or "-"] = {"nonrespondents": len(group), "subsampled": take}
    out = pd.concat(parts, ignore_index=True) if parts else miss.iloc[:0]
    return out, by_tier


def read_answers(path: Path) -> pd.DataFrame:
    """The rows of an answers file (.csv, .xlsx/.xls) as text, headers normalised."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls"):
        frame = pd.read_excel(path, dtype=str, engine="calamine")
    elif suffix in (".csv", ".txt"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    else:
        raise DataError(f"{path.name}: not a CSV or Excel file", hint="use .csv or .xlsx")
    frame = frame.fillna("")
    frame.columns = [ALIASES.get(str(c).strip(), str(c).strip().lower()) for c in frame.columns]
    missing = [c for c in ("customer_id", "score") if c not in frame.columns]
    if missing:
        raise DataError(
            f"{path.name}: no column {', '.join(missing)}",
            hint="an answers file has columns customer_id, score, comment, answered_at",
            column=missing[0],
        )
    return frame


def _score(value: str) -> int | None:
    try:
        f = float(value)
    except ValueError:
        return None
    return int(f) if f.is_integer() and 0 <= f <= 10 else None


def check_rows(
    frame: pd.DataFrame,
    recipients: Collection[str],
    answered: Collection[str],
    *,
    now: dt.datetime,
    reasons: Collection[str] = (),
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Good answers (customer_id, score, comment, answered_at) and rejected rows (row,
    column, value, reason). ``row`` is the file's row number (the header is row 1). A row is
    refused when its customer was not sent this wave, its score is not a whole number 0-10,
    its answered_at is not a date-time (empty: ``now``), its reasons (codes separated by
    ``,`` / ``;`` / ``、``; optional column) are not all among ``reasons`` or its customer
    already answered (in the store, or on an earlier row of the file)."""
    known = set(reasons)
    sent, seen = set(recipients), set(answered)
    good: list[dict[str, Any]] = []
    bad: list[dict[str, Any]] = []
    has = {c: c in frame.columns for c in COLUMNS}
    for i, rec in enumerate(frame.to_dict("records")):
        row = i + 2
        cid = str(rec["customer_id"]).strip()
        raw = str(rec["score"]).strip()
        when_raw = str(rec["answered_at"]).strip() if has["answered_at"] else ""

        def reject(column: str, value: str, reason: str, row: int = row) -> None:
            bad.append({"row": row, "column": column, "value": value, "reason": reason})

        if not cid:
            reject("customer_id", cid, "no customer id")
            continue
        if cid not in sent:
            reject("customer_id", cid, "not sent this survey wave")
            continue
        score = _score(raw)
        if score is None:
            reject("score", raw, "not a whole number 0-10")
            continue
        when = now
        if when_raw:
            parsed = pd.to_datetime(when_raw, errors="coerce")
            if pd.isna(parsed):
                reject("answered_at", when_raw, "not a date-time")
                continue
            when = parsed.to_pydatetime().replace(tzinfo=None)
        codes: list[str] | None = None
        if has["reasons"] and str(rec["reasons"]).strip():
            raw_r = str(rec["reasons"]).strip()
            codes = [c.strip() for c in re.split(r"[,;、，；]", raw_r) if c.strip()]
            unknown = [c for c in codes if c not in known]
            if unknown:
                reject("reasons", raw_r, f"unknown reason code(s): {', '.join(unknown)}")
                continue
            codes = list(dict.fromkeys(codes))
        if cid in seen:
            reject("customer_id", cid, "a second answer from this customer")
            continue
        seen.add(cid)
        comment = str(rec["comment"]).strip() if has["comment"] else ""
        good.append(
            {"customer_id": cid, "score": score, "comment": comment or None, "answered_at": when,
             "reasons": codes}
        )  # fmt: skip
    return good, bad

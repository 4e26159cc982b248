"""The pure decision of each customer's credit terms (R-OPS-4), vectorised over customers.

(tier, probability of default, recent spend, default flag, current terms, policy, as_of) →
terms in force, deposit, credit limit, pending stricter terms, and the reasons. No I/O; the
same function decides one customer (a real-time regrade) and two million (a publication).

Stability follows the tiers' (R-GRD-10): looser terms take effect at once; stricter terms
after ``notice_days`` (announced now, ``pending_terms`` / ``pending_from``), or at once when
the customer is in default (an invoice overdue beyond the policy's ``holds.overdue_days``).
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd

from tierwise.ops.credit.policy import RANK, CreditPolicy

#: input columns (``pd`` NaN = unscored; current columns null for a customer without terms)
INPUT = (
    "customer_id", "tier", "pd", "spend_90d", "defaulted",
    "cur_terms", "cur_deposit_pct", "cur_limit", "pending_terms", "pending_from",
)  # fmt: skip
#: output columns
OUTPUT = (
    "customer_id", "tier", "band", "pd", "target_terms", "terms", "deposit_pct",
    "credit_limit", "pending_terms", "pending_from", "change", "reasons",
)  # fmt: skip


def _cells(policy: CreditPolicy) -> pd.DataFrame:
    rows = [
        {
            "tier": t,
            "band": b,
            "target_terms": c.terms,
            "target_deposit": c.deposit_pct,
            "months": c.limit_months,
        }
        for t, row in policy.matrix.items()
        for b, c in row.items()
    ]
    return pd.DataFrame(rows)


def _or_none(keep: pd.Series, values: pd.Series) -> pd.Series:
    """``values`` where ``keep``, else None (not NaN: these are text and dates)."""
    out = [v if k else None for k, v in zip(keep.tolist(), values.tolist(), strict=True)]
    return pd.Series(out, dtype="object")


def bands(policy: CreditPolicy, pd_values: pd.Series) -> pd.Series:
    """The risk band of each probability of default (NaN: the policy's unscored band)."""
    cuts = [b.max_pd for b in policy.bands[:-1]]
    codes = np.array([b.code for b in policy.bands], dtype=object)
    values = pd_values.to_numpy(dtype=np.float64)
    idx = np.searchsorted(np.asarray(cuts, dtype=np.float64), values, side="right")
    out = np.where(np.isnan(values), policy.unscored_band, codes[np.minimum(idx, len(codes) - 1)])
    return pd.Series(out, index=pd_values.index, dtype=object)


def decide_terms(state: pd.DataFrame, policy: CreditPolicy, as_of: dt.date) -> pd.DataFrame:
    """Decide every customer of ``state`` (columns :data:`INPUT`); returns :data:`OUTPUT`.

    ``change`` is ``new`` (no terms before), ``same``, ``looser`` (at once), ``stricter``
    (at once: in default, or the notice has run out), ``notice`` (stricter terms announced
    now, taking effect on ``pending_from``), ``pending`` (announced before, not yet due). ``reasons`` is a JSON object per customer.
    """
    s = state.reset_index(drop=True)
    tier = s["tier"].where(s["tier"].isin(policy.tiers), policy.tiers[-1])
    band = bands(policy, s["pd"].astype("float64"))
    cells = pd.DataFrame({"tier": tier, "band": band}).merge(_cells(policy), how="left")
    target = cells["target_terms"]
    monthly = s["spend_90d"].astype("float64").fillna(0.0) / 3
    limit = (cells["months"] * monthly).clip(policy.limit.floor, policy.limit.cap)
    limit = limit.where(target != "prepaid", 0.0).round(2)

    cur = s["cur_terms"]
    has_cur = cur.notna()
    t_rank = target.map(RANK)
    c_rank = cur.map(RANK)
    stricter = has_cur & (t_rank < c_rank)
    defaulted = s["defaulted"].fillna(False).astype(bool)
    same_pending = stricter & (s["pending_terms"] == target) & s["pending_from"].notna()
    announced = pd.Series([as_of + dt.timedelta(days=policy.notice_days)] * len(s), dtype=object)
    pending_from = s["pending_from"].where(same_pending, announced)
    due = pd.Series([d is not None and d <= as_of for d in pending_from], dtype=bool)
    now = ~stricter | defaulted | due  # the target is in force from as_of
    change = np.select(
        [~has_cur, now & ~stricter & (t_rank == c_rank), now & ~stricter, now, same_pending],
        ["new", "same", "looser", "stricter", "pending"],
        "notice",
    )
    out = pd.DataFrame(
        {
            "customer_id": s["customer_id"],
            "tier": tier,
            "band": band,
            "pd": s["pd"].astype("float64"),
            "target_terms": target,
            "terms": target.where(now, cur),
            "deposit_pct": cells["target_deposit"].where(now, s["cur_deposit_pct"]),
            "credit_limit": limit.where(now, s["cur_limit"]),
            "pending_terms": _or_none(~now, target),
            "pending_from": _or_none(~now, pending_from),
            "change": change,
        }
    )
    out["reasons"] = _reasons(out, s, cells, monthly, defaulted, policy)
    return out.loc[:, list(OUTPUT)]


def _reasons(
    out: pd.DataFrame,
    s: pd.DataFrame,
    cells: pd.DataFrame,
    monthly: pd.Series,
    defaulted: pd.Series,
    policy: CreditPolicy,
) -> list[str]:
    texts = []
    pds = out["pd"].to_numpy(dtype=np.float64)
    months = cells["months"].to_numpy(dtype=np.float64)
    spend = monthly.to_numpy(dtype=np.float64)
    cols = zip(
        out["tier"].tolist(), out["band"].tolist(), s["cur_terms"].tolist(),
        out["target_terms"].tolist(), out["change"].tolist(), defaulted.tolist(),
        out["pending_from"].tolist(), strict=True,
    )  # fmt: skip
    bounds = f"within [{policy.limit.floor:,.0f}, {policy.limit.cap:,.0f}]"
    for i, (tier, band, cur, to, change, dflt, pfrom) in enumerate(cols):
        why: dict[str, object] = {
            "tier": tier,
            "band": band,
            "pd": None if np.isnan(pds[i]) else round(float(pds[i]), 4),
            "from": cur,
            "to": to,
            "change": change,
            "limit": f"{months[i]:g} × monthly spend {spend[i]:,.2f} {bounds}",
            "default": bool(dflt),
        }
        if change in ("notice", "pending"):
            why["effective"] = str(pfrom)
            why["notice_days"] = policy.notice_days
        texts.append(json.dumps(why, ensure_ascii=False))
    return texts

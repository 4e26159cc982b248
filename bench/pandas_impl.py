"""A straightforward pandas implementation of the default policy: features, RFM score,
percentile tiers and tags, written to Parquet. The "before" a team would write by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd


def _read(lake: Path, t: str, cols: list[str]) -> pd.DataFrame:
    return pd.concat(
        pd.read_parquet(p, columns=cols) for p in sorted((lake / t).rglob("*.parquet"))
    )


def grade_pandas(lake: Path, as_of: dt.date, out: Path) -> int:
    """Grade with pandas; returns the number of customers written."""
    asof = pd.Timestamp(as_of)
    end, s365 = asof + pd.Timedelta(days=1), asof - pd.Timedelta(days=364)
    s90, s180 = asof - pd.Timedelta(days=89), asof - pd.Timedelta(days=179)
    c = _read(lake, "customers", ["customer_id", "account_id", "signup_date"])
    c["signup_date"] = pd.to_datetime(c["signup_date"])
    c = c[c.signup_date <= asof].set_index("customer_id")
    o = _read(lake, "orders", ["order_id", "customer_id", "order_time", "amount"])
    o = o[o.order_time < end]
    o["amt"] = o.amount.astype(float)
    f = pd.DataFrame(index=c.index)
    f["account_id"] = c.account_id
    f["tenure_days"] = (asof - c.signup_date).dt.days
    g = o.groupby("customer_id")
    last, first = g.order_time.max().dt.normalize(), g.order_time.min().dt.normalize()
    f["recency_days"] = (asof - last).dt.days
    f["days_since_first_order"] = (asof - first).dt.days
    in365, in90 = o.order_time >= s365, o.order_time >= s90
    prev = (o.order_time >= s180) & ~in90
    f["orders_90d"] = o[in90].groupby("customer_id").size()
    f["orders_365d"] = o[in365].groupby("customer_id").size()
    f["spend_365d"] = o[in365].groupby("customer_id").amt.sum()
    a = o[in90].groupby("customer_id").amt.sum().reindex(f.index).fillna(0)
    b = o[prev].groupby("customer_id").amt.sum().reindex(f.index).fillna(0)
    f["spend_growth"] = np.where(a + b > 0, (a - b) / (a + b).where(a + b > 0, 1), 0.0)
    days = o[in365].assign(d=o.order_time.dt.normalize())[["customer_id", "d"]].drop_duplicates()
    days = days.sort_values(["customer_id", "d"])
    days["gap"] = days.groupby("customer_id").d.diff().dt.days
    f["median_order_gap_days"] = days.groupby("customer_id").gap.median()
    lines = _read(lake, "order_lines", ["order_id", "category", "amount"])
    lines = lines.merge(o.loc[in365, ["order_id", "customer_id"]], on="order_id")
    lines["amount"] = lines.amount.astype(float)
    pivot = lines.pivot_table(
        index="customer_id", columns="category", values="amount", aggfunc="sum"
    )
    total = pivot.sum(axis=1)
    for zh, key in (
        ("鲜肉", "meat"),
        ("蔬菜", "vegetable"),
        ("水产", "seafood"),
        ("粮油", "grain_oil"),
    ):
        col = pivot.get(zh, 0.0)
        f[f"share_{key}"] = (col / total).fillna(0)
    inv = _read(lake, "invoices", ["invoice_id", "customer_id", "issue_date", "due_date", "amount"])
    inv = inv[pd.to_datetime(inv.issue_date) <= asof]
    pay = _read(lake, "payments", ["invoice_id", "paid_date", "amount"])
    pay = pay[pd.to_datetime(pay.paid_date) <= asof].merge(
        inv[["invoice_id", "due_date"]], on="invoice_id"
    )
    pay["amount"] = pay.amount.astype(float)
    pay["on_time"] = pay.amount.where(pay.paid_date <= pay.due_date, 0.0)
    paid = pay.groupby("invoice_id")[["amount", "on_time"]].sum()
    inv = inv.join(paid.rename(columns={"amount": "paid"}), on="invoice_id").fillna(
        {"paid": 0, "on_time": 0}
    )
    inv["amount"] = inv.amount.astype(float)
    due = (pd.to_datetime(inv.due_date) <= asof) & (pd.to_datetime(inv.issue_date) >= s365)
    inv["ok"] = due & (inv.on_time >= inv.amount - 0.005)
    gi = inv[due].groupby("customer_id")
    rate = gi.ok.sum() / gi.size()
    f["on_time_payment_rate"] = rate.reindex(f.index).fillna(1.0)
    past = inv[pd.to_datetime(inv.due_date) < asof]
    f["overdue_amount"] = (past.amount - past.paid).clip(lower=0).groupby(past.customer_id).sum()
    cr = _read(lake, "credit", ["customer_id", "report_date", "legal_disputes"])
    cr = cr[pd.to_datetime(cr.report_date) <= asof].sort_values("report_date")
    f["legal_disputes"] = cr.groupby("customer_id").legal_disputes.last()
    f = f.fillna(
        dict.fromkeys(
            ("orders_90d", "orders_365d", "spend_365d", "overdue_amount", "legal_disputes"), 0
        )
    )
    # score, tiers, tags (policies/kuailv.yaml)
    r = 5 - np.minimum(f.recency_days.fillna(1e6) // 30, 4)
    fs = np.minimum(f.orders_365d // 10, 5)
    m = np.minimum(f.spend_365d // 10000, 5)
    f["score"] = (0.4 * r + 0.3 * fs + 0.3 * m).round(6)
    elig = (f.orders_365d >= 1) & (f.days_since_first_order >= 30)
    e = f[elig]
    higher = e.score.rank(method="min", ascending=False) - 1
    pos = higher / len(e)
    f.loc[elig, "tier"] = np.select(
        [pos < 0.05, pos < 0.20, pos < 0.50], ["platinum", "gold", "silver"], "bronze"
    )
    d, gap = f.recency_days, f.median_order_gap_days  # recency_days = days_since_last_order
    f["tag_churn_warning"] = ((d > 3 * gap) & (d >= 21)) | (d > 90)
    f["tag_high_risk"] = (
        (f.on_time_payment_rate < 0.8) | (f.legal_disputes > 0) | (f.overdue_amount > 5000)
    )
    f.reset_index().to_parquet(out)
    return len(f)


def grade_pandas_rfm(lake: Path, as_of: dt.date, out: Path) -> int:
    """The RFM-only policy (bench/rfm_only.yaml) in pandas."""
    asof = pd.Timestamp(as_of)
    c = _read(lake, "customers", ["customer_id", "signup_date"])
    c = c[pd.to_datetime(c.signup_date) <= asof].set_index("customer_id")
    o = _read(lake, "orders", ["customer_id", "order_time", "amount"])
    o = o[o.order_time < asof + pd.Timedelta(days=1)]
    o["amt"] = o.amount.astype(float)
    g = o.groupby("customer_id")
    f = pd.DataFrame(index=c.index)
    f["recency_days"] = (asof - g.order_time.max().dt.normalize()).dt.days
    recent = o[o.order_time >= asof - pd.Timedelta(days=364)].groupby("customer_id")
    f["orders_365d"] = recent.size()
    f["spend_365d"] = recent.amt.sum()
    f = f.fillna({"orders_365d": 0, "spend_365d": 0})
    r = 5 - np.minimum(f.recency_days.fillna(1e6) // 30, 4)
    fs = np.minimum(f.orders_365d // 10, 5)
    m = np.minimum(f.spend_365d // 10000, 5)
    f["score"] = (0.4 * r + 0.3 * fs + 0.3 * m).round(6)
    e = f[f.orders_365d >= 1]
    pos = (e.score.rank(method="min", ascending=False) - 1) / len(e)
    f.loc[e.index, "tier"] = np.select(
        [pos < 0.05, pos < 0.20, pos < 0.50], ["platinum", "gold", "silver"], "bronze"
    )
    f.reset_index().to_parquet(out)
    return len(f)

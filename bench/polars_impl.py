"""The job of :mod:`bench.pandas_impl` in Polars: the default policy's features, RFM score,
percentile tiers and two tags, written to Parquet. One lazy query over ``scan_parquet``,
collected with the streaming engine: the peer a team would pick instead of Tierwise (issue 28).

Definitions follow ``pandas_impl.grade_pandas`` line for line; bench_grading's ``check``
phase requires the same tier for every customer from Tierwise, pandas and this.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

SHARES = (("鲜肉", "meat"), ("蔬菜", "vegetable"), ("水产", "seafood"), ("粮油", "grain_oil"))


def _scan(lake: Path, table: str) -> pl.LazyFrame:
    return pl.scan_parquet(lake / table / "**" / "*.parquet")


def _days(later: pl.Expr | dt.date, earlier: pl.Expr | dt.date) -> pl.Expr:
    """Whole days from ``earlier`` to ``later`` (dates)."""
    later_e = later if isinstance(later, pl.Expr) else pl.lit(later)
    earlier_e = earlier if isinstance(earlier, pl.Expr) else pl.lit(earlier)
    return (later_e - earlier_e).dt.total_days()


def features(lake: Path, as_of: dt.date) -> pl.LazyFrame:
    """One row per customer signed up by ``as_of``: the features ``policies/kuailv.yaml`` reads."""
    asof = dt.datetime.combine(as_of, dt.time())
    end, s365 = asof + dt.timedelta(days=1), asof - dt.timedelta(days=364)
    s90, s180 = asof - dt.timedelta(days=89), asof - dt.timedelta(days=179)
    t, amt = pl.col("order_time"), pl.col("amt")
    c = (
        _scan(lake, "customers")
        .select("customer_id", "account_id", "signup_date")
        .filter(pl.col("signup_date") <= as_of)
    )
    o = (
        _scan(lake, "orders")
        .select("order_id", "customer_id", "order_time", amt=pl.col("amount").cast(pl.Float64))
        .filter(t < end)
    )
    oa = o.group_by("customer_id").agg(
        last_day=t.max().dt.date(),
        first_day=t.min().dt.date(),
        orders_90d=(t >= s90).sum(),
        orders_365d=(t >= s365).sum(),
        spend_365d=amt.filter(t >= s365).sum(),
        a=amt.filter(t >= s90).sum(),
        b=amt.filter((t >= s180) & (t < s90)).sum(),
    )
    # the median gap between consecutive distinct order days of the last 365 days
    gaps = (
        o.filter(t >= s365)
        .select("customer_id", d=t.dt.date())
        .unique()
        .group_by("customer_id")
        .agg(median_order_gap_days=pl.col("d").sort().diff().dt.total_days().median())
    )
    recent = o.filter(t >= s365).select("order_id", "customer_id")
    la = (
        _scan(lake, "order_lines")
        .select("order_id", "category", amount=pl.col("amount").cast(pl.Float64))
        .join(recent, on="order_id")
        .group_by("customer_id")
        .agg(
            total=pl.col("amount").sum(),
            **{
                f"c_{key}": pl.col("amount").filter(pl.col("category") == zh).sum()
                for zh, key in SHARES
            },
        )
    )
    inv = (
        _scan(lake, "invoices")
        .select("invoice_id", "customer_id", "issue_date", "due_date", "amount")
        .filter(pl.col("issue_date") <= as_of)
        .with_columns(pl.col("amount").cast(pl.Float64))
    )
    paid = (
        _scan(lake, "payments")
        .select("invoice_id", "paid_date", amount=pl.col("amount").cast(pl.Float64))
        .filter(pl.col("paid_date") <= as_of)
        .join(inv.select("invoice_id", "due_date"), on="invoice_id")
        .group_by("invoice_id")
        .agg(
            paid=pl.col("amount").sum(),
            on_time=pl.col("amount").filter(pl.col("paid_date") <= pl.col("due_date")).sum(),
        )
    )
    due = (pl.col("due_date") <= as_of) & (pl.col("issue_date") >= s365.date())
    fa = (
        inv.join(paid, on="invoice_id", how="left")
        .with_columns(pl.col("paid", "on_time").fill_null(0.0))
        .group_by("customer_id")
        .agg(
            n_due=due.sum(),
            n_ok=(due & (pl.col("on_time") >= pl.col("amount") - 0.005)).sum(),
            overdue_amount=(pl.col("amount") - pl.col("paid"))
            .clip(lower_bound=0)
            .filter(pl.col("due_date") < as_of)
            .sum(),
        )
    )
    cr = (
        _scan(lake, "credit")
        .filter(pl.col("report_date") <= as_of)
        .group_by("customer_id")
        .agg(legal_disputes=pl.col("legal_disputes").sort_by("report_date").last())
    )
    f = (
        c.join(oa, on="customer_id", how="left")
        .join(gaps, on="customer_id", how="left")
        .join(la, on="customer_id", how="left")
        .join(fa, on="customer_id", how="left")
        .join(cr, on="customer_id", how="left")
    )
    a, b = pl.col("a").fill_null(0.0), pl.col("b").fill_null(0.0)
    return f.select(
        "customer_id",
        "account_id",
        tenure_days=_days(as_of, pl.col("signup_date")),
        recency_days=_days(as_of, pl.col("last_day")),
        days_since_first_order=_days(as_of, pl.col("first_day")),
        orders_90d=pl.col("orders_90d").fill_null(0),
        orders_365d=pl.col("orders_365d").fill_null(0),
        spend_365d=pl.col("spend_365d").fill_null(0.0),
        spend_growth=pl.when(a + b > 0).then((a - b) / (a + b)).otherwise(0.0),
        median_order_gap_days=pl.col("median_order_gap_days").cast(pl.Float64),
        **{
            f"share_{key}": (pl.col(f"c_{key}") / pl.col("total")).fill_null(0.0).fill_nan(0.0)
            for _, key in SHARES
        },
        on_time_payment_rate=pl.when(pl.col("n_due") > 0)
        .then(pl.col("n_ok") / pl.col("n_due"))
        .otherwise(1.0),
        overdue_amount=pl.col("overdue_amount").fill_null(0.0),
        legal_disputes=pl.col("legal_disputes").fill_null(0),
    )


def grade_polars(lake: Path, as_of: dt.date, out: Path) -> int:
    """Grade with Polars (streaming engine); returns the number of customers written."""
    f = features(lake, as_of)
    d = pl.col("recency_days")  # = days_since_last_order
    r = 5 - (d.fill_null(1_000_000) // 30).clip(upper_bound=4)
    fs = (pl.col("orders_365d") // 10).clip(upper_bound=5)
    m = (pl.col("spend_365d") // 10_000).clip(upper_bound=5)
    eligible = (pl.col("orders_365d") >= 1) & (pl.col("days_since_first_order") >= 30)
    # percentile tiers among the eligible: the share of eligible customers scoring higher
    higher = pl.when(eligible).then(pl.col("score")).rank("min", descending=True) - 1
    pos = higher / eligible.sum()
    graded = (
        f.with_columns(score=(0.4 * r + 0.3 * fs + 0.3 * m).round(6))
        .with_columns(
            tier=pl.when(~eligible.fill_null(False))
            .then(None)
            .when(pos < 0.05)
            .then(pl.lit("platinum"))
            .when(pos < 0.20)
            .then(pl.lit("gold"))
            .when(pos < 0.50)
            .then(pl.lit("silver"))
            .otherwise(pl.lit("bronze")),
            tag_churn_warning=(
                ((d > 3 * pl.col("median_order_gap_days")) & (d >= 21)) | (d > 90)
            ).fill_null(False),
            tag_high_risk=(
                (pl.col("on_time_payment_rate") < 0.8)
                | (pl.col("legal_disputes") > 0)
                | (pl.col("overdue_amount") > 5000)
            ),
        )
        .collect(engine="streaming")
    )
    graded.write_parquet(out)
    return graded.height

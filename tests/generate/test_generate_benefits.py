"""Benefit grants and redemptions of the book under the default regime (issue 15, R-OPS-2):
grants follow the tier of the previous quarter's purchases, redemptions stay within their
grants, the tables load through `tierwise ingest`, the same seed gives the same bytes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from tierwise.generate import GenerateConfig, GenerateResult, generate
from tierwise.generate.benefits import TIER_BENEFITS, TIERS, tiers_of
from tierwise.ingest.mapping import default_mapping
from tierwise.ingest.run import ingest
from tierwise.model.tables import BENEFIT_KINDS
from tierwise.ops.benefits.decide import BenefitPlan
from tierwise.ops.benefits.redeem import COLUMNS, REQUIRED
from tierwise.policy.benefits import KINDS, REDEEMABLE
from tierwise.policy.load import load_policy

REPO = Path(__file__).resolve().parents[2]


def _quarter_spend(read: Callable[[str], pa.Table]) -> pd.DataFrame:
    orders = read("orders").select(["customer_id", "order_time", "amount"]).to_pandas()
    orders["q"] = orders["order_time"].dt.to_period("Q")
    spend = orders.groupby(["customer_id", "q"])["amount"].sum().reset_index()
    spend["fen"] = (spend["amount"].astype(float) * 100).round().astype(np.int64)
    spend["tier"] = [TIERS[t] for t in tiers_of(spend["fen"].to_numpy())]
    spend["valid_from"] = (spend["q"] + 1).dt.start_time.dt.date
    return spend


def test_grants_follow_the_tier_of_the_previous_quarter_and_only_eligible_tiers_get_them(
    tiny: GenerateConfig, read: Callable[[str], pa.Table]
) -> None:
    grants = read("benefit_grants").to_pandas()
    spend = _quarter_spend(read)
    first = tiny.end_date.replace(day=1) - pd.DateOffset(months=tiny.months - 1)
    spend = spend[(spend["q"].dt.start_time >= first) & (spend["valid_from"] <= tiny.end_date)]
    spend = spend[spend["q"].dt.end_time.dt.date <= tiny.end_date]
    assert set(spend["tier"]) == set(TIERS), "every tier occurs in the tiny book"
    got = grants.groupby(["customer_id", "valid_from"])
    expected = spend.set_index(["customer_id", "valid_from"])["tier"]
    held = {key: sorted(g["benefit"]) for key, g in got}
    tiers = {key: set(g["tier"]) for key, g in got}
    for key, tier in expected.items():
        want = sorted(b[0] for b in TIER_BENEFITS[tier])
        assert held.get(key, []) == want, (key, tier)
        if want:
            assert tiers[key] == {tier}, key
    assert set(held) <= set(expected.index), "no grant without a quarter of purchases"
    assert not (grants["tier"] == "bronze").any()
    assert (pd.to_datetime(grants["valid_until"]) == pd.to_datetime(grants["valid_from"])
            + pd.offsets.QuarterBegin(startingMonth=1)).all()  # fmt: skip
    assert grants["grant_id"].is_unique


def test_the_regime_is_the_shipped_policys_redeemable_benefits() -> None:
    policy = load_policy(REPO / "policies" / "kuailv-tuned.yaml")
    plan = BenefitPlan.from_policy(policy)
    assert plan.order == TIERS
    for tier in TIERS:
        shipped = [(b.code, dict(b.params)) for b in plan.tiers[tier] if b.kind in REDEEMABLE]
        assert shipped == [(c, p) for c, p in TIER_BENEFITS[tier]], tier
    assert tuple(KINDS) == BENEFIT_KINDS


def test_redemptions_never_exceed_their_grants_nor_fall_outside_them(
    tiny: GenerateConfig, read: Callable[[str], pa.Table]
) -> None:
    grants = read("benefit_grants").to_pandas().set_index("grant_id")
    red = read("benefit_redemptions").to_pandas()
    assert len(red) > 100 and red["redemption_id"].is_unique
    assert set(red["benefit"]) == {"delivery_priority", "coupon_allowance", "custom_selection"}
    g = grants.loc[red["grant_id"]].reset_index()
    assert (g["customer_id"].to_numpy() == red["customer_id"].to_numpy()).all()
    assert (g["benefit"].to_numpy() == red["benefit"].to_numpy()).all()
    assert (g["valid_from"].to_numpy() <= red["used_on"].to_numpy()).all()
    assert (red["used_on"].to_numpy() < g["valid_until"].to_numpy()).all()
    assert red["used_on"].max() <= tiny.end_date
    # each on a real order of that outlet, that day
    orders = read("orders").to_pandas().set_index("order_id")
    o = orders.loc[red["order_id"]]
    assert (o["customer_id"].to_numpy() == red["customer_id"].to_numpy()).all()
    assert (o["order_time"].dt.date.to_numpy() == red["used_on"].to_numpy()).all()
    # a coupon allowance of n a month: at most n uses in a calendar month, at face value
    params = g["params"].map(json.loads)
    coupons = red[red["benefit"] == "coupon_allowance"].assign(
        month=lambda d: pd.to_datetime(d["used_on"]).dt.to_period("M"),
        allowance=params[red["benefit"] == "coupon_allowance"].map(lambda p: p["per_month"]),
        face=params[red["benefit"] == "coupon_allowance"].map(lambda p: float(p["amount_yuan"])),
    )
    per_month = coupons.groupby(["customer_id", "month"]).agg(
        n=("quantity", "sum"), allowance=("allowance", "first")
    )
    assert (per_month["n"] <= per_month["allowance"]).all()
    assert (coupons["cost"].astype(float) == coupons["face"]).all()
    # one use of a benefit per order at most
    assert not red.duplicated(["order_id", "benefit"]).any()


def test_use_follows_each_outlets_latent_rate(
    book: GenerateResult, read: Callable[[str], pa.Table]
) -> None:
    rates = pq.read_table(book.out / "truth" / "benefits.parquet").to_pandas()
    assert len(rates) == read("customers").num_rows
    assert rates[["priority_use", "allowance_use", "custom_use"]].stack().between(0, 1).all()
    red = read("benefit_redemptions").to_pandas()
    grants = read("benefit_grants").to_pandas()
    holders = grants[grants["benefit"] == "delivery_priority"]
    orders = read("orders").to_pandas()
    orders["day"] = orders["order_time"].dt.date
    eligible = orders.merge(holders, on="customer_id")
    eligible = eligible[(eligible["day"] >= eligible["valid_from"])
                        & (eligible["day"] < eligible["valid_until"])]  # fmt: skip
    n = eligible.groupby("customer_id").size()
    used = red[red["benefit"] == "delivery_priority"].groupby("customer_id").size()
    share = (used.reindex(n.index, fill_value=0) / n)[n >= 30]
    true = rates.set_index("customer_id")["priority_use"].loc[share.index]
    assert len(share) >= 10
    assert np.corrcoef(share, true)[0, 1] > 0.8
    assert abs(float((share - true).mean())) < 0.05


def test_the_exports_ingest_into_the_canonical_tables(
    book: GenerateResult, read: Callable[[str], pa.Table], tmp_path: Path
) -> None:
    exports = book.out / "exports"
    mapping = default_mapping()
    keep = {"customers", "benefit_grants", "benefit_redemptions"}
    mapping = mapping.model_copy(
        update={"sources": [s for s in mapping.sources if s.table in keep]}
    )
    run = ingest(exports, mapping, raw=tmp_path / "raw", home=tmp_path, now=dt.datetime(2027, 1, 1))
    loaded = {r.table: (r.rows_loaded, r.rows_quarantined) for r in run.loads}
    for name, key in (("benefit_grants", "grant_id"), ("benefit_redemptions", "redemption_id")):
        assert loaded[name] == (book.rows[name], 0), name
        lake = pq.ParquetDataset(tmp_path / "raw" / name).read().sort_by(key)
        ours = read(name).sort_by(key)
        for col in ours.column_names:
            assert lake[col].to_pylist() == ours[col].to_pylist(), (name, col)


def test_the_redemptions_file_has_the_headers_tierwise_benefits_redeem_reads(
    book: GenerateResult,
) -> None:
    header = (book.out / "exports" / "benefit_redemptions.csv").read_text("utf-8").splitlines()[0]
    cols = header.replace('"', "").split(",")
    for key in (*REQUIRED, "quantity", "cost", "ref"):
        assert any(c in COLUMNS[key] for c in cols), key


def test_same_seed_same_bytes_across_batches(tmp_path: Path) -> None:
    cfg = GenerateConfig(customers=1100, months=8, seed=3, end_date=dt.date(2026, 10, 31))
    a = generate(cfg, tmp_path / "a")
    b = generate(cfg, tmp_path / "b")
    other = generate(dataclasses.replace(cfg, seed=4, exports=False), tmp_path / "c")
    for name in ("benefit_grants", "benefit_redemptions"):
        parts = sorted(p.name for p in (a.lake / name).glob("*.parquet"))
        assert len(parts) == 2, name  # two batches: ids continue across them
        for part in parts:
            assert (a.lake / name / part).read_bytes() == (b.lake / name / part).read_bytes()
        csv = f"exports/{name}.csv"
        assert (a.out / csv).read_bytes() == (b.out / csv).read_bytes()
        assert (a.lake / name / parts[0]).read_bytes() != (
            other.lake / name / parts[0]
        ).read_bytes()
    ids = pq.ParquetDataset(a.lake / "benefit_grants").read()["grant_id"].to_pylist()
    assert len(set(ids)) == len(ids)
    assert (a.out / "truth" / "benefits.parquet").read_bytes() == (
        b.out / "truth" / "benefits.parquet"
    ).read_bytes()

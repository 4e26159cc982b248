"""A campaign's effect per tier against its holdout (R-ANA-6, issue 24): the interval covers
a known effect, account-clustered; ROI = incremental margin / cost; a redemption is no
conversion."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tierwise.experiments.campaigns import campaign_effects


def frame(n: int = 20_000, lift: float = 30.0, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    acc = rng.integers(0, n // 2, n)  # two outlets per account on average
    held = (acc % 10) == 0  # holdout by account, about 10 %
    base = rng.gamma(2.0, 100.0, n)
    margin = base + np.where(held, 0.0, lift) + rng.normal(0, 50, n)
    orders = rng.poisson(2 + 0.2 * ~held)
    return pd.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(n)],
            "account_id": [f"A{a}" for a in acc],
            "tier": np.where(rng.random(n) < 0.3, "gold", "bronze"),
            "arm": np.where(held, "holdout", "treated"),
            "orders": orders,
            "margin": margin,
            "cost": np.where(held, 0.0, 5.0),
            "sent": (~held).astype(int),
            "redeemed": (~held & (rng.random(n) < 0.4)).astype(int),
        }
    )


def test_interval_covers_the_true_lift_and_roi_divides_by_cost() -> None:
    f = frame()
    out = campaign_effects(f)
    a = out["all"]
    assert a["treated"] + a["holdout"] == len(f) and a["sent"] == a["treated"]
    e = a["margin_effect"]
    assert e["ci_low"] < 30 < e["ci_high"] and e["ci_low"] > 0
    inc = a["incremental_margin"]
    assert abs(inc["total"] - e["effect"] * a["treated"]) < 1e-6
    assert a["cost"] == 5.0 * a["treated"]
    assert abs(a["roi"]["roi"] - inc["total"] / a["cost"]) < 1e-9
    assert set(out["by_tier"]) == {"gold", "bronze"}
    # a redemption is not a conversion: 40 % redeemed, incremental orders ~0.2 per member
    assert a["redeemed"] > 0.35 * a["treated"]
    assert (
        a["incremental_orders"]["ci_low"] < 0.2 * a["treated"] < a["incremental_orders"]["ci_high"]
    )


def test_no_effect_when_a_tier_has_no_holdout() -> None:
    f = frame(200)
    f.loc[f["tier"] == "gold", "arm"] = "treated"
    out = campaign_effects(f)
    assert out["by_tier"]["gold"]["margin_effect"] is None
    assert out["by_tier"]["gold"]["roi"] is None

"""What a campaign earned against its holdout, per tier (R-ANA-6, R-OPS-6, issue 24).

:func:`campaign_effects` is pure: one row per audience member (its arm as assigned, its
outcomes over the measurement window) → per tier and overall: members, the funnel (sent,
delivered, opened, clicked, redeemed), the conversion rate of each arm, the incremental
conversion, orders and margin per member with 95 % intervals (the experiments'
:func:`~tierwise.experiments.stats.difference_in_means`, errors clustered by account: the
holdout is drawn per account), the incremental margin in total with its interval, the cost
and the ROI (:func:`~tierwise.experiments.stats.return_on_investment`).

The pre-period of the same length is the CUPED covariate of each metric in :func:`report`.
The arms are compared **as assigned** (intention to treat): a treated member not messaged
(capped, opted out, over budget) stays in the treated arm, so the comparison stays random.
The margin is net of the coupons redeemed and of the messages' cost, so an incremental margin
above 0 means the campaign paid for itself. Orders are counted over the whole window, not
only while a coupon is valid: orders a coupon merely pulled forward from later in the window
are netted out (the treated arm has fewer afterwards), and a redemption is not a conversion
(a coupon used on an order that would have happened anyway adds cost, not an order).

:func:`report` reads one campaign's members from the store and the window's orders from the
lake (:func:`tierwise.experiments.metrics.window_metrics`).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select

from tierwise.errors import DataError, NotFoundError
from tierwise.experiments.stats import Effect, difference_in_means, return_on_investment
from tierwise.lake import LakeLocation
from tierwise.store.schema import Campaign, CampaignCoupon, CampaignSend

FUNNEL = ("sent", "delivered", "opened", "clicked", "redeemed")
MIN_PER_ARM = 2  # the estimator needs 2 units per arm; a smaller tier reports no effect


def _effect(
    y: np.ndarray, t: np.ndarray, g: np.ndarray, alpha: float, x: np.ndarray | None = None
) -> Effect | None:
    if min(int(t.sum()), int((1 - t).sum())) < MIN_PER_ARM or len(set(g)) < 2:
        return None
    cov = x if x is not None and float(np.std(x)) > 0 else None
    try:
        return difference_in_means(y, t, groups=g, covariate=cov, alpha=alpha)
    except DataError:
        return None


def _num(v: float | None) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


def _block(f: pd.DataFrame, alpha: float) -> dict[str, Any]:
    t = (f["arm"] == "treated").to_numpy().astype(float)
    g = pd.factorize(f["account_id"])[0]
    treated = f[f["arm"] == "treated"]
    out: dict[str, Any] = {
        "members": len(f),
        "treated": int(t.sum()),
        "holdout": int((1 - t).sum()),
        **{k: int(treated[k].sum()) if k in treated else 0 for k in FUNNEL},
        "conversion_treated": _num(treated["converted"].mean()) if len(treated) else None,
        "conversion_holdout": _num(f.loc[f["arm"] == "holdout", "converted"].mean()),
        "cost": float(treated["cost"].sum()),
    }
    for metric in ("converted", "orders", "margin"):
        x = f[f"x_{metric}"].to_numpy(dtype=float) if f"x_{metric}" in f else None
        e = _effect(f[metric].to_numpy(dtype=float), t, g, alpha, x)
        out[f"{metric}_effect"] = None if e is None else {
            "effect": e.effect, "ci_low": e.ci_low, "ci_high": e.ci_high, "p_value": e.p_value,
        }  # fmt: skip
        if metric == "margin":
            roi = None if e is None else return_on_investment(e, len(treated), out["cost"])
            out["incremental_margin"] = None if roi is None else {
                "total": roi.incremental, "ci_low": roi.incremental_low,
                "ci_high": roi.incremental_high,
            }  # fmt: skip
            out["roi"] = None if roi is None or roi.roi is None else {
                "roi": roi.roi, "ci_low": roi.roi_low, "ci_high": roi.roi_high,
            }  # fmt: skip
        if metric == "orders" and e is not None:
            out["incremental_orders"] = {
                "total": e.effect * len(treated),
                "ci_low": e.ci_low * len(treated),
                "ci_high": e.ci_high * len(treated),
            }
    return out


def campaign_effects(frame: pd.DataFrame, *, alpha: float = 0.05) -> dict[str, Any]:
    """Per tier (``by_tier``) and overall (``all``): see the module docstring.

    ``frame`` has one row per member: ``customer_id``, ``account_id``, ``tier``, ``arm``
    (``treated`` / ``holdout``), ``orders``, ``margin`` (net of coupons and message cost),
    ``cost`` (messages + coupon discounts), and 0/1 ``sent`` … ``redeemed``; ``converted``
    defaults to ``orders > 0``. Optional ``x_orders``, ``x_margin``, ``x_converted``: the same
    metrics over a period before the campaign, used as CUPED covariates (the experiments'
    estimator: unbiased, the interval narrowed by about the pre/post correlation squared).
    """
    f = frame.copy()
    if "converted" not in f:
        f["converted"] = (f["orders"] > 0).astype(float)
    f["tier"] = f["tier"].fillna("-").astype(str)
    return {
        "all": _block(f, alpha),
        "by_tier": {str(t): _block(sub, alpha) for t, sub in f.groupby("tier", sort=False)},
    }


def member_frame(engine: Engine, name: str) -> tuple[dict[str, Any], pd.DataFrame]:
    """The campaign row and one row per member (first wave's arm and tier; the funnel and
    cost summed over the waves; coupon discounts redeemed)."""
    with engine.connect() as conn:
        row = conn.execute(select(Campaign).where(Campaign.name == name)).first()
        if row is None:
            raise NotFoundError(f"no campaign {name!r}", value=name)
        camp = dict(row._mapping)
        sends = pd.DataFrame(
            conn.execute(
                select(CampaignSend).where(CampaignSend.campaign_id == camp["id"])
            ).mappings().all()
        )  # fmt: skip
        coupons = pd.DataFrame(
            conn.execute(
                select(CampaignCoupon.customer_id, CampaignCoupon.discount_fen).where(
                    CampaignCoupon.campaign_id == camp["id"],
                    CampaignCoupon.status == "redeemed",
                )
            ).all(),
            columns=["customer_id", "discount_fen"],
        )
    if sends.empty:
        return camp, pd.DataFrame()
    sends = sends.sort_values(["customer_id", "wave"])
    s = sends.assign(
        sent=(sends["status"] == "send").astype(int),
        delivered=sends["delivered_at"].notna().astype(int),
        opened=sends["opened_at"].notna().astype(int),
        clicked=sends["clicked_at"].notna().astype(int),
    )
    g = s.groupby("customer_id", sort=False)
    out = g.agg(
        account_id=("account_id", "first"), tier=("tier", "first"), arm=("arm", "first"),
        sent=("sent", "max"), delivered=("delivered", "max"), opened=("opened", "max"),
        clicked=("clicked", "max"), message_fen=("cost_fen", "sum"),
    ).reset_index()  # fmt: skip
    disc = coupons.groupby("customer_id")["discount_fen"].sum()
    out["discount_fen"] = out["customer_id"].map(disc).fillna(0).astype(int)
    out["redeemed"] = (out["discount_fen"] > 0).astype(int)
    return camp, out


def report(
    engine: Engine, lake: LakeLocation, name: str, first: dt.date, last: dt.date
) -> dict[str, Any]:
    """Campaign ``name`` measured over days ``first`` .. ``last`` of the lake's orders."""
    from tierwise.experiments.metrics import window_metrics

    camp, members = member_frame(engine, name)
    base = {
        "campaign": name, "title": camp["title"], "status": camp["status"],
        "holdout_share": camp["holdout_share"], "budget": camp["budget_fen"] / 100,
        "first": first.isoformat(), "last": last.isoformat(),
    }  # fmt: skip
    if members.empty:
        return {**base, "all": None, "by_tier": {}, "note": "no wave sent yet"}
    ids = members["customer_id"]
    m = window_metrics(lake, first, last).reindex(ids).fillna(0.0)
    days = (last - first).days + 1
    before = first - dt.timedelta(days=days), first - dt.timedelta(days=1)
    x = window_metrics(lake, *before).reindex(ids).fillna(0.0)
    f = members.assign(
        x_orders=x["orders"].to_numpy(),
        x_margin=(x["margin"] - x["returns"]).to_numpy(),
        x_converted=(x["orders"] > 0).astype(float).to_numpy(),
        orders=m["orders"].to_numpy(),
        margin=(m["margin"] - m["returns"]).to_numpy()
        - (members["discount_fen"] + members["message_fen"]).to_numpy() / 100,
        cost=(members["discount_fen"] + members["message_fen"]).to_numpy() / 100,
    )
    return {**base, **campaign_effects(f)}

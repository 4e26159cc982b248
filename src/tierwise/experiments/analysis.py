"""Analysis of an experiment (R-ANA-5): pure, members and metrics in, a result out.

For each treatment arm against the control: the primary metric's difference in means with
CUPED (the pre-period value of the same metric as covariate), standard errors clustered by
account, the fixed-horizon 95 % interval and the always-valid (mSPRT) interval that may be
read at every look, the ROI with its interval, the guardrails, and per-tier breakdowns
(exploratory: many subgroups, no correction, not a basis for a decision). A sample-ratio
check over all arms comes first: when it fails, the result says so before anything else.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import numpy as np
import pandas as pd

from tierwise.experiments.design import Design, Treatment
from tierwise.experiments.metrics import COLUMNS
from tierwise.experiments.stats import (
    Effect,
    always_valid_interval,
    difference_in_means,
    return_on_investment,
    sample_ratio_check,
)

#: subgroups smaller than this (units per arm) are not broken down
MIN_SUBGROUP = 30


def treatment_cost(
    members: pd.DataFrame, spend: pd.Series, treatments: dict[str, Treatment]
) -> pd.DataFrame:
    """What each outlet's treatment cost over the window, yuan: ``cost`` (everything) and
    ``paid_after`` (what is paid after the sale, so not yet inside the margin).

    Rebates are a share of the spend; a discount's cost is the revenue given up (spend ×
    pct / (100 - pct)), already inside the margin since prices were lower; coupons and fixed
    costs count once per account (on its first outlet).
    """
    first = (~members["account_id"].duplicated()).to_numpy()
    cost = np.zeros(len(members))
    discount = np.zeros(len(members))
    s = spend.to_numpy(dtype=np.float64)
    for arm, tr in treatments.items():
        sel = (members["arm"] == arm).to_numpy()
        if tr.rebate_pct:
            cost[sel] += s[sel] * tr.rebate_pct / 100
        if tr.discount_pct:
            discount[sel] = s[sel] * tr.discount_pct / (100 - tr.discount_pct)
        cost[sel & first] += (tr.coupon_amount or 0.0) + tr.cost_per_account
    return pd.DataFrame({"cost": cost + discount, "paid_after": cost}, index=members.index)


def outcome_frame(
    members: pd.DataFrame, post: pd.DataFrame, pre: pd.DataFrame, design: Design
) -> pd.DataFrame:
    """Members with their window (``y_*``) and pre-period (``x_*``) metrics and the cost."""
    m = members.reset_index(drop=True)
    ids = m["customer_id"]
    y = post.reindex(ids).fillna(0.0).reset_index(drop=True)
    x = pre.reindex(ids).fillna(0.0).reset_index(drop=True)
    cost = treatment_cost(m, y["spend"], {a.code: a.treatment for a in design.arms})
    out = m.copy()
    for c in COLUMNS:
        out[f"y_{c}"] = y[c].to_numpy()
        out[f"x_{c}"] = x[c].to_numpy()
    out["y_net_margin"] = (y["margin"] - y["returns"]).to_numpy() - cost["paid_after"].to_numpy()
    out["x_net_margin"] = (x["margin"] - x["returns"]).to_numpy()
    out["y_churn"] = ((x["orders"] > 0) & (y["orders"] == 0)).astype(float).to_numpy()
    out["x_churn"] = 0.0
    out["cost"] = cost["cost"].to_numpy()
    return out


def _effect(
    frame: pd.DataFrame, arm: str, control: str, metric: str, alpha: float, *, cuped: bool = True
) -> Effect:
    f = frame[frame["arm"].isin([arm, control])]
    x = f[f"x_{metric}"].to_numpy()
    return difference_in_means(
        f[f"y_{metric}"].to_numpy(),
        (f["arm"] == arm).to_numpy().astype(float),
        groups=f["unit"].to_numpy() if "unit" in f else f["account_id"].to_numpy(),
        covariate=x if cuped and float(np.std(x)) > 0 else None,
        alpha=alpha,
    )


def _per_account(frame: pd.DataFrame, arm: str) -> float:
    """Outlets per account in the arm: the effect is per outlet, ROI counts outlets."""
    f = frame[frame["arm"] == arm]
    return len(f) / max(1, f["account_id"].nunique())


def analyse(frame: pd.DataFrame, design: Design, *, tau: float | None = None) -> dict[str, Any]:
    """The result of an experiment from its :func:`outcome_frame`.

    ``tau`` is the mixing scale of the always-valid interval, per outlet (default: the
    design's target effect per outlet, else 5 % of the control's mean of the primary metric).
    """
    arms = [a.code for a in design.arms]
    control = arms[0]
    # integer codes of the accounts: clustering sorts them, ints sort far faster than text
    frame = frame.assign(unit=pd.factorize(frame["account_id"])[0])
    units = frame.drop_duplicates("account_id")["arm"].value_counts()
    srm = sample_ratio_check([int(units.get(a, 0)) for a in arms], design.weights)
    metric = design.metric
    out: dict[str, Any] = {
        "metric": metric,
        "units": {a: int(units.get(a, 0)) for a in arms},
        "outlets": {a: int((frame["arm"] == a).sum()) for a in arms},
        "srm": {"p_value": srm.p_value, "mismatch": srm.mismatch, "expected": srm.expected},
        "comparisons": [],
    }
    for arm in arms[1:]:
        e = _effect(frame, arm, control, metric, design.alpha)
        per_account = _per_account(frame, arm)
        target = design.target_effect / per_account if design.target_effect else None
        scale = tau or target or max(abs(e.mean_control) * 0.05, e.se)
        lo, hi = (
            always_valid_interval(e.effect, e.se, tau=scale, alpha=design.alpha)
            if e.se > 0 and scale > 0
            else (e.effect, e.effect)  # a metric nobody moved: nothing to be uncertain about
        )
        raw = _effect(frame, arm, control, metric, design.alpha, cuped=False)
        treated = frame[frame["arm"] == arm]
        roi = return_on_investment(e, len(treated), float(treated["cost"].sum()))
        comp: dict[str, Any] = {
            "arm": arm,
            "primary": e.as_dict(),
            "without_cuped": {
                "effect": raw.effect,
                "ci_low": raw.ci_low,
                "ci_high": raw.ci_high,
                "se": raw.se,
            },
            "always_valid": {
                "ci_low": lo,
                "ci_high": hi,
                "tau": scale,
                "significant": lo > 0 or hi < 0,
            },
            "roi": asdict(roi),
            "outlets_per_account": per_account,
            "guardrails": {},
            "by_tier": {},
        }
        for g in design.guardrails:
            ge = _effect(frame, arm, control, g, design.alpha)
            comp["guardrails"][g] = {
                **ge.as_dict(),
                # a guardrail is hurt when its interval lies wholly on the bad side
                "harm": ge.ci_low > 0,
            }
        if "tier" in frame.columns:
            for tier, sub in frame.groupby("tier", dropna=True):
                if min((sub["arm"] == arm).sum(), (sub["arm"] == control).sum()) < MIN_SUBGROUP:
                    continue
                te = _effect(sub, arm, control, metric, design.alpha)
                comp["by_tier"][str(tier)] = {**te.as_dict(), "exploratory": True}
        out["comparisons"].append(comp)
    return out

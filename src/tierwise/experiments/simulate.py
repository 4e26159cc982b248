"""Synthetic experiments with a known true effect, for the tests and the bench.

Stands in for the world's potential outcomes until "A world that responds" (issue 15) is on
main: each outlet has a level (an account effect shared by the chain's outlets plus its
own), a pre-period and a window value correlated through that level, and a treatment effect
that varies by account around a known average. The frame has the columns
:func:`tierwise.experiments.analysis.analyse` reads, so the same analysis runs on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tierwise.experiments.assign import assign
from tierwise.experiments.design import Design, parse_design
from tierwise.experiments.metrics import COLUMNS


def two_arm_design(guardrails: list[str] | None = None) -> Design:
    """The design the simulated frames fit: arms ``control`` and ``treatment``."""
    return parse_design(
        {
            "code": "sim",
            "name": "simulated",
            "arms": [{"code": "control"}, {"code": "treatment"}],
            "start": "2026-01-01",
            "end": "2026-01-30",
            "tail_days": 0,
            **({} if guardrails is None else {"guardrails": guardrails}),
        }
    )


@dataclass(frozen=True)
class Truth:
    """What the simulation knows: the average effect per outlet in the treated arm."""

    average_effect: float
    rho: float


def outlets(n_accounts: int, rng: np.random.Generator, *, max_outlets: int = 3) -> pd.DataFrame:
    """Accounts with 1..max_outlets outlets each, a tier and a province."""
    per = rng.integers(1, max_outlets + 1, n_accounts)
    acc = np.repeat(np.arange(n_accounts), per)
    k = np.concatenate([np.arange(p) for p in per])
    tiers = np.array(["gold", "silver", "bronze"])[rng.integers(0, 3, n_accounts)][acc]
    return pd.DataFrame(
        {
            "customer_id": [f"S{a:07d}-{j}" for a, j in zip(acc, k, strict=True)],
            "account_id": [f"A{a:07d}" for a in acc],
            "tier": tiers,
            "province": np.array(["四川省", "重庆市"])[acc % 2],
        }
    )


def experiment(
    n_accounts: int,
    *,
    effect: float,
    rng: np.random.Generator,
    weights: tuple[float, float] = (1.0, 1.0),
    rho: float = 0.7,
    sd: float = 1000.0,
    salt: str = "sim",
    days: int = 1,
) -> tuple[pd.DataFrame, Truth, np.ndarray]:
    """A two-arm experiment (``control``, ``treatment``) on ``n_accounts`` accounts.

    Returns the frame, the truth and, for sequential looks, the outlets' daily window values
    (shape outlets × days; their sum is ``y_net_margin``). The account-level level makes
    outlets of one chain correlated, which the clustered errors must absorb.
    """
    o = assign(
        outlets(n_accounts, rng),
        arms=["control", "treatment"],
        weights=list(weights),
        salt=salt,
        strata=[],
    )
    codes = pd.factorize(o["account_id"])[0]
    account_level = rng.normal(0, sd * 0.6, codes.max() + 1)[codes]
    level = 3 * sd + account_level + rng.normal(0, sd * 0.5, len(o))
    noise_sd = np.std(level) * np.sqrt(1 / rho - 1)  # corr(pre, window) = rho
    pre = level + rng.normal(0, noise_sd, len(o))
    treated = (o["arm"] == "treatment").to_numpy()
    # heterogeneous effects by account, averaging `effect`
    acc_effect = effect * rng.gamma(4.0, 0.25, codes.max() + 1)[codes]
    daily = (level[:, None] + rng.normal(0, noise_sd * np.sqrt(days), (len(o), days))) / days
    daily[treated] += acc_effect[treated, None] / days
    frame = o.copy()
    for c in COLUMNS:
        frame[f"y_{c}"] = 0.0
        frame[f"x_{c}"] = 0.0
    frame["y_net_margin"] = daily.sum(axis=1)
    frame["x_net_margin"] = pre
    frame["y_churn"] = frame["x_churn"] = 0.0
    frame["cost"] = np.where(treated, abs(effect) + 100.0, 0.0)
    truth = Truth(float(acc_effect[treated].mean()) if treated.any() else effect, rho)
    return frame, truth, daily

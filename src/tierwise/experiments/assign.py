"""Deterministic assignment of accounts to arms (salted hash, optionally stratified).

Pure: a table of outlets in, the same table with ``arm`` and ``stratum`` out. Each account
gets ``h = sha256(salt:account_id)`` read as a number in [0, 1). Without strata an account's
arm is where ``h`` falls in the cumulative allocation, so adding accounts never moves
another one. With strata, accounts are ranked by ``h`` within each stratum and the ranks are
cut by the allocation, so every stratum is split as designed (blocked randomisation; the
order inside a stratum is still the hash's, so nobody chooses it). All outlets of an account
share its arm.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from tierwise.errors import DataError

#: columns the outlets table must have (the customer profile's names)
OUTLET_COLUMNS = ("customer_id", "account_id")


def unit_hash(salt: str, account_id: str) -> float:
    """The account's position in [0, 1) for this salt."""
    digest = hashlib.sha256(f"{salt}:{account_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _accounts(outlets: pd.DataFrame, strata: list[str]) -> pd.DataFrame:
    """One row per account: the stratum of its first outlet (accounts rarely span strata)."""
    acc = outlets.sort_values("customer_id").groupby("account_id", sort=True).first()
    if "spend_decile" in strata:
        spend = outlets.groupby("account_id")["spend_365d"].sum().reindex(acc.index).fillna(0.0)
        acc["spend_decile"] = (
            pd.qcut(spend.rank(method="first"), 10, labels=False) if len(acc) >= 10 else 0
        )
    return acc


def assign(
    outlets: pd.DataFrame, *, arms: list[str], weights: list[float], salt: str, strata: list[str]
) -> pd.DataFrame:
    """``outlets`` with ``arm`` and ``stratum`` columns (one arm per account).

    Parameters
    ----------
    outlets:
        One row per outlet: ``customer_id``, ``account_id`` and the stratification columns
        (``province``, ``city``, ``tier``, ``account_manager``, ``spend_365d`` for
        ``spend_decile``).
    arms, weights:
        Arm codes (the first is the control) and their allocation weights.
    salt:
        Fixed at start; the same salt and population give the same assignment.
    strata:
        Columns to stratify by (may be empty).
    """
    missing = [
        c
        for c in (*OUTLET_COLUMNS, *[s for s in strata if s != "spend_decile"])
        if c not in outlets.columns
    ]
    if missing:
        raise DataError(
            f"the population lacks column {missing[0]!r}",
            column=missing[0],
            expected=", ".join(outlets.columns),
        )
    if outlets.empty:
        raise DataError("the population is empty", hint="widen the population filter")
    acc = _accounts(outlets, strata)
    h = np.array([unit_hash(salt, str(a)) for a in acc.index])
    cum = np.cumsum(np.asarray(weights, dtype=np.float64))
    cum = cum / cum[-1]
    if strata:
        key = acc[strata].astype(str).agg("|".join, axis=1)
        frame = pd.DataFrame({"stratum": key.to_numpy(), "h": h}, index=acc.index)
        rank = frame.groupby("stratum")["h"].rank(method="first").to_numpy() - 1
        size = frame.groupby("stratum")["h"].transform("size").to_numpy()
        # the middle of the rank's slot, so a stratum of n units is cut n·w at a time
        pos = (rank + 0.5) / size
        stratum = frame["stratum"].to_numpy()
    else:
        pos = h
        stratum = np.full(len(acc), "all", dtype=object)
    idx = np.searchsorted(cum, pos, side="right").clip(0, len(arms) - 1)
    by_account = pd.DataFrame(
        {"arm": np.asarray(arms, dtype=object)[idx], "stratum": stratum}, index=acc.index
    )
    out = outlets.join(by_account, on="account_id")
    return out.reset_index(drop=True)

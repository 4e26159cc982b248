"""Who gets which message: the pure decision of one campaign wave (R-OPS-6).

Every member of the audience gets one row, in one of these statuses:

- ``holdout``: the account's salted hash falls below the campaign's holdout share. The draw
  is by account (all outlets of a chain together, so the chain is one unit when measured)
  and the salt is the campaign's, so the same account is in or out of every wave of it and
  independently of other campaigns. A holdout customer is never messaged.
- ``opted_out``: the customer opted out of every channel of the campaign.
- ``capped``: the customer already had ``frequency_cap.messages`` messages (any campaign)
  in the last ``frequency_cap.days`` days: the cap is never exceeded.
- ``over_budget``: messages and coupons so far would pass the budget. Members are taken in
  an order drawn from the salt, so who is cut off is random, not the last ids.
- ``send``: the message goes on the first channel of the campaign the customer has not opted
  out of, not before ``not_before``: the end of the quiet hours when ``now`` falls in them
  (the account-manager task channel has none), spread by the channel's rate per minute.

``arm`` is ``holdout`` or ``treated``; treated rows that were not sent stay in the treated
arm (the measurement compares the arms as assigned: intention to treat).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from zoneinfo import ZoneInfo

import pandas as pd

from tierwise.ops.campaigns.spec import CampaignPolicy, CampaignSpec, QuietHours

STATUSES = ("send", "holdout", "opted_out", "capped", "over_budget")
ALL_CHANNELS = "*"  # an opt-out of every channel


def draw(salt: str, key: str) -> float:
    """A uniform number in [0, 1) from ``salt`` and ``key`` (SHA-256, stable everywhere)."""
    h = hashlib.sha256(f"{salt}\x1f{key}".encode()).digest()
    return int.from_bytes(h[:8], "big") / 2.0**64


def in_holdout(salt: str, account_id: str, share: float) -> bool:
    """Whether ``account_id`` is in the holdout of the campaign salted ``salt``."""
    return draw(salt, account_id) < share


def quiet_until(now: dt.datetime, quiet: QuietHours) -> dt.datetime:
    """``now`` (naive UTC) if outside the quiet hours, else their end (naive UTC)."""
    tz = ZoneInfo(quiet.timezone)
    local = now.replace(tzinfo=dt.UTC).astimezone(tz)
    t = local.time()
    start, end = quiet.start, quiet.end
    inside = (start <= t or t < end) if start > end else (start <= t < end)
    if not inside:
        return now
    day = local.date() if t < end else local.date() + dt.timedelta(days=1)
    wake = dt.datetime.combine(day, end, tzinfo=tz)
    return wake.astimezone(dt.UTC).replace(tzinfo=None)


def decide(
    members: pd.DataFrame,
    spec: CampaignSpec,
    policy: CampaignPolicy,
    *,
    salt: str,
    now: dt.datetime,
    recent: Mapping[str, int],
    optouts: Mapping[str, frozenset[str]],
    spent_fen: int = 0,
) -> pd.DataFrame:
    """One row per member: ``customer_id, account_id, tier, arm, status, channel,
    not_before, cost_fen, coupon_fen`` (see the module docstring).

    Parameters
    ----------
    members:
        ``customer_id``, ``account_id`` (may be empty: the outlet is its own account),
        ``tier``.
    recent:
        Messages sent to each customer in the cap window before ``now`` (all campaigns).
    optouts:
        Channels each customer opted out of (``*``: all).
    spent_fen:
        What the campaign has spent already (earlier waves), counted against the budget.
    """
    ids = members["customer_id"].astype(str).tolist()
    accounts = [
        str(a) if isinstance(a, str) and a else c
        for a, c in zip(members["account_id"].tolist(), ids, strict=True)
    ]
    tiers = [t if isinstance(t, str) else None for t in members["tier"].tolist()]
    order = sorted(range(len(ids)), key=lambda i: draw(salt + "/order", ids[i]))
    wake = {
        ch: now if ch == "task" else quiet_until(now, policy.quiet_hours) for ch in spec.channels
    }
    sent_on: dict[str, int] = dict.fromkeys(spec.channels, 0)
    cap = policy.frequency_cap.messages
    budget, spent = spec.budget_fen, spent_fen
    holdout_of: dict[str, bool] = {}
    rows: list[tuple[object, ...]] = [()] * len(ids)
    for i in order:
        cid, acc, tier = ids[i], accounts[i], tiers[i]
        if acc not in holdout_of:
            holdout_of[acc] = in_holdout(salt, acc, spec.holdout_share)
        if holdout_of[acc]:
            rows[i] = (cid, acc, tier, "holdout", "holdout", None, None, 0, 0)
            continue
        out = optouts.get(cid, frozenset())
        channel = (
            None if ALL_CHANNELS in out else next((c for c in spec.channels if c not in out), None)
        )
        if channel is None:
            rows[i] = (cid, acc, tier, "treated", "opted_out", None, None, 0, 0)
            continue
        if recent.get(cid, 0) >= cap:
            rows[i] = (cid, acc, tier, "treated", "capped", channel, None, 0, 0)
            continue
        template = spec.coupon_for(tier)
        coupon = template.face_fen if template else 0
        cost = policy.cost_fen(channel) + coupon
        if spent + cost > budget:
            rows[i] = (cid, acc, tier, "treated", "over_budget", channel, None, 0, 0)
            continue
        spent += cost
        k = sent_on[channel]
        sent_on[channel] = k + 1
        rate = max(1, policy.rate_per_minute.get(channel, 600))
        when = wake[channel] + dt.timedelta(seconds=60 * (k // rate))
        rows[i] = (cid, acc, tier, "treated", "send", channel, when, cost - coupon, coupon)
    return pd.DataFrame(
        rows,
        columns=["customer_id", "account_id", "tier", "arm", "status", "channel",
                 "not_before", "cost_fen", "coupon_fen"],
    )  # fmt: skip

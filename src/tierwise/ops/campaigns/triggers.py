"""Triggered campaigns sent by the one tier writer (R-OPS-6, issue 24).

:func:`on_tier_write` is a tier-write hook (:func:`tierwise.store.tier_writer.register_hook`,
registered by :mod:`tierwise.pipeline`): after a batch publication or a real-time regrade
writes tier state, every **active** campaign whose schedule is ``triggered`` by
``tier_change`` (optionally only ``from_tier`` and / or ``to_tier``) sends a wave to the
customers whose tier that write changed, through :func:`.service.send_wave_in`, in the
**same transaction**: the holdout by the campaign's salted hash (holdout members are recorded,
not messaged), opt-outs, the frequency cap across campaigns, the budget and quiet hours all
apply as in any wave, and each message goes through the webhook outbox.

Idempotent: a tier change is sent once. A customer who already has a row of the campaign
written at or after the change's time is left out, so the same write seen twice sends
nothing, and a re-publication that changes no tier triggers nothing (it writes no change).

``churn_warning`` campaigns are sent by :func:`on_churn_warning`, which the retention flow
calls where a customer's churn-warning episode starts (a retention task opens:
:func:`tierwise.ops.retention.sync_tasks`), in that transaction: one episode, one send. For a
publication that is the transaction after the tier write (the tags are refreshed after it);
for a real-time regrade, the regrade's own. It needs the policy's ``retention:`` block.

Nothing is sent, and the write goes on, when no active webhook takes ``campaign.message``
(a warning is logged: a publication must not fail for the lack of a message gateway). The
campaign's saved audience is not applied to triggered sends (the event's customers are the
audience: materialising an audience needs the lake's tag snapshot, which a write does not
read).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Connection, func, select

from tierwise.ops.campaigns.service import MESSAGE_EVENT, _hooks, send_wave_in
from tierwise.ops.campaigns.spec import CampaignPolicy, CampaignSpec, load_campaign_policy
from tierwise.settings import get_settings
from tierwise.store.schema import Campaign, CampaignSend
from tierwise.store.tier_writer import TierWrite

HOOK = "campaigns"
_CHUNK = 5000
_log = logging.getLogger(__name__)
_policy_path: Path | None = None
_policy: CampaignPolicy | None = None


def use_policy(path: Path | None) -> None:
    """The campaigns policy the hook applies (``None``: the settings' ``campaign_policy``, else
    ``policies/operations/campaigns.yaml``)."""
    global _policy_path, _policy
    _policy_path, _policy = path, None


def _current_policy() -> CampaignPolicy:
    global _policy
    if _policy is None:
        _policy = load_campaign_policy(_policy_path or get_settings().campaign_policy)
    return _policy


def _triggered(conn: Connection, event: str, today: dt.date) -> list[tuple[Any, CampaignSpec]]:
    out = []
    for row in conn.execute(select(Campaign).where(Campaign.status == "active")).all():
        spec = CampaignSpec.model_validate(row.spec)
        s = spec.schedule
        if s.kind != "triggered" or s.event != event:
            continue
        if (s.start and today < s.start) or (s.until and today > s.until):
            continue
        out.append((row, spec))
    return out


def _changed(write: TierWrite, spec: CampaignSpec) -> dict[str, dt.datetime]:
    """The customers whose change matches the schedule's tiers → the change's time."""
    s = spec.schedule
    out: dict[str, dt.datetime] = {}
    cols = ["customer_id", "from_tier", "to_tier", "changed_at"]
    for ch in write.changes.select(cols).to_pylist():
        if ch["from_tier"] == ch["to_tier"]:
            continue
        if s.from_tier is not None and ch["from_tier"] != s.from_tier:
            continue
        if s.to_tier is not None and ch["to_tier"] != s.to_tier:
            continue
        at = ch["changed_at"] or write.now
        out[ch["customer_id"]] = min(at, out.get(ch["customer_id"], at))
    return out


def _already(conn: Connection, campaign_id: int, since: dict[str, dt.datetime]) -> set[str]:
    """Customers with a row of the campaign written at or after their change's time."""
    ids = list(since)
    done: set[str] = set()
    for i in range(0, len(ids), _CHUNK):
        q = (
            select(CampaignSend.customer_id, func.max(CampaignSend.created_at))
            .where(
                CampaignSend.campaign_id == campaign_id,
                CampaignSend.customer_id.in_(ids[i : i + _CHUNK]),
            )
            .group_by(CampaignSend.customer_id)
        )
        done |= {c for c, last in conn.execute(q).all() if last is not None and last >= since[c]}
    return done


def _send(conn: Connection, event: str, now: dt.datetime, pick: Any) -> None:
    """Send each active campaign triggered by ``event`` to ``pick(spec)`` (customer → the
    event's time), leaving out those it already reached for that event."""
    campaigns = _triggered(conn, event, now.date())
    if not campaigns:
        return
    if not _hooks(conn):
        _log.warning(
            "%d triggered campaign(s) not sent: no active webhook takes %r",
            len(campaigns),
            MESSAGE_EVENT,
        )
        return
    policy = _current_policy()
    for row, spec in campaigns:
        since = pick(spec)
        todo = sorted(set(since) - _already(conn, row.id, since))
        if todo:
            send_wave_in(conn, row.name, pd.DataFrame({"customer_id": todo}), policy, now=now)


def on_tier_write(conn: Connection, write: TierWrite) -> None:
    """The tier-write hook: send the active ``tier_change`` campaigns to the changed customers."""
    if write.changes.num_rows:
        _send(conn, "tier_change", write.now, lambda spec: _changed(write, spec))


def on_churn_warning(conn: Connection, customers: Collection[str], now: dt.datetime) -> None:
    """Send the active ``churn_warning`` campaigns to ``customers``, whose churn-warning episode
    starts now (called by :func:`tierwise.ops.retention.sync_tasks` where it opens their
    retention tasks, in its transaction: one episode, one send)."""
    if customers:
        _send(conn, "churn_warning", now, lambda spec: dict.fromkeys(customers, now))

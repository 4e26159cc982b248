"""The campaigns module as the API, the console and the CLI serve it (R-OPS-6, issue 24):
the module policy, sending a wave to an audience's members as of today, and the report."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from tierwise.api.deps import AppContext
from tierwise.experiments.campaigns import report
from tierwise.ops.campaigns import service
from tierwise.ops.campaigns.spec import CampaignPolicy, load_campaign_policy
from tierwise.tags.service import audience_members


def campaign_policy(ctx: AppContext) -> CampaignPolicy:
    return load_campaign_policy(ctx.settings.campaign_policy)


def send_now(ctx: AppContext, name: str) -> service.WaveResult:
    """Materialise the campaign's audience as of today and send it one wave."""
    camp = service.get_campaign(ctx.engine, name)
    now = ctx.now()
    s = ctx.settings
    m = audience_members(ctx.engine, s.home, s.runs_dir, camp["audience"], now.date())
    members = pd.DataFrame(
        {
            "customer_id": m.table["customer_id"].to_pylist(),
            "account_id": m.table["account_id"].to_pylist(),
        }
    )
    return service.send_wave(ctx.engine, name, members, campaign_policy(ctx), now=now)


def campaign_report(
    ctx: AppContext, name: str, first: dt.date | None, last: dt.date | None
) -> dict[str, Any]:
    """The report over ``first`` .. ``last`` (default: from the campaign's creation to
    today)."""
    camp = service.get_campaign(ctx.engine, name)
    lo = first or camp["created_at"].date()
    hi = last or ctx.now().date()
    return report(ctx.engine, ctx.settings.lake_dir, name, lo, hi)

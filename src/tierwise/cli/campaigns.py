"""``tierwise campaigns``: campaigns by tier with a holdout (R-OPS-6, R-ANA-6,
docs/campaigns.md). Thin commands over :mod:`tierwise.ops.campaigns` and the report of
:mod:`tierwise.experiments.campaigns`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from tierwise.cli.common import actor, parse_date, store_engine, utcnow
from tierwise.cli.main import app
from tierwise.ops.campaigns import service
from tierwise.ops.campaigns.content import preview
from tierwise.ops.campaigns.spec import CampaignSpec, load_campaign_policy
from tierwise.policy.load import read_yaml

campaigns_app = typer.Typer(
    help="Campaigns by tier (R-OPS-6): define, send through the outbox, coupons, report vs holdout.",
    no_args_is_help=True,
)
app.add_typer(campaigns_app, name="campaigns")
_out = Console(highlight=False)
PolicyOpt = Annotated[
    Path | None,
    typer.Option(
        "--policy", help="Campaigns policy YAML (default: policies/operations/campaigns.yaml)."
    ),
]


@campaigns_app.command("create")
def create_command(
    file: Annotated[Path, typer.Argument(help="Campaign definition (YAML, docs/campaigns.md).")],
) -> None:
    """Validate and store a campaign; every problem is listed and nothing is stored."""
    now = utcnow()
    row = service.create_campaign(
        store_engine(),
        read_yaml(file, what="campaign "),
        today=now.date(),
        actor=actor(),
        now=now,
        source=str(file),
    )
    _out.print(
        f"campaign {row['name']} stored: audience {row['audience']}, budget "
        f"{row['budget_fen'] / 100:,.2f} yuan, holdout {row['holdout_share']:.0%}"
    )


@campaigns_app.command("list")
def list_command() -> None:
    """Every campaign with its status."""
    rows = service.list_campaigns(store_engine())
    if not rows:
        _out.print("no campaigns yet (tierwise campaigns create FILE.yaml)")
        return
    t = Table("name", "status", "audience", "budget (yuan)", "holdout", "created")
    for r in rows:
        t.add_row(r["name"], r["status"], r["audience"], f"{r['budget_fen'] / 100:,.2f}",
                  f"{r['holdout_share']:.0%}", f"{r['created_at']:%Y-%m-%d}")  # fmt: skip
    _out.print(t)


@campaigns_app.command("preview")
def preview_command(name: Annotated[str, typer.Argument(help="Campaign name.")]) -> None:
    """Each content variant rendered for a sample customer."""
    spec = CampaignSpec.model_validate(service.get_campaign(store_engine(), name)["spec"])
    for variant, text in preview(spec.content).items():
        _out.print(f"[{variant}] {text}", markup=False)


@campaigns_app.command("send")
def send_command(
    name: Annotated[str, typer.Argument(help="Campaign name.")],
    policy: PolicyOpt = None,
) -> None:
    """Send one wave to the audience's members as of today (holdout kept, frequency cap,
    opt-outs, quiet hours, budget); refused with the reason when nothing is due."""
    import pandas as pd

    from tierwise.settings import get_settings
    from tierwise.tags.service import audience_members

    engine = store_engine()
    camp = service.get_campaign(engine, name)
    now = utcnow()
    s = get_settings()
    m = audience_members(engine, s.home, s.runs_dir, camp["audience"], now.date())
    members = pd.DataFrame({"customer_id": m.table["customer_id"].to_pylist(),
                            "account_id": m.table["account_id"].to_pylist()})  # fmt: skip
    r = service.send_wave(
        engine, name, members, load_campaign_policy(policy or s.campaign_policy), now=now
    )
    _print_wave(r)


def _print_wave(r: service.WaveResult) -> None:
    _out.print(
        f"campaign {r.campaign} wave {r.wave}: {r.messages} messages queued, {r.coupons} "
        f"coupons issued, {r.spent_fen / 100:,.2f} yuan spent so far"
    )
    statuses = ["send", "holdout", "capped", "opted_out", "over_budget"]
    t = Table("tier", *statuses)
    for tier, c in sorted(r.by_tier.items()):
        t.add_row(tier, *(str(c.get(s, 0)) for s in statuses))
    _out.print(t)


@campaigns_app.command("optout")
def optout_command(
    customer: Annotated[str, typer.Argument(help="Customer id.")],
    channel: Annotated[str, typer.Option(help="sms, push, wechat, task or * (all).")] = "*",
) -> None:
    """Record that a customer wants no messages (on a channel, or any)."""
    service.opt_out(store_engine(), customer, channel=channel, source="cli", now=utcnow())
    _out.print(f"{customer} opted out of {channel}")


def _ci(v: dict[str, Any] | None, fmt: str = "{:,.0f}") -> str:
    if not v:
        return "-"
    mid = v.get("total", v.get("effect", v.get("roi")))
    return f"{fmt.format(mid)} [{fmt.format(v['ci_low'])}, {fmt.format(v['ci_high'])}]"


@campaigns_app.command("report")
def report_command(
    name: Annotated[str, typer.Argument(help="Campaign name.")],
    first: Annotated[str | None, typer.Option(help="First day measured (YYYY-MM-DD).")] = None,
    last: Annotated[str | None, typer.Option(help="Last day measured (YYYY-MM-DD).")] = None,
) -> None:
    """Per tier: the funnel, conversion by arm, incremental orders and margin against the
    holdout with 95 % intervals, cost and ROI (orders and margin from the lake)."""
    from tierwise.experiments.campaigns import report
    from tierwise.settings import get_settings

    engine = store_engine()
    camp = service.get_campaign(engine, name)
    lo = parse_date(first, "--first") or camp["created_at"].date()
    hi = parse_date(last, "--last") or dt.date.today()
    rep = report(engine, get_settings().lake_dir, name, lo, hi)
    if rep.get("all") is None:
        _out.print(f"campaign {name}: {rep.get('note')}")
        return
    _out.print(f"campaign {name}, {lo} … {hi} (95 % intervals, clustered by account)")
    t = Table("tier", "treated", "holdout", "sent", "delivered", "opened", "clicked",
              "redeemed", "incr. orders", "incr. margin (yuan)", "cost", "ROI")  # fmt: skip
    blocks = [*rep["by_tier"].items(), ("all", rep["all"])]
    for tier, b in blocks:
        t.add_row(
            tier, str(b["treated"]), str(b["holdout"]), str(b["sent"]), str(b["delivered"]),
            str(b["opened"]), str(b["clicked"]), str(b["redeemed"]),
            _ci(b.get("incremental_orders")), _ci(b.get("incremental_margin")),
            f"{b['cost']:,.0f}", _ci(b.get("roi"), "{:+.2f}"),
        )  # fmt: skip
    _out.print(t)

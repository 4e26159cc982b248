"""``tierwise surveys``: NPS survey waves sampled by tier, answers loaded from CSV / Excel,
NPS per tier and its trend (R-OPS-8, docs/surveys.md). Thin commands over
:mod:`tierwise.ops.surveys`."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tierwise.cli.common import actor, parse_date, store_engine, utcnow
from tierwise.cli.main import app
from tierwise.cli.targets import AudienceOpt, AudienceVersionOpt, read_target, report_target
from tierwise.ops.surveys import service
from tierwise.ops.surveys.policy import load_survey_policy
from tierwise.settings import get_settings

surveys_app = typer.Typer(
    help="NPS surveys (R-OPS-8): waves sampled by tier, answers loaded, NPS per tier.",
    no_args_is_help=True,
)
app.add_typer(surveys_app, name="surveys")
_out = Console(highlight=False)
PolicyOpt = Annotated[
    Path | None,
    typer.Option(
        "--policy", help="Survey policy YAML (default: policies/operations/surveys.yaml)."
    ),
]


def _fig(v: object) -> str:
    return "-" if not isinstance(v, float | int) or math.isnan(v) else f"{v:+.1f}"


@surveys_app.command("sample")
def sample_command(
    day: Annotated[str, typer.Option("--day", help="The day the wave is sent (YYYY-MM-DD).")],
    policy: PolicyOpt = None,
    seed: Annotated[int, typer.Option(help="Random seed of the sample.")] = 0,
    audience: AudienceOpt = None,
    audience_version: AudienceVersionOpt = None,
) -> None:
    """Sample a wave by tier with the policy's quotas (nobody surveyed within the cooldown);
    with --audience, only among the audience's members as of the day."""
    d = parse_date(day, "--day")
    assert d is not None
    pol = load_survey_policy(policy or get_settings().survey_policy)
    engine, now, who = store_engine(), utcnow(), actor()
    members = read_target(engine, audience, audience_version, d, "the survey wave")
    w = service.create_wave(
        engine, pol, sent_on=d, actor=who, now=now, seed=seed,
        only=None if members is None else members.customer_ids,
    )  # fmt: skip
    _out.print(f"wave {w.wave_id} ({d}): {w.sampled} customers sampled")
    report_target(_out, engine, members, target=f"survey:{w.wave_id}",
                  used_by="the survey wave", actor=who, now=now)  # fmt: skip
    t = Table("tier", "customers", "eligible", "quota", "sampled")
    for s in w.strata:
        t.add_row(s.tier or "-", str(s.population), str(s.eligible), str(s.quota), str(s.sampled))
        if s.sampled < s.quota:
            _out.print(f"warning: tier {s.tier or '-'} short of its quota by {s.quota - s.sampled}")
    _out.print(t)


@surveys_app.command("load")
def load_command(
    wave: Annotated[int, typer.Argument(help="Wave id (see `tierwise surveys report`).")],
    file: Annotated[Path, typer.Argument(help="Answers CSV or Excel file.")],
    policy: PolicyOpt = None,
    show: Annotated[int, typer.Option(help="Rejected rows to show.")] = 20,
) -> None:
    """Load a wave's answers; bad rows are refused with row, column and value and kept."""
    pol = load_survey_policy(policy or get_settings().survey_policy)
    r = service.load_answers(store_engine(), wave, file, pol, now=utcnow())
    _out.print(
        f"wave {wave}: {r.loaded} answers loaded, {len(r.rejected)} rows rejected, "
        f"{len(r.followups)} detractor follow-up tasks opened"
    )
    if r.rejected and show > 0:
        t = Table("row", "column", "value", "reason")
        for b in r.rejected[:show]:
            t.add_row(str(b["row"]), b["column"], str(b["value"]), b["reason"])
        _out.print(t)


@surveys_app.command("report")
def report_command(
    wave: Annotated[list[int] | None, typer.Option("--wave", help="Only these waves.")] = None,
) -> None:
    """Waves, then NPS per tier of each wave (the trend) with its 95 % interval, weighted for
    non-response, the unweighted NPS and the number of answers beside it."""
    engine = store_engine()
    ws = service.waves(engine)
    if not ws:
        _out.print("no survey waves yet (tierwise surveys sample --day …)")
        return
    t = Table("wave", "sent on", "recipients", "answers", "rejected", "follow-up")
    for w in ws:
        link = (
            f"follow-up of {w['followup_of']} ({w['channel']})"
            if w["followup_of"]
            else (f"wave {w['followup_wave_id']}" if w["followup_wave_id"] else "-")
        )
        t.add_row(
            str(w["wave_id"]),
            str(w["sent_on"]),
            str(w["recipients"]),
            str(w["answers"]),
            str(w["rejected"]),
            link,
        )
    _out.print(t)
    rep = service.report(engine, wave or None)
    t = Table(
        "wave", "sent on", "tier", "answers", "recipients", "NPS", "95 % interval", "unweighted",
        "follow-up answers", "two-phase NPS", "95 % interval",
    )  # fmt: skip
    for r in rep.itertuples(index=False):
        two = isinstance(r.followup_wave_id, int | float) and not math.isnan(r.followup_wave_id)
        t.add_row(
            str(r.wave_id),
            str(r.sent_on),
            str(r.tier or "-"),
            str(r.answers),
            str(r.population),
            _fig(r.nps),
            f"{_fig(r.low)} … {_fig(r.high)}",
            _fig(r.nps_unweighted),
            f"{r.answers_followup} of {r.subsampled}" if two else "-",
            _fig(r.nps_two_phase) if two else "-",
            f"{_fig(r.low_two_phase)} … {_fig(r.high_two_phase)}" if two else "-",
        )
    _out.print(t)


@surveys_app.command("followup")
def followup_command(
    wave: Annotated[int, typer.Argument(help="The wave whose non-respondents are followed up.")],
    fraction: Annotated[
        float, typer.Option(help="Share of each tier's non-respondents drawn (0-1].")
    ],
    day: Annotated[str, typer.Option("--day", help="The day the follow-up starts.")],
    channel: Annotated[str, typer.Option(help="call (default), visit, sms or wechat.")] = "call",
    seed: Annotated[int, typer.Option(help="Random seed of the subsample.")] = 0,
) -> None:
    """Close a wave and draw its follow-up: a random share of each tier's non-respondents,
    asked again by a stronger channel (the manager's call). Load its answers with
    `tierwise surveys load FOLLOWUP_WAVE FILE`; the report then combines both phases."""
    d = parse_date(day, "--day")
    assert d is not None
    f = service.create_followup(
        store_engine(), wave, fraction=fraction, sent_on=d, actor=actor(), now=utcnow(),
        seed=seed, channel=channel,
    )  # fmt: skip
    _out.print(
        f"wave {wave} closed; follow-up wave {f.wave_id} ({f.channel}): {f.sampled} "
        f"non-respondents drawn at {f.fraction:g}"
    )
    t = Table("tier", "non-respondents", "drawn")
    for tier, v in f.by_tier.items():
        t.add_row(tier, str(v["nonrespondents"]), str(v["subsampled"]))
    _out.print(t)


@surveys_app.command("recipients")
def recipients_command(
    wave: Annotated[int, typer.Argument(help="Wave id (a follow-up wave: the call list).")],
) -> None:
    """A wave's recipients by account manager, and whether each has answered."""
    t = Table("manager", "customer", "tier", "answered")
    for r in service.recipients(store_engine(), wave):
        t.add_row(
            r["account_manager"] or "-", r["customer_id"], r["tier"] or "-",
            "yes" if r["answered"] else "no",
        )  # fmt: skip
    _out.print(t)


@surveys_app.command("send")
def send_command(
    wave: Annotated[int, typer.Argument(help="The wave to send.")],
    policy: PolicyOpt = None,
    campaign_policy: Annotated[
        Path | None, typer.Option(help="Campaigns policy YAML (cap, quiet hours, costs).")
    ] = None,
) -> None:
    """Send a wave's recipients their personal answer links through the campaign channels
    (needs TIERWISE_SURVEY_LINK_SECRET and a webhook taking campaign.message)."""
    from tierwise.ops.campaigns.spec import load_campaign_policy

    settings = get_settings()
    r = service.send_links(
        store_engine(), wave, load_survey_policy(policy), load_campaign_policy(campaign_policy),
        secret=settings.survey_link_secret, base_url=settings.public_url, actor=actor(),
        now=utcnow(),
    )  # fmt: skip
    counts = ", ".join(f"{k} {v}" for k, v in sorted(r.counts.items()))
    _out.print(
        f"wave {wave} sent as campaign {r.campaign}: {counts}; {r.messages} messages queued; "
        f"links valid until {r.expires_at:%Y-%m-%d %H:%M} UTC"
    )

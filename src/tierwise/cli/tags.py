"""``tierwise tags`` and ``tierwise audience``: the tag catalogue, snapshots, health,
user-defined tags and audiences (issue 20, docs/tags.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from tierwise.cli.common import actor, parse_date, store_engine, utcnow
from tierwise.cli.main import app
from tierwise.errors import UsageError
from tierwise.settings import get_settings

if TYPE_CHECKING:
    from tierwise.tags.audience import Frame

tags_app = typer.Typer(
    help="The tag catalogue (300+ tags), snapshots, health.", no_args_is_help=True
)
aud_app = typer.Typer(help="Audiences: who an operation targets.", no_args_is_help=True)
app.add_typer(tags_app, name="tags")
app.add_typer(aud_app, name="audience")
_out = Console(highlight=False)
AsOf = Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD (default: the latest).")]


@tags_app.command("list")
def list_command(
    group: Annotated[
        str | None,
        typer.Option(help="basic, behaviour, preference, value, risk, response, custom."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per tag.")] = False,
) -> None:
    """The tag catalogue: code, group, kind, names, definition, refresh."""
    from tierwise.tags.catalog import GROUPS, TAGS
    from tierwise.tags.service import custom_tags

    if group is not None and group not in GROUPS:
        raise UsageError(
            f"--group {group!r} is not a tag group", hint="one of " + ", ".join(GROUPS)
        )
    tags = [*TAGS, *custom_tags(store_engine())]
    tags = [t for t in tags if group is None or t.group == group]
    if as_json:
        for t in tags:
            _out.print_json(json.dumps(catalogue_row(t), ensure_ascii=False))
        return
    table = Table(title=f"{len(tags)} tags")
    for c in ("code", "group", "kind", "名称", "name", "definition", "refresh"):
        table.add_column(c)
    for t in tags:
        table.add_row(t.code, t.group, t.kind, t.name_zh, t.name_en, t.definition, t.refresh)
    _out.print(table)


def catalogue_row(t: object) -> dict[str, object]:
    """A tag as the CLI's and the API's JSON show it."""
    from tierwise.tags.catalog import GROUPS, Tag

    assert isinstance(t, Tag)
    return {
        "code": t.code,
        "group": t.group,
        "group_zh": GROUPS[t.group][0],
        "kind": t.kind,
        "name_zh": t.name_zh,
        "name_en": t.name_en,
        "definition": t.definition,
        "inputs": list(t.inputs),
        "refresh": t.refresh,
        "version": t.version,
    }


@tags_app.command("compute")
def compute_command(
    as_of: Annotated[
        str, typer.Option("--as-of", help="YYYY-MM-DD: events on or before it count.")
    ],
    lake: Annotated[
        Path | None, typer.Option(help="The lake (default $TIERWISE_HOME/lake).")
    ] = None,
    replace: Annotated[
        bool, typer.Option(help="Replace an existing snapshot of that date.")
    ] = False,
    engine: Annotated[str | None, typer.Option(help="duckdb (default) or spark.")] = None,
) -> None:
    """Compute every tag of every customer as of a date into a snapshot."""
    from tierwise.engines import open_backend
    from tierwise.tags.service import custom_tags
    from tierwise.tags.snapshot import compute_snapshot

    s = get_settings()
    day = parse_date(as_of)
    assert day is not None
    con = open_backend(
        engine or s.engine, spark_master=s.spark_master, memory_limit=s.memory_limit,
        temp_dir=s.spill_dir,
    )  # fmt: skip
    snap = compute_snapshot(
        con, lake or s.lake_dir, s.home, day, now=utcnow(),
        custom=custom_tags(store_engine()), replace=replace,
    )  # fmt: skip
    m = snap.meta
    _out.print(
        f"tags as of {day}: {m['tags']} tags × {m['rows']:,} customers in {m['seconds']} s → {snap.path}"
    )


@tags_app.command("show")
def show_command(
    customer_id: Annotated[str, typer.Argument(help="Customer id.")],
    as_of: AsOf = None,
    lang: Annotated[str, typer.Option(help="zh or en.")] = "zh",
    every: Annotated[bool, typer.Option("--all", help="Also the flags that are false.")] = False,
) -> None:
    """One customer's tags, grouped, with value, when computed and why."""
    from tierwise.tags.profile import customer_tags

    s = get_settings()
    groups = customer_tags(s.home, store_engine(), customer_id, parse_date(as_of), every=every)
    for g in groups:
        table = Table(title=f"{g['name_zh'] if lang != 'en' else g['name_en']} ({len(g['tags'])})")
        for c in ("tag", "value", "why"):
            table.add_column(c)
        for t in g["tags"]:
            name = t["name_zh"] if lang != "en" else t["name_en"]
            table.add_row(f"{name} [{t['code']}]", str(t["value"]), t["why"])
        _out.print(table)


@tags_app.command("health")
def health_command(
    as_of: AsOf = None,
    only_warnings: Annotated[bool, typer.Option("--warnings", help="Only flagged tags.")] = False,
) -> None:
    """Coverage, distribution and stability of every tag against the previous snapshot."""
    from tierwise.tags.profile import health_rows

    s = get_settings()
    rows, snap, prev = health_rows(s.home, store_engine(), parse_date(as_of))
    table = Table(title=f"tag health as of {snap.as_of}" + (f" vs {prev.as_of}" if prev else ""))
    for c in ("tag", "coverage", "previous", "stability", "distribution", "warning"):
        table.add_column(c)
    for r in rows:
        if only_warnings and not r["warning"]:
            continue
        table.add_row(
            r["code"], pct(r["coverage"]), pct(r["previous_coverage"]), pct(r["stability"]),
            json.dumps(r["distribution"], ensure_ascii=False, default=str)[:60], r["warning"] or "",
        )  # fmt: skip
    _out.print(table)


def pct(v: float | None) -> str:
    """A share as a percentage, or a dash."""
    return "—" if v is None else f"{v:.1%}"


@tags_app.command("define")
def define_command(
    code: Annotated[str, typer.Argument(help="The new tag's code, e.g. hotpot_vip.")],
    rule: Annotated[str, typer.Option(help="A rule over features and tags (docs/tags.md).")],
    name_zh: Annotated[str, typer.Option("--name-zh", help="Chinese name.")],
    name_en: Annotated[str, typer.Option("--name-en", help="English name.")],
    description: Annotated[str | None, typer.Option(help="What it is for.")] = None,
) -> None:
    """Save a user-defined tag (a new version if it exists); computed by the next snapshot."""
    from tierwise.tags.service import save_custom_tag

    row = save_custom_tag(
        store_engine(), code, rule, name_zh=name_zh, name_en=name_en, author=actor(), now=utcnow(),
        description=description,
    )  # fmt: skip
    _out.print(f"tag {row['code']} version {row['version']}: {row['rule']}")


@tags_app.command("delete")
def delete_command(code: Annotated[str, typer.Argument(help="A user-defined tag's code.")]) -> None:
    """Delete a user-defined tag (refused while an audience or tag uses it)."""
    from tierwise.tags.service import delete_custom_tag

    delete_custom_tag(store_engine(), code, utcnow())
    _out.print(f"tag {code} deleted")


# -- audiences --------------------------------------------------------------------------------
def _frame(as_of: str | None) -> Frame:
    from tierwise.tags.service import frame_on

    s = get_settings()
    return frame_on(store_engine(), s.home, s.runs_dir, parse_date(as_of))


@aud_app.command("count")
def count_command(
    expression: Annotated[str, typer.Argument(help="e.g. \"tier == 'A' and cat_hotpot_heavy\"")],
    as_of: AsOf = None,
    sample: Annotated[int, typer.Option(min=0, max=100, help="Members to show.")] = 5,
) -> None:
    """Check an expression and count its members (with a sample)."""
    from tierwise.tags.audience import evaluate

    r = evaluate(_frame(as_of), expression, sample=sample)
    _out.print(
        f"{r['count']:,} of {r['total']:,} customers (tags as of {r['snapshot_as_of']}, run {r['run_id'] or '—'})"
    )
    if r["warning"]:
        _out.print(f"warning: {r['warning']}")
    for row in r["sample"]:
        _out.print("  " + json.dumps(row, ensure_ascii=False, default=str))


@aud_app.command("save")
def save_command(
    name: Annotated[str, typer.Argument(help="Audience name, e.g. hotpot_gold.")],
    expression: Annotated[str, typer.Option(help="The boolean expression.")],
    title_zh: Annotated[str | None, typer.Option("--title-zh", help="Chinese title.")] = None,
    title_en: Annotated[str | None, typer.Option("--title-en", help="English title.")] = None,
    segment: Annotated[bool, typer.Option(help="A business segment (战略客户 …).")] = False,
    description: Annotated[str | None, typer.Option(help="What it is for.")] = None,
) -> None:
    """Save an audience (a new version if it exists)."""
    from tierwise.tags.service import AudienceSpec, save_audience

    frame = _frame(None)
    spec = AudienceSpec(
        name, expression, "segment" if segment else "audience", title_zh or name, title_en or name,
        description,
    )  # fmt: skip
    row = save_audience(store_engine(), spec, frame, author=actor(), now=utcnow())
    from tierwise.tags.audience import check_expression

    n = frame.count(check_expression(row["expression"], frame.types()))
    _out.print(f"{row['kind']} {row['name']} version {row['version']}: {n:,} members now")
    if n == 0:
        _out.print("warning: it matches nobody today")


@aud_app.command("list")
def audiences_command() -> None:
    """Saved audiences and segments (newest versions)."""
    from tierwise.tags.service import audiences

    table = Table(title="audiences")
    for c in ("name", "kind", "version", "title", "expression", "by"):
        table.add_column(c)
    for r in audiences(store_engine()):
        table.add_row(
            r["name"], r["kind"], str(r["version"]), r["title_zh"], r["expression"], r["author"]
        )
    _out.print(table)


@aud_app.command("members")
def members_command(
    name: Annotated[str, typer.Argument(help="A saved audience.")],
    as_of: AsOf = None,
    out: Annotated[Path | None, typer.Option(help="Write .csv or .xlsx (Chinese headers).")] = None,
    version: Annotated[int | None, typer.Option(min=1, help="An older version.")] = None,
) -> None:
    """The members of a saved audience as of a date (reproducible), to the screen or a file."""
    from tierwise.tags.audience import check_expression
    from tierwise.tags.export import to_csv, to_xlsx
    from tierwise.tags.service import get_audience, record_delivery

    engine = store_engine()
    aud = get_audience(engine, name, version)
    frame = _frame(as_of)
    members = frame.members(check_expression(aud["expression"], frame.types()))
    on = parse_date(as_of) or frame.snapshot.as_of
    src = f"tags as of {frame.snapshot.as_of}, run {frame.run.run_id if frame.run else '—'}"
    if out is None:
        for r in members.to_pylist():
            _out.print(json.dumps(r, ensure_ascii=False, default=str))
    else:
        suffix = out.suffix.lower()
        if suffix not in (".csv", ".xlsx"):
            raise UsageError(f"--out {out} must end in .csv or .xlsx", value=str(out))
        data = to_csv(members, frame.custom) if suffix == ".csv" else to_xlsx(members, frame.custom)
        out.write_bytes(data)
        record_delivery(
            engine, aud, frame, on, members.num_rows, target=suffix[1:], actor=actor(), now=utcnow()
        )
    _out.print(
        f"{name} v{aud['version']}: {members.num_rows:,} members ({src})"
        + (" — matches nobody" if members.num_rows == 0 else "")
    )


@aud_app.command("push")
def push_command(
    name: Annotated[str, typer.Argument(help="A saved audience.")], as_of: AsOf = None
) -> None:
    """Send the members to every webhook subscribed to audience.members (the CRM)."""
    from tierwise.tags.audience import check_expression
    from tierwise.tags.service import get_audience, push_members

    engine = store_engine()
    aud = get_audience(engine, name)
    frame = _frame(as_of)
    ids = frame.members(check_expression(aud["expression"], frame.types()))[
        "customer_id"
    ].to_pylist()
    n = push_members(
        engine,
        aud,
        frame,
        parse_date(as_of) or frame.snapshot.as_of,
        ids,
        actor=actor(),
        now=utcnow(),
    )
    _out.print(f"{name}: {len(ids):,} members queued in {n} webhook message(s)")


@aud_app.command("delete")
def delete_audience_command(name: Annotated[str, typer.Argument(help="A saved audience.")]) -> None:
    """Delete an audience (every version)."""
    from tierwise.tags.service import delete_audience

    delete_audience(store_engine(), name, utcnow())
    _out.print(f"audience {name} deleted")

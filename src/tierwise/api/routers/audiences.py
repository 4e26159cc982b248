"""``/audiences``: audiences and business segments over tiers, layers, segments and tags
(issue 20, docs/tags.md): live preview, saved versions, members as of a date, CSV/Excel
exports with Chinese headers, push to the CRM webhooks.

Members carry customer ids, account ids and the tag values the expression reads: no personal
data, so nothing is masked; the roles scoped to some customers (sales, customer) have no
audience actions.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from tierwise.api.access import Action, Principal
from tierwise.api.deps import AppContext, Ctx, allow
from tierwise.api.errors import AUTH_ERRORS, BAD_INPUT, CONFLICT, NOT_FOUND
from tierwise.api.routers.tags import Preview
from tierwise.api.schemas.common import MAX_PAGE_SIZE, Input
from tierwise.tags.audience import evaluate
from tierwise.tags.export import XLSX, export_file
from tierwise.tags.service import (
    AudienceSpec,
    Members,
    audience_members,
    audience_versions,
    audiences,
    delete_audience,
    frame_on,
    get_audience,
    push_members,
    record_delivery,
    save_audience,
)

router = APIRouter(prefix="/audiences", tags=["audiences"], responses={**AUTH_ERRORS, **BAD_INPUT})
Name = Annotated[str, Path(min_length=2, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")]
AsOf = Annotated[dt.date | None, Query(description="YYYY-MM-DD (default: the latest snapshot)")]
Kind = Literal["audience", "segment"]


class AudienceIn(Input):
    name: str = Field(min_length=2, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")
    expression: str = Field(min_length=1, max_length=4000)
    kind: Kind = "audience"
    title_zh: str = Field(default="", max_length=120)
    title_en: str = Field(default="", max_length=120)
    description: str | None = Field(default=None, max_length=2000)


class ExpressionIn(Input):
    expression: str = Field(min_length=1, max_length=4000)
    as_of: dt.date | None = None


class PushIn(Input):
    as_of: dt.date | None = None


class AudiencePublic(BaseModel):
    name: str
    version: int
    kind: Kind
    title_zh: str
    title_en: str
    expression: str
    description: str | None
    author: str
    created_at: dt.datetime


class AudienceDetail(AudiencePublic):
    versions: list[AudiencePublic] = Field(description="Every version, newest first")


class Source(BaseModel):
    audience: str
    version: int
    as_of: dt.date
    snapshot_as_of: dt.date = Field(description="The tag snapshot the list was computed from")
    run_id: str | None = Field(description="The published run tiers and segments came from")
    members: int
    empty: bool = Field(description="Nobody matches: allowed, but flagged")


class MemberPage(BaseModel):
    source: Source
    warning: str | None
    items: list[dict[str, Any]]
    offset: int
    limit: int


class PushResult(BaseModel):
    source: Source
    messages: int = Field(description="Webhook messages queued (one per 1 000 members and hook)")


def _public(row: dict[str, Any]) -> AudiencePublic:
    return AudiencePublic(**{k: row[k] for k in AudiencePublic.model_fields})


def _members(ctx: AppContext, name: str, on: dt.date | None, version: int | None) -> Members:
    s = ctx.settings
    return audience_members(ctx.engine, s.home, s.runs_dir, name, on, version=version)


def _warning(m: Members) -> str | None:
    return "this audience matches nobody as of the date" if m.empty else None


@router.get("", response_model=list[AudiencePublic])
def list_route(
    ctx: Ctx,
    principal: Annotated[Principal, allow(Action.AUDIENCE_READ)],
    kind: Annotated[Kind | None, Query()] = None,
) -> list[AudiencePublic]:
    """Saved audiences and business segments (newest versions)."""
    return [_public(r) for r in audiences(ctx.engine, kind)]


@router.post("/preview", response_model=Preview, responses=NOT_FOUND)
def preview_route(
    ctx: Ctx, principal: Annotated[Principal, allow(Action.AUDIENCE_READ)], body: ExpressionIn
) -> Preview:
    """Live count and a sample of an expression (nothing saved). 400 names an unknown tag or
    a type error and its column; an expression matching nobody has ``empty: true``."""
    frame = frame_on(ctx.engine, ctx.settings.home, ctx.settings.runs_dir, body.as_of)
    return Preview(**evaluate(frame, body.expression))


@router.post("", response_model=AudiencePublic, status_code=201, responses=NOT_FOUND)
def save_route(
    ctx: Ctx, principal: Annotated[Principal, allow(Action.AUDIENCE_WRITE)], body: AudienceIn
) -> AudiencePublic:
    """Save an audience or a business segment (``kind: segment``); a new version when the
    name exists. The expression is checked against the latest snapshot and run."""
    now = ctx.now()
    frame = frame_on(ctx.engine, ctx.settings.home, ctx.settings.runs_dir, None)
    spec = AudienceSpec(
        body.name, body.expression, body.kind, body.title_zh, body.title_en, body.description
    )
    row = save_audience(ctx.engine, spec, frame, author=principal.subject, now=now)
    ctx.audit.record(
        principal, "audience.write", now=now, target=body.name,
        detail={"version": row["version"], "expression": body.expression},
    )  # fmt: skip
    return _public(row)


@router.get("/{name}", response_model=AudienceDetail, responses=NOT_FOUND)
def get_route(
    ctx: Ctx, principal: Annotated[Principal, allow(Action.AUDIENCE_READ)], name: Name
) -> AudienceDetail:
    """One audience with every version."""
    row = get_audience(ctx.engine, name)
    versions = [_public(v) for v in audience_versions(ctx.engine, name)]
    return AudienceDetail(**_public(row).model_dump(), versions=versions)


@router.delete("/{name}", status_code=204, responses={**NOT_FOUND, **CONFLICT})
def delete_route(
    ctx: Ctx, principal: Annotated[Principal, allow(Action.AUDIENCE_WRITE)], name: Name
) -> None:
    """Delete an audience (every version)."""
    now = ctx.now()
    delete_audience(ctx.engine, name, now)
    ctx.audit.record(principal, "audience.delete", now=now, target=name)


@router.get("/{name}/members", response_model=MemberPage, responses=NOT_FOUND)
def members_route(
    ctx: Ctx,
    principal: Annotated[Principal, allow(Action.AUDIENCE_READ)],
    name: Name,
    as_of: AsOf = None,
    version: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 100,
) -> MemberPage:
    """Members as of a date (reproducible: ``source`` names the snapshot and run), by id."""
    m = _members(ctx, name, as_of, version)
    items = m.table.slice(offset, limit).to_pylist()
    return MemberPage(
        source=Source(**m.source), warning=_warning(m), items=items, offset=offset, limit=limit
    )


@router.get(
    "/{name}/export",
    responses={
        **NOT_FOUND,
        200: {"content": {"text/csv": {}, XLSX: {}}, "description": "The member list"},
    },
    response_class=Response,
)
def export_route(
    ctx: Ctx,
    principal: Annotated[Principal, allow(Action.AUDIENCE_READ)],
    name: Name,
    fmt: Annotated[Literal["csv", "xlsx"], Query(alias="format")] = "csv",
    as_of: AsOf = None,
    version: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
    lang: Annotated[Literal["zh", "en"], Query()] = "zh",
) -> Response:
    """The member list as CSV (UTF-8 with BOM) or Excel, headers in Chinese (``lang=en``:
    English). Logged with the snapshot and run it came from. Needs ``audience.read``, not
    ``export``: account managers may export their own customers, never a whole audience."""
    m = _members(ctx, name, as_of, version)
    now = ctx.now()
    record_delivery(
        ctx.engine, m.audience, m.frame, m.on, m.table.num_rows,
        target=fmt, actor=principal.subject, now=now,
    )  # fmt: skip
    ctx.audit.record(principal, "export", now=now, target=f"audience:{name}", detail=m.source)
    stem = f"audience-{name}-{m.on.isoformat()}"
    data, media = export_file(m.table, fmt, m.frame.custom, lang)
    headers = {"Content-Disposition": f'attachment; filename="{stem}.{fmt}"'}
    if m.empty:
        headers["X-Audience-Empty"] = "true"
    return Response(data, media_type=media, headers=headers)


@router.post("/{name}/push", response_model=PushResult, responses=NOT_FOUND)
def push_route(
    ctx: Ctx,
    principal: Annotated[Principal, allow(Action.AUDIENCE_PUSH)],
    name: Name,
    body: PushIn,
) -> PushResult:
    """Queue the members for every webhook subscribed to ``audience.members`` (the CRM).
    An empty audience is pushed as one message with ``empty: true``."""
    m = _members(ctx, name, body.as_of, None)
    now = ctx.now()
    n = push_members(
        ctx.engine, m.audience, m.frame, m.on, m.customer_ids, actor=principal.subject, now=now
    )
    ctx.audit.record(principal, "audience.push", now=now, target=name, detail=m.source)
    return PushResult(source=Source(**m.source), messages=n)

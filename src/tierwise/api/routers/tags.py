"""``/tags``: the tag catalogue, snapshots, tag health, user-defined tags; and one customer's
tags for the 360° view (``/customers/{id}/tags``). Issue 20, docs/tags.md."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from tierwise.api.access import Action, Principal
from tierwise.api.deps import AppContext, Ctx, CustomerAccess, allow, allow_customer
from tierwise.api.errors import AUTH_ERRORS, BAD_INPUT, CONFLICT, NOT_FOUND
from tierwise.api.schemas.common import Input
from tierwise.tags.catalog import GROUPS, TAGS, Tag
from tierwise.tags.profile import customer_tags, health_rows
from tierwise.tags.service import (
    custom_tag_rows,
    custom_tags,
    delete_custom_tag,
    frame_on,
    preview_custom_tag,
    save_custom_tag,
)
from tierwise.tags.snapshot import list_snapshots

router = APIRouter(tags=["tags"], responses={**AUTH_ERRORS, **BAD_INPUT})
Group = Literal["basic", "behaviour", "preference", "value", "risk", "response", "custom"]
Code = Annotated[str, Path(min_length=2, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")]
AsOf = Annotated[dt.date | None, Query(description="YYYY-MM-DD (default: the latest snapshot)")]


class TagPublic(BaseModel):
    code: str
    group: Group
    group_zh: str
    group_en: str
    kind: Literal["flag", "band", "number", "text"]
    name_zh: str
    name_en: str
    definition: str = Field(description="The rule (flag), the bands (band) or the input read")
    inputs: list[str]
    refresh: Literal["daily", "event"] = Field(description="event: an order/return/payment")
    version: int


class Catalogue(BaseModel):
    total: int
    items: list[TagPublic]


class SnapshotPublic(BaseModel):
    as_of: dt.date
    computed_at: str
    tags: int
    rows: int
    seconds: float
    custom: dict[str, int] = Field(description="User-defined tags computed: code -> version")


class HealthRow(BaseModel):
    code: str
    group: Group
    kind: str
    name_zh: str
    name_en: str
    coverage: float = Field(description="Share of customers the tag applies to")
    previous_coverage: float | None
    stability: float | None = Field(description="Share whose value did not change")
    distribution: dict[str, Any]
    warning: str | None = Field(description="empty | coverage halved | unavailable")
    unavailable: list[str] | None = Field(
        default=None, description="What the book lacks to compute the tag (empty in the snapshot)"
    )


class Health(BaseModel):
    as_of: dt.date
    previous_as_of: dt.date | None
    warnings: int
    items: list[HealthRow]


class CustomTagIn(Input):
    code: str = Field(min_length=2, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")
    rule: str = Field(min_length=1, max_length=2000, description="A rule over features and tags")
    name_zh: str = Field(min_length=1, max_length=80)
    name_en: str = Field(min_length=1, max_length=80)
    description: str | None = Field(default=None, max_length=2000)


class CustomTagCheck(Input):
    code: str = Field(min_length=2, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")
    rule: str = Field(min_length=1, max_length=2000)
    as_of: dt.date | None = None


class Preview(BaseModel):
    count: int
    total: int
    empty: bool
    warning: str | None
    sample: list[dict[str, Any]] = Field(description="Customer ids and the values read")
    names: list[str]
    unavailable: list[str] = Field(
        default_factory=list, description="Names read that this book cannot compute"
    )
    snapshot_as_of: dt.date
    run_id: str | None


class CustomTagPublic(BaseModel):
    code: str
    version: int
    rule: str
    name_zh: str
    name_en: str
    description: str | None
    author: str
    created_at: dt.datetime


class CustomerTag(BaseModel):
    code: str
    name_zh: str
    name_en: str
    kind: str
    value: Any
    computed_at: str
    as_of: dt.date
    refresh: str
    why: str = Field(description="The rule and the values of its inputs")
    unavailable: list[str] | None = Field(
        default=None, description="What the book lacks to compute the tag (its value is empty)"
    )


class CustomerTagGroup(BaseModel):
    group: Group
    name_zh: str
    name_en: str
    tags: list[CustomerTag]


def public(t: Tag) -> TagPublic:
    zh, en = GROUPS[t.group]
    return TagPublic(
        code=t.code,
        group=t.group,
        group_zh=zh,
        group_en=en,
        kind=t.kind,
        name_zh=t.name_zh,
        name_en=t.name_en,
        definition=t.definition,
        inputs=list(t.inputs),
        refresh=t.refresh,
        version=t.version,
    )


def catalogue(ctx: AppContext, group: str | None = None, q: str | None = None) -> list[Tag]:
    """Built-in and user-defined tags, filtered by group and a text in code or names."""
    tags = [*TAGS, *custom_tags(ctx.engine)]
    needle = (q or "").lower()
    return [
        t
        for t in tags
        if (group is None or t.group == group)
        and (not needle or needle in f"{t.code} {t.name_zh} {t.name_en}".lower())
    ]


@router.get("/tags", response_model=Catalogue)
def list_route(
    ctx: Ctx,
    principal: Annotated[Principal, allow(Action.TAG_READ)],
    group: Annotated[Group | None, Query()] = None,
    q: Annotated[str | None, Query(max_length=80, description="Text in code or names")] = None,
) -> Catalogue:
    """The tag catalogue: every built-in and user-defined tag with its definition."""
    items = [public(t) for t in catalogue(ctx, group, q)]
    return Catalogue(total=len(items), items=items)


@router.get("/tags/snapshots", response_model=list[SnapshotPublic])
def snapshots_route(
    ctx: Ctx, principal: Annotated[Principal, allow(Action.TAG_READ)]
) -> list[SnapshotPublic]:
    """Tag snapshots computed (``tierwise tags compute``), oldest first."""
    return [
        SnapshotPublic(**{k: s.meta[k] for k in SnapshotPublic.model_fields if k in s.meta})
        for s in list_snapshots(ctx.settings.home)
    ]


@router.get("/tags/health", response_model=Health, responses=NOT_FOUND)
def health_route(
    ctx: Ctx, principal: Annotated[Principal, allow(Action.TAG_READ)], as_of: AsOf = None
) -> Health:
    """Coverage, distribution and stability of every tag against the snapshot before;
    ``warning`` flags a tag that went empty or lost half its coverage."""
    rows, snap, prev = health_rows(ctx.settings.home, ctx.engine, as_of)
    return Health(
        as_of=snap.as_of,
        previous_as_of=prev.as_of if prev else None,
        warnings=sum(1 for r in rows if r["warning"]),
        items=[HealthRow(**r) for r in rows],
    )


@router.get("/tags/custom", response_model=list[CustomTagPublic])
def custom_route(
    ctx: Ctx, principal: Annotated[Principal, allow(Action.TAG_READ)]
) -> list[CustomTagPublic]:
    """User-defined tags (newest versions)."""
    return [CustomTagPublic(**r) for r in custom_tag_rows(ctx.engine)]


@router.post("/tags/custom/preview", response_model=Preview, responses=NOT_FOUND)
def preview_route(
    ctx: Ctx, principal: Annotated[Principal, allow(Action.TAG_WRITE)], body: CustomTagCheck
) -> Preview:
    """Check a user-defined tag's rule and count whom it would tag (before saving).
    An unknown name or a type error: 400 naming it and its column."""
    frame = frame_on(ctx.engine, ctx.settings.home, ctx.settings.runs_dir, body.as_of)
    return Preview(**preview_custom_tag(ctx.engine, frame, body.code, body.rule))


@router.post("/tags/custom", response_model=CustomTagPublic, status_code=201, responses=CONFLICT)
def save_route(
    ctx: Ctx, principal: Annotated[Principal, allow(Action.TAG_WRITE)], body: CustomTagIn
) -> CustomTagPublic:
    """Save a user-defined tag (a new version when the code exists); the next snapshot
    computes it."""
    now = ctx.now()
    row = save_custom_tag(
        ctx.engine,
        body.code,
        body.rule,
        name_zh=body.name_zh,
        name_en=body.name_en,
        author=principal.subject,
        now=now,
        description=body.description,
    )
    ctx.audit.record(principal, "tag.write", now=now, target=body.code, detail={"rule": body.rule})
    return CustomTagPublic(**row)


@router.delete("/tags/custom/{code}", status_code=204, responses={**NOT_FOUND, **CONFLICT})
def delete_route(
    ctx: Ctx, principal: Annotated[Principal, allow(Action.TAG_WRITE)], code: Code
) -> None:
    """Delete a user-defined tag: 409 with ``users`` while an audience or a tag uses it."""
    now = ctx.now()
    delete_custom_tag(ctx.engine, code, now)
    ctx.audit.record(principal, "tag.delete", now=now, target=code)


@router.get(
    "/customers/{customer_id}/tags", response_model=list[CustomerTagGroup], responses=NOT_FOUND
)
def customer_route(
    ctx: Ctx,
    access: Annotated[CustomerAccess, allow_customer(Action.CUSTOMER_READ)],
    as_of: AsOf = None,
    every: Annotated[bool, Query(alias="all", description="Also false flags")] = False,
) -> list[CustomerTagGroup]:
    """The customer's tags grouped (基础属性, 交易行为 …): value, when computed, and why."""
    groups = customer_tags(
        ctx.settings.home, ctx.engine, access.customer.customer_id, as_of, every=every
    )
    return [CustomerTagGroup(**g) for g in groups]

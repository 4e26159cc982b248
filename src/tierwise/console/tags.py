"""Console pages of tags and audiences (issue 20): the catalogue with its health, the
user-defined tags with preview, the audience builder with a live count, one audience's
members and exports, and the tag panel of the 360° page (loaded into ``_tags_panel.html``).

Every page checks the same actions as the API (``decide``) and calls the same functions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tierwise.api.access import Action, CustomerRef, decide
from tierwise.console.messages import EN, ZH
from tierwise.console.session import check_csrf
from tierwise.console.web import Page, PageDep
from tierwise.errors import NotFoundError, PermissionDeniedError, TierwiseError
from tierwise.tags.audience import Frame, evaluate
from tierwise.tags.catalog import GROUPS, TAGS, input_names
from tierwise.tags.export import export_file
from tierwise.tags.profile import customer_tags, health_rows
from tierwise.tags.service import (
    AudienceSpec,
    audience_members,
    audience_versions,
    audiences,
    custom_tag_rows,
    custom_tags,
    delete_audience,
    delete_custom_tag,
    frame_on,
    preview_custom_tag,
    record_delivery,
    save_audience,
    save_custom_tag,
)

router = APIRouter(prefix="/console", include_in_schema=False)
Text = Annotated[str, Form(max_length=4000)]
Name = Annotated[str, Form(max_length=40)]

ZH |= {
    "tags_page": "标签",
    "audiences": "人群",
    "tag_catalogue": "标签目录",
    "tag_group": "标签分类",
    "tag_kind": "类型",
    "tag_code": "编码",
    "tag_definition": "定义",
    "tag_refresh": "更新",
    "coverage": "覆盖率",
    "stability": "稳定性",
    "health_warning": "健康提示",
    "snapshot": "标签快照",
    "no_snapshot": "还没有标签快照：运行 tierwise tags compute --as-of YYYY-MM-DD",
    "custom_tags": "自定义标签",
    "new_tag": "新建自定义标签",
    "rule": "规则",
    "rule_help": "用标签、特征和 and / or / not / 比较组合，例如 cat_hotpot_heavy and spend_365d >= 100000",
    "name_zh": "中文名",
    "name_en": "英文名",
    "preview": "预览人数",
    "save": "保存",
    "delete": "删除",
    "version": "版本",
    "author": "创建人",
    "expression": "人群条件",
    "expression_help": "等级、分层、细分和标签的组合，例如 tier in ('S', 'A') and cat_hotpot_heavy and not overdue",
    "audience_name": "人群编码",
    "title": "名称",
    "kind_audience": "人群",
    "kind_segment": "业务细分",
    "matches": "匹配客户",
    "of_total": "总客户",
    "empty_audience": "当前没有客户符合该条件（允许保存，但请确认条件）",
    "members": "成员",
    "export_xlsx": "导出 Excel",
    "as_of": "日期",
    "source": "计算依据",
    "tag_panel": "客户标签",
    "why": "原因",
    "computed_at": "计算时间",
    "names_help": "可用名称",
}
EN |= {
    "tags_page": "Tags",
    "audiences": "Audiences",
    "tag_catalogue": "Tag catalogue",
    "tag_group": "Group",
    "tag_kind": "Kind",
    "tag_code": "Code",
    "tag_definition": "Definition",
    "tag_refresh": "Refresh",
    "coverage": "Coverage",
    "stability": "Stability",
    "health_warning": "Health",
    "snapshot": "Tag snapshot",
    "no_snapshot": "No tag snapshot yet: run tierwise tags compute --as-of YYYY-MM-DD",
    "custom_tags": "User-defined tags",
    "new_tag": "New user-defined tag",
    "rule": "Rule",
    "rule_help": "Tags and features with and / or / not / comparisons, e.g. cat_hotpot_heavy and spend_365d >= 100000",
    "name_zh": "Chinese name",
    "name_en": "English name",
    "preview": "Preview count",
    "save": "Save",
    "delete": "Delete",
    "version": "Version",
    "author": "By",
    "expression": "Expression",
    "expression_help": "Tiers, layers, segments and tags, e.g. tier in ('S', 'A') and cat_hotpot_heavy and not overdue",
    "audience_name": "Code",
    "title": "Title",
    "kind_audience": "Audience",
    "kind_segment": "Business segment",
    "matches": "Matching customers",
    "of_total": "of",
    "empty_audience": "Nobody matches today (allowed, but check the expression)",
    "members": "Members",
    "export_xlsx": "Export Excel",
    "as_of": "Date",
    "source": "Computed from",
    "tag_panel": "Tags",
    "why": "Why",
    "computed_at": "Computed at",
    "names_help": "Names",
}


def _health(page: Page) -> tuple[dict[str, dict[str, Any]], Any]:
    try:
        rows, snap, _ = health_rows(page.ctx.settings.home, page.ctx.engine)
    except NotFoundError:
        return {}, None
    return {r["code"]: r for r in rows}, snap


def _count(page: Page, preview: Callable[[Frame], dict[str, Any]]) -> Response:
    """The live count fragment: ``preview`` on the latest frame, or the error in one line."""
    try:
        s = page.ctx.settings
        result, error = preview(frame_on(page.ctx.engine, s.home, s.runs_dir, None)), None
    except TierwiseError as err:
        result, error = {}, str(err)
    return page.render("_count.html", r=result, error=error)


@router.get("/tags", response_class=HTMLResponse)
def tags_page(
    page: PageDep,
    group: Annotated[str | None, Query(max_length=20)] = None,
    q: Annotated[str | None, Query(max_length=80)] = None,
    warnings: Annotated[bool, Query()] = False,
) -> Response:
    """The catalogue with each tag's coverage and stability; the user-defined tags."""
    page.require(Action.TAG_READ)
    health, snap = _health(page)
    needle = (q or "").lower()
    items = [
        t
        for t in [*TAGS, *custom_tags(page.ctx.engine)]
        if (not group or t.group == group)
        and (not needle or needle in f"{t.code} {t.name_zh} {t.name_en}".lower())
        and (not warnings or (health.get(t.code) or {}).get("warning"))
    ]
    return page.render(
        "tags.html",
        items=items,
        health=health,
        snap=snap,
        groups=GROUPS,
        params={"group": group or "", "q": q or "", "warnings": warnings},
        custom=custom_tag_rows(page.ctx.engine),
        may_write=page.may(Action.TAG_WRITE),
        names=[*input_names(), *[t.code for t in TAGS]],
    )


@router.post("/tags/preview", response_class=HTMLResponse)
def tag_preview(page: PageDep, code: Name, rule: Text, csrf: Name = "") -> Response:
    """The count a user-defined tag would have (htmx fragment), or the error in one line."""
    check_csrf(page.request, csrf)
    page.require(Action.TAG_WRITE)
    return _count(page, lambda f: preview_custom_tag(page.ctx.engine, f, code, rule))


@router.post("/tags/custom")
def tag_save(
    page: PageDep, code: Name, rule: Text, name_zh: Name, name_en: Name, csrf: Name = ""
) -> Response:
    check_csrf(page.request, csrf)
    page.require(Action.TAG_WRITE)
    now = page.ctx.now()
    save_custom_tag(
        page.ctx.engine, code, rule, name_zh=name_zh, name_en=name_en,
        author=page.principal.subject, now=now,
    )  # fmt: skip
    page.ctx.audit.record(page.principal, "tag.write", now=now, target=code, detail={"rule": rule})
    return RedirectResponse("/console/tags?group=custom", status_code=303)


@router.post("/tags/custom/{code}/delete")
def tag_delete(page: PageDep, code: str, csrf: Name = "") -> Response:
    """Delete a user-defined tag; refused (error page listing the users) while in use."""
    check_csrf(page.request, csrf)
    page.require(Action.TAG_WRITE)
    delete_custom_tag(page.ctx.engine, code, page.ctx.now())
    return RedirectResponse("/console/tags?group=custom", status_code=303)


@router.get("/audiences", response_class=HTMLResponse)
def audiences_page(page: PageDep) -> Response:
    """Saved audiences and segments, and the builder with a live count."""
    page.require(Action.AUDIENCE_READ)
    try:
        frame = frame_on(page.ctx.engine, page.ctx.settings.home, page.ctx.settings.runs_dir, None)
        names = sorted(frame.types())
    except NotFoundError:
        frame, names = None, []
    return page.render(
        "audiences.html",
        items=audiences(page.ctx.engine),
        frame=frame,
        names=names,
        may_write=page.may(Action.AUDIENCE_WRITE),
    )


@router.post("/audiences/preview", response_class=HTMLResponse)
def audience_preview(page: PageDep, expression: Text, csrf: Name = "") -> Response:
    """Live count and sample of an expression (htmx fragment); errors in one line."""
    check_csrf(page.request, csrf)
    page.require(Action.AUDIENCE_READ)
    return _count(page, lambda f: evaluate(f, expression, sample=10))


@router.post("/audiences")
def audience_save(
    page: PageDep,
    name: Name,
    expression: Text,
    kind: Annotated[Literal["audience", "segment"], Form()] = "audience",
    title_zh: Name = "",
    title_en: Name = "",
    csrf: Name = "",
) -> Response:
    check_csrf(page.request, csrf)
    page.require(Action.AUDIENCE_WRITE)
    frame = frame_on(page.ctx.engine, page.ctx.settings.home, page.ctx.settings.runs_dir, None)
    now = page.ctx.now()
    spec = AudienceSpec(name, expression, kind, title_zh, title_en)
    save_audience(page.ctx.engine, spec, frame, author=page.principal.subject, now=now)
    page.ctx.audit.record(page.principal, "audience.write", now=now, target=name)
    return RedirectResponse(f"/console/audiences/{name}", status_code=303)


@router.get("/audiences/{name}", response_class=HTMLResponse)
def audience_page(
    page: PageDep, name: str, as_of: Annotated[dt.date | None, Query()] = None
) -> Response:
    """One audience: versions, members as of a date (first 100), export links."""
    page.require(Action.AUDIENCE_READ)
    s = page.ctx.settings
    m = audience_members(page.ctx.engine, s.home, s.runs_dir, name, as_of)
    return page.render(
        "audience.html",
        a=m.audience,
        versions=audience_versions(page.ctx.engine, name),
        source=m.source,
        members=m.table.slice(0, 100).to_pylist(),
        columns=m.table.column_names,
        as_of=as_of,
        may_write=page.may(Action.AUDIENCE_WRITE),
    )


@router.get("/audiences/{name}/export")
def audience_export(
    page: PageDep,
    name: str,
    fmt: Annotated[Literal["csv", "xlsx"], Query(alias="format")] = "csv",
    as_of: Annotated[dt.date | None, Query()] = None,
) -> Response:
    page.require(Action.AUDIENCE_READ)  # not EXPORT: sales may export only their customers
    s = page.ctx.settings
    m = audience_members(page.ctx.engine, s.home, s.runs_dir, name, as_of)
    now = page.ctx.now()
    record_delivery(
        page.ctx.engine, m.audience, m.frame, m.on, m.table.num_rows,
        target=fmt, actor=page.principal.subject, now=now,
    )  # fmt: skip
    lang = "en" if page.lang == "en" else "zh"
    data, media = export_file(m.table, fmt, m.frame.custom, lang)
    disposition = f'attachment; filename="audience-{name}-{m.on}.{fmt}"'
    return Response(data, media_type=media, headers={"Content-Disposition": disposition})


@router.post("/audiences/{name}/delete")
def audience_delete(page: PageDep, name: str, csrf: Name = "") -> Response:
    check_csrf(page.request, csrf)
    page.require(Action.AUDIENCE_WRITE)
    delete_audience(page.ctx.engine, name, page.ctx.now())
    return RedirectResponse("/console/audiences", status_code=303)


@router.get("/customers/{customer_id}/tags", response_class=HTMLResponse)
def customer_tags_panel(page: PageDep, customer_id: str) -> Response:
    """The 360° page's tag panel (htmx fragment): tags grouped, value, computed at, why."""
    page.require(Action.CUSTOMER_READ)
    row = page.ctx.customers.get(customer_id)
    if row is None:
        raise NotFoundError(f"no customer {customer_id!r}")
    d = decide(
        page.principal, Action.CUSTOMER_READ, CustomerRef(customer_id, row["account_manager"])
    )
    if not d:
        raise PermissionDeniedError(d.reason)
    try:
        groups = customer_tags(page.ctx.settings.home, page.ctx.engine, customer_id)
        error = None
    except NotFoundError as err:
        groups, error = [], str(err)
    return page.render("_tags.html", groups=groups, error=error)

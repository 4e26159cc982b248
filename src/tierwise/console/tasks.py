"""Console pages of the churn retention flow (R-OPS-5): the tasks list and its updates, and
the open task shown on a customer's 360° page (templates/_retention.html)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tierwise.api.access import Action, CustomerRef, decide
from tierwise.api.routers.tasks import audit_reads, change_task, task_filter, visible
from tierwise.api.tabular import csv_row
from tierwise.console.messages import code_text, translator
from tierwise.console.session import check_csrf
from tierwise.console.web import Page, PageDep, csv_download
from tierwise.errors import TierwiseError
from tierwise.ops.retention import STATUSES, SYSTEM, TRANSITIONS
from tierwise.ops.tasks import counts_by_status, list_tasks, open_task_of

router = APIRouter(prefix="/console", include_in_schema=False)
PAGE_SIZE = 50
EXPORT_LIMIT = 10_000
BULK_LIMIT = 200
#: the tasks export's columns: (code header, catalog key of the Chinese/English header)
EXPORT_COLUMNS = (
    ("task_id", "id"),
    ("customer_id", "customer_id_h"),
    ("customer_name", "name"),
    ("tier", "tier"),
    ("account_manager", "manager"),
    ("contact_name", "contact"),
    ("phone", "phone"),
    ("status", "task_status"),
    ("due_date", "task_due"),
    ("value_at_risk", "task_risk"),
    ("ltv", "task_ltv"),
    ("churn_probability", "task_churn"),
    ("note", "task_note"),
)
Filter = Annotated[str | None, Query(max_length=40, pattern=r"^[A-Za-z0-9_.-]*$")]


def _view(page: Page, row: dict[str, Any]) -> dict[str, Any]:
    """A task as the page shows it: masked per role, and the statuses it may move to."""
    out = visible(page.principal, row)
    ref = CustomerRef(row["customer_id"], row["account_manager"])
    may = decide(page.principal, Action.TASK_UPDATE, ref).allowed
    out["next"] = sorted(TRANSITIONS[row["status"]], key=STATUSES.index) if may else []
    out["note"] = note_text(row, page.lang)
    return out


def note_text(row: dict[str, Any], lang: str) -> str | None:
    """A task's latest note as people read it: the system's own notes (``churn_warning
    cleared (run: …)``, ``tagged churn_warning (…)``) in words of ``lang``; a person's as
    written."""
    if row.get("updated_by") == SYSTEM and row.get("note"):
        key = "task_sys_recovered" if row["status"] == "recovered" else "task_sys_opened"
        return translator(lang)(key)
    note: str | None = row.get("note")
    return note


@router.get("/tasks", response_class=HTMLResponse)
def tasks_page(
    page: PageDep,
    status: Filter = None,
    manager: Filter = None,
    tier: Filter = None,
    p: Annotated[int, Query(ge=1, le=100_000)] = 1,
    moved: Annotated[int | None, Query(ge=0, le=100_000)] = None,
    failed: Annotated[str, Query(max_length=400)] = "",
) -> Response:
    """Retention tasks in the caller's scope, the ones still to do first by value at risk
    (LTV × churn probability); tick several to move them on at once."""
    page.require(Action.TASK_LIST)
    params = {"status": status or None, "manager": manager or None, "tier": tier or None}
    f = task_filter(page.principal, **params)
    today = page.ctx.now().date()
    rows, total = list_tasks(
        page.ctx.engine, f, today=today, offset=(p - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    items = [_view(page, r) for r in rows]
    audit_reads(page.ctx, page.principal, items, via="console")
    return page.render(
        "tasks.html",
        items=items,
        total=total,
        counts=counts_by_status(page.ctx.engine, f),
        statuses=STATUSES,
        tiers=page.ctx.runs.current_tiers(),
        params=params,
        query=urlencode({k: v for k, v in params.items() if v}),
        p=p,
        pages=max(1, -(-total // PAGE_SIZE)),
        label=page.tier_label,
        back="/console/tasks" + (f"?{urlencode({k: v for k, v in params.items() if v})}"),
        moved=moved,
        failed=failed,
        may_bulk=page.may(Action.TASK_UPDATE),
        may_export=page.may(Action.EXPORT),
    )


@router.get("/tasks/export.csv")
def tasks_export(
    page: PageDep,
    status: Filter = None,
    manager: Filter = None,
    tier: Filter = None,
    codes: Annotated[bool, Query()] = False,
) -> Response:
    """The filtered tasks as CSV for Excel (UTF-8 with BOM) in the list's order (value at
    risk first), masked for the role like the page; headers in the page's language (codes on
    request), tier and status in words, money with two decimals, formulas defused (OWASP:
    ``csv_row``); audited as an export."""
    page.require(Action.TASK_LIST)
    page.require(Action.EXPORT)
    f = task_filter(
        page.principal, status=status or None, manager=manager or None, tier=tier or None
    )
    rows, _ = list_tasks(page.ctx.engine, f, today=page.ctx.now().date(), limit=EXPORT_LIMIT)
    items = [visible(page.principal, r) for r in rows]
    t = translator(page.lang)
    out = []
    for x in items:
        values = [x.get("id" if c == "task_id" else c) for c, _k in EXPORT_COLUMNS]
        if not codes:
            values[3] = page.tier_label(x.get("tier")) if x.get("tier") else ""
            values[7] = code_text("task_status", x["status"], page.lang)
            values[12] = note_text(x, page.lang)
        if x.get("churn_probability") is not None:
            values[11] = round(float(x["churn_probability"]), 4)
        out.append(csv_row([c for c, _k in EXPORT_COLUMNS], values))
    audit_reads(page.ctx, page.principal, items, via="console")
    page.ctx.audit.record(
        page.principal, "export", now=page.ctx.now(), target="tasks",
        detail={"rows": len(items), "via": "console"},
    )  # fmt: skip
    header = [c if codes else t(k) for c, k in EXPORT_COLUMNS]
    return csv_download(header, out, "retention-tasks.csv")


@router.post("/tasks/bulk")
def tasks_bulk(
    page: PageDep,
    ids: Annotated[list[int], Form(max_length=BULK_LIMIT)],
    status: Annotated[str, Form(max_length=16)],
    note: Annotated[str, Form(max_length=2000)] = "",
    back: Annotated[str, Form(max_length=500)] = "/console/tasks",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Move several tasks on at once (start, done or cancel the ticked ones): each through
    the API's own code (decide per task, one audit record per task); the page then says how
    many moved and names the ones that could not, with the reason."""
    check_csrf(page.request, csrf)
    page.require(Action.TASK_UPDATE)
    moved, failed = 0, []
    for task_id in dict.fromkeys(ids):
        try:
            change_task(page.ctx, page.principal, task_id, status, note)
            moved += 1
        except TierwiseError as err:
            failed.append(f"#{task_id}: {err.message}")
    target = back if back.startswith("/console/") else "/console/tasks"
    sep = "&" if "?" in target else "?"
    query = urlencode(
        {"moved": moved, "failed": "；".join(failed)[:400]} if failed else {"moved": moved}
    )
    return RedirectResponse(f"{target}{sep}{query}", status_code=303)


@router.post("/tasks/{task_id}")
def task_update(
    page: PageDep,
    task_id: int,
    status: Annotated[str, Form(max_length=16)],
    note: Annotated[str, Form(max_length=2000)] = "",
    back: Annotated[str, Form(max_length=500)] = "/console/tasks",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Move a task on from the tasks page or the 360° page (the API's own code: decide,
    audit); back to where the form was."""
    check_csrf(page.request, csrf)
    page.require(Action.TASK_UPDATE)
    change_task(page.ctx, page.principal, task_id, status, note)
    target = back if back.startswith("/console/") else "/console/tasks"  # never off-site
    return RedirectResponse(target, status_code=303)


def retention_block(page: Page, row: dict[str, Any]) -> dict[str, Any]:
    """What the 360° page's retention block shows: the customer's task still to do, for roles
    that may list tasks of this customer."""
    ref = CustomerRef(row["customer_id"], row["account_manager"])
    if not decide(page.principal, Action.TASK_LIST, ref):
        return {"show_task": False}
    task = open_task_of(page.ctx.engine, row["customer_id"], today=page.ctx.now().date())
    return {"show_task": True, "task": None if task is None else _view(page, task)}

"""The customer's survey answer page (R-OPS-8, issue 26; docs/surveys.md#answer-links).

``/console/answer/{token}``: opened from the personal link a wave's message carries. No
login: the signed token (:mod:`tierwise.ops.surveys.links`) is the credential, good for one
customer in one wave until it expires. The page asks the 0-10 question, the survey policy's
reason choices and a free text (zh-CN by default, ``?lang=en``); the answer is recorded
through :func:`tierwise.ops.surveys.service.answer_by_link`, the same checks as a file or
the API (one answer per customer per wave). A bad or tampered link: 403; an expired one:
410; a second answer: "already answered".
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, Response

from tierwise.api.deps import AppContext, Ctx
from tierwise.api.surveys import survey_policy
from tierwise.console.session import check_csrf, finish, language
from tierwise.console.web import render
from tierwise.ops.surveys import service
from tierwise.ops.surveys.links import LinkError

router = APIRouter(prefix="/console", include_in_schema=False)
Token = Annotated[str, Path(min_length=10, max_length=1000)]


def _page(request: Request, ctx: AppContext, status: int = 200, **values: object) -> Response:
    html = render(request, "answer.html", principal=None, lang=language(request), **values)
    resp = HTMLResponse(html, status_code=status)
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Referrer-Policy"] = "no-referrer"  # the link is a credential
    return finish(request, resp, secure=ctx.settings.env == "production")


def _bad(request: Request, ctx: AppContext, err: LinkError) -> Response:
    state = "expired" if err.expired else "invalid"
    return _page(request, ctx, 410 if err.expired else 403, state=state)


@router.get("/answer/{token}", response_class=HTMLResponse)
def answer_form(request: Request, ctx: Ctx, token: Token) -> Response:
    """The question for the link's customer, or why it cannot be answered."""
    secret = ctx.settings.survey_link_secret
    try:
        info = service.open_link(ctx.engine, token, secret=secret, now=ctx.now())
    except LinkError as err:
        return _bad(request, ctx, err)
    if info["closed"]:
        return _page(request, ctx, 410, state="closed")
    if info["answered"]:
        return _page(request, ctx, state="already")
    return _page(
        request,
        ctx,
        state="form",
        token=token,
        reasons=survey_policy(ctx).reasons,
        until=f"{info['expires_at']:%Y-%m-%d %H:%M}",
        refused=False,
    )


@router.post("/answer/{token}", response_class=HTMLResponse)
def answer_submit(
    request: Request,
    ctx: Ctx,
    token: Token,
    score: Annotated[str, Form(max_length=10)] = "",
    reasons: Annotated[list[str] | None, Form(max_length=20)] = None,
    comment: Annotated[str, Form(max_length=2000)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Record the answer (the same checks as a file or the API); thank, or say why not."""
    check_csrf(request, csrf)
    secret = ctx.settings.survey_link_secret
    policy = survey_policy(ctx)
    try:
        info = service.open_link(ctx.engine, token, secret=secret, now=ctx.now())
        if info["closed"]:
            return _page(request, ctx, 410, state="closed")
        r = service.answer_by_link(
            ctx.engine, token, policy, secret=secret, score=score,
            reasons=[x[:40] for x in (reasons or [])], comment=comment, now=ctx.now(),
        )  # fmt: skip
    except LinkError as err:
        return _bad(request, ctx, err)
    if r.loaded:
        return _page(request, ctx, state="thanks")
    if any("second answer" in b["reason"] for b in r.rejected):
        return _page(request, ctx, 409, state="already")
    return _page(
        request, ctx, 422, state="form", token=token, reasons=policy.reasons,
        until=f"{info['expires_at']:%Y-%m-%d %H:%M}", refused=True,
    )  # fmt: skip

"""Mount the console on the API's FastAPI app: routes, static files, HTML error pages."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from tierwise.api.access import Principal
from tierwise.console import (
    admin,
    analysis,
    answer,
    benefits,
    campaigns,
    credit,
    experiments,
    models,
    pages,
    prices,
    rebates,
    service,
    supply,
    surveys,
    tags,
    tasks,
    users,
    visits,
)
from tierwise.console.session import CsrfError, LoginRequired, language, principal_of
from tierwise.console.web import HERE, NPM_PACKAGES, home_of, render, vendor_dir
from tierwise.errors import NotFoundError, PermissionDeniedError, TierwiseError

_STATUS: dict[type[Exception], tuple[int, str]] = {
    PermissionDeniedError: (403, "forbidden"),
    NotFoundError: (404, "not_found"),
}


def _error_page(request: Request, status: int, title: str, message: str) -> Response:
    """403 / 404 / 400 in the page's language with a way back (issue 18 finding 7): the
    menu of the signed-in role, a link back and one to the role's home page. The error's own
    message (English) shows on English pages and, to say what to fix, for bad input."""
    try:
        ctx = request.app.state.ctx
        principal: Principal | None = principal_of(request, ctx.signing_key, ctx.users.current)
    except LoginRequired:
        principal = None
    lang = language(request)
    html = render(
        request,
        "error.html",
        title=title,
        # what was wrong with the input is needed to fix it (not yet translated: the
        # errors' own messages are English); why access was refused is not
        message=message if lang == "en" or status == 400 else None,
        lang=lang,
        principal=principal,
        home=home_of(principal) if principal else "/console/login",
        back=_same_site_referer(request),
    )
    return HTMLResponse(html, status_code=status)


def _same_site_referer(request: Request) -> str | None:
    ref = request.headers.get("referer") or ""
    base = str(request.base_url).rstrip("/")
    return ref if ref.startswith(base + "/console/") else None


def install(app: FastAPI) -> None:
    """Add the console under ``/console`` (and ``/`` → ``/console/``) to ``app``."""
    app.include_router(pages.router)
    app.include_router(admin.router)
    app.include_router(models.router)
    app.include_router(analysis.router)
    app.include_router(tasks.router)
    app.include_router(credit.router)
    app.include_router(benefits.router)
    app.include_router(rebates.router)
    app.include_router(service.router)
    app.include_router(prices.router)
    app.include_router(visits.router)
    app.include_router(surveys.router)
    app.include_router(supply.router)
    app.include_router(campaigns.router)
    app.include_router(tags.router)
    app.include_router(experiments.router)
    app.include_router(users.router)
    app.include_router(answer.router)
    app.mount("/console/static", StaticFiles(directory=HERE / "static"), name="console-static")
    # Mounted only when scripts/setup.sh has installed the npm packages; pages still render
    # without them (no charts), and the browser tests check that they are served.
    for name, sub in NPM_PACKAGES.items():
        folder = vendor_dir() / sub
        if folder.is_dir():
            app.mount(f"/console/vendor/{name}", StaticFiles(directory=folder), name=name)

    @app.get("/", include_in_schema=False)
    async def _root() -> RedirectResponse:
        return RedirectResponse("/console/", status_code=307)

    api_handler: Any = app.exception_handlers[TierwiseError]

    async def _tierwise(request: Request, exc: Exception) -> Response:
        if not request.url.path.startswith("/console/"):
            result: Response = await api_handler(request, exc)
            return result
        status, title = _STATUS.get(type(exc), (400, "error"))
        message = exc.message if isinstance(exc, TierwiseError) else str(exc)
        return _error_page(request, status, title, message)

    async def _login(request: Request, _exc: Exception) -> Response:
        if request.headers.get("hx-request") == "true":
            return Response(status_code=401, headers={"HX-Redirect": "/console/login"})
        return RedirectResponse("/console/login", status_code=303)

    async def _csrf(request: Request, _exc: Exception) -> Response:
        message = "CSRF token missing or wrong: reload the page and try again"
        return _error_page(request, 403, "forbidden", message)

    app.add_exception_handler(TierwiseError, _tierwise)
    app.add_exception_handler(LoginRequired, _login)
    app.add_exception_handler(CsrfError, _csrf)

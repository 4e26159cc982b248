"""Mount the console on the API's FastAPI app: routes, static files, HTML error pages."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from tierwise.console import admin, analysis, experiments, models, pages, tasks
from tierwise.console.session import CsrfError, LoginRequired, language
from tierwise.console.web import HERE, NPM_PACKAGES, render, vendor_dir
from tierwise.errors import NotFoundError, PermissionDeniedError, TierwiseError

_STATUS: dict[type[Exception], tuple[int, str]] = {
    PermissionDeniedError: (403, "forbidden"),
    NotFoundError: (404, "not_found"),
}


def install(app: FastAPI) -> None:
    """Add the console under ``/console`` (and ``/`` → ``/console/``) to ``app``."""
    app.include_router(pages.router)
    app.include_router(admin.router)
    app.include_router(models.router)
    app.include_router(analysis.router)
    app.include_router(tasks.router)
    app.include_router(experiments.router)
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
        html = render(request, "error.html", title=title, message=message, lang=language(request))
        return HTMLResponse(html, status_code=status)

    async def _login(request: Request, _exc: Exception) -> Response:
        if request.headers.get("hx-request") == "true":
            return Response(status_code=401, headers={"HX-Redirect": "/console/login"})
        return RedirectResponse("/console/login", status_code=303)

    async def _csrf(request: Request, _exc: Exception) -> Response:
        html = render(
            request,
            "error.html",
            title="forbidden",
            message="CSRF token missing or wrong: reload the page and try again",
            lang=language(request),
        )
        return HTMLResponse(html, status_code=403)

    app.add_exception_handler(TierwiseError, _tierwise)
    app.add_exception_handler(LoginRequired, _login)
    app.add_exception_handler(CsrfError, _csrf)

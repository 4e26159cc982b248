"""Error bodies and the one handler that maps errors to HTTP statuses (CONVENTIONS 7).

Every error answer has the body of :meth:`TierwiseError.to_dict` (``error``, ``message``,
``hint`` and structured fields); validation errors add ``errors``, one entry per field.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from tierwise.errors import (
    AuthenticationError,
    ConfigError,
    ConflictError,
    DataError,
    NotFoundError,
    PermissionDeniedError,
    PolicyError,
    RateLimitedError,
    TierwiseError,
    UsageError,
    describe,
    public_text,
)

log = logging.getLogger(__name__)

STATUS: dict[type[TierwiseError], int] = {
    AuthenticationError: 401,
    PermissionDeniedError: 403,
    NotFoundError: 404,
    ConflictError: 409,
    PolicyError: 422,
    DataError: 422,
    UsageError: 400,
    ConfigError: 503,
    RateLimitedError: 429,
}


class FieldError(BaseModel):
    """One invalid input: where it is, what was wrong and the value sent."""

    loc: list[str | int] = Field(description="Path to the field: body/query/path/header ...")
    field: str = Field(description="The path as one dotted string (body.expires_at)")
    message: str
    type: str = Field(description="Machine-readable kind (missing, int_type, json_invalid ...)")


class ErrorBody(BaseModel):
    """The body of every error answer."""

    model_config = ConfigDict(extra="allow")

    error: str = Field(description="Error class: NotFoundError, ValidationError ...")
    message: str
    hint: str | None = None
    errors: list[FieldError] | None = Field(default=None, description="Per-field problems")


def _doc(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: _doc("Missing, invalid or expired credentials"),
    403: _doc("The caller's role may not do this (or not on this customer)"),
}
BAD_INPUT: dict[int | str, dict[str, Any]] = {
    400: _doc("The request does not fit (e.g. a malformed body)"),
    413: _doc("The request body is larger than the limit"),
    422: _doc("Invalid input; `errors` lists every field at fault"),
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: _doc("No such object")}
CONFLICT: dict[int | str, dict[str, Any]] = {409: _doc("Clashes with the current state")}


def status_of(err: TierwiseError) -> int:
    for cls in type(err).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


THROTTLED: dict[int | str, dict[str, Any]] = {
    429: {
        **_doc("Too many failed sign-ins for this user or address; retry after `Retry-After` s"),
        "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}},
    }
}


def error_response(err: TierwiseError) -> JSONResponse:
    headers: dict[str, str] | None = None
    if isinstance(err, AuthenticationError):
        headers = {"WWW-Authenticate": "Bearer"}
    elif isinstance(err, RateLimitedError):
        headers = {"Retry-After": str(int(err.fields.get("retry_after", 60)))}
    body = err.to_dict()
    for key in ("message", "hint"):  # a message that quotes a driver's error keeps no SQL
        if isinstance(body.get(key), str):
            body[key] = public_text(body[key])
    return JSONResponse(body, status_code=status_of(err), headers=headers)


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for e in exc.errors():
        loc = [x if isinstance(x, int) else str(x) for x in e.get("loc", ())]
        out.append(
            {
                "loc": loc,
                "field": ".".join(str(x) for x in loc),
                "message": str(e.get("msg", "invalid")),
                "type": str(e.get("type", "invalid")),
            }
        )
    return out


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(TierwiseError)
    async def _tierwise(_request: Request, exc: TierwiseError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _field_errors(exc)
        first = errors[0] if errors else {"field": "request", "message": "invalid"}
        return JSONResponse(
            {
                "error": "ValidationError",
                "message": f"{len(errors)} invalid field(s); first: {first['field']}: "
                f"{first['message']}",
                "hint": "see errors[] for every field",
                "errors": errors,
            },
            status_code=422,
        )

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        # the error body of every other answer; the traceback (with any SQL) goes to the log
        log.error("unexpected error", exc_info=exc)
        return JSONResponse(
            {
                "error": "InternalError",
                "message": describe(exc),
                "hint": "the service log has the details; please report it",
            },
            status_code=500,
        )

    allowed: list[tuple[re.Pattern[str], list[str]]] = []

    def allowed_methods(path: str) -> list[str]:
        # Starlette's 405 names only the first route matching the path; answer with every
        # method the OpenAPI document gives the path.
        if not allowed:
            for template, ops in app.openapi()["paths"].items():
                regex = re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template))
                allowed.append((re.compile(f"^{regex}$"), sorted(m.upper() for m in ops)))
        for pattern, methods in allowed:
            if pattern.match(path):
                return methods
        return []

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request.url.path))
        names = {404: "NotFoundError", 405: "MethodNotAllowed", 413: "PayloadTooLarge"}
        return JSONResponse(
            {
                "error": names.get(exc.status_code, "HTTPError"),
                "message": str(exc.detail),
                "hint": "send less, or page the data" if exc.status_code == 413 else None,
            },
            status_code=exc.status_code,
            headers=headers,
        )

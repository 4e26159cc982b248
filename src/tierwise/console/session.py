"""Console sessions: the API's JWT in an HttpOnly cookie, a CSRF token, the language.

The cookie carries the same signed token as ``POST /auth/token`` returns, so the console's
caller is the same :class:`~tierwise.api.access.Principal` the API would see. Forms carry a
double-submit CSRF token (cookie + hidden field or ``X-CSRF-Token`` header) and the session
cookie is ``SameSite=Lax``.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable

from fastapi import Request, Response

from tierwise.api.access import Principal
from tierwise.api.auth import read_token
from tierwise.console.messages import LANGS
from tierwise.errors import AuthenticationError

SESSION_COOKIE = "tw_session"
CSRF_COOKIE = "tw_csrf"
LANG_COOKIE = "tw_lang"


class LoginRequired(Exception):
    """No valid session: the console redirects to its login page."""


class CsrfError(Exception):
    """A state-changing request without the matching CSRF token."""


def principal_of(
    request: Request, key: str, current: Callable[[Principal], Principal]
) -> Principal:
    """The signed-in principal; :class:`LoginRequired` without a valid session cookie.

    ``current`` checks the token's user against the users table (exists, active, its role
    now), so disabling a user ends its console session at the next page.
    """
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise LoginRequired
    try:
        return current(read_token(token, key))
    except AuthenticationError:
        raise LoginRequired from None


def language(request: Request) -> str:
    """``?lang=`` first, then the cookie; zh-CN by default."""
    lang = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or "zh"
    return lang if lang in LANGS else "zh"


def csrf_token(request: Request) -> str:
    """This browser's CSRF token (a new one when it has none yet)."""
    tok = request.cookies.get(CSRF_COOKIE)
    if not tok or len(tok) < 20:
        tok = getattr(request.state, "new_csrf", None) or secrets.token_urlsafe(24)
        request.state.new_csrf = tok
    return tok


def check_csrf(request: Request, submitted: str | None) -> None:
    """Raise :class:`CsrfError` unless ``submitted`` (or the header) matches the cookie."""
    cookie = request.cookies.get(CSRF_COOKIE) or ""
    sent = submitted or request.headers.get("x-csrf-token") or ""
    if not cookie or not hmac.compare_digest(cookie, sent):
        raise CsrfError


def finish(request: Request, response: Response, *, secure: bool) -> Response:
    """Set the cookies a page decided on (new CSRF token, chosen language)."""
    new = getattr(request.state, "new_csrf", None)
    if new:
        response.set_cookie(CSRF_COOKIE, new, httponly=True, samesite="strict", secure=secure)
    lang = request.query_params.get("lang")
    if lang in LANGS:
        response.set_cookie(LANG_COOKIE, lang, samesite="lax", max_age=365 * 86400)
    return response

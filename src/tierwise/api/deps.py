"""Dependencies: the app context, the caller (principal) and the one authorization check.

Every route but the public ones (``/health``, ``/auth/token``) depends on exactly one
:class:`Authorize` (or :class:`AuthorizeCustomer`), which names the route's :class:`Action`
and applies :func:`tierwise.api.access.decide`; the decision-table test enumerates the app's
routes through these objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine

import tierwise.pipeline  # noqa: F401  (wires the operations hooks to the tier writer)
from tierwise.api.access import Action, CustomerRef, Principal, decide
from tierwise.api.auth import read_token, utcnow
from tierwise.api.repos.analytics import AnalyticsRepo
from tierwise.api.repos.audit import AuditRepo
from tierwise.api.repos.customers import CustomerRepo
from tierwise.api.repos.events import EventRepo
from tierwise.api.repos.overrides import OverrideRepo
from tierwise.api.repos.policies import PolicyRepo
from tierwise.api.repos.runs import RunRepo
from tierwise.api.repos.users import UserRepo
from tierwise.api.repos.webhooks import WebhookRepo
from tierwise.api.throttle import LoginThrottle
from tierwise.errors import AuthenticationError, NotFoundError, PermissionDeniedError
from tierwise.realtime import Regrader
from tierwise.settings import Settings


@dataclass
class AppContext:
    """Everything a request needs, built once per app."""

    settings: Settings
    engine: Engine
    signing_key: str
    customers: CustomerRepo = field(init=False)
    users: UserRepo = field(init=False)
    audit: AuditRepo = field(init=False)
    events: EventRepo = field(init=False)
    overrides: OverrideRepo = field(init=False)
    webhooks: WebhookRepo = field(init=False)
    runs: RunRepo = field(init=False)
    analytics: AnalyticsRepo = field(init=False)
    policies: PolicyRepo = field(init=False)
    regrader: Regrader = field(init=False)
    throttle: LoginThrottle = field(init=False)
    cache: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        e = self.engine
        self.customers = CustomerRepo(e)
        self.users = UserRepo(e)
        self.audit = AuditRepo(e)
        self.events = EventRepo(e)
        self.overrides = OverrideRepo(e)
        self.webhooks = WebhookRepo(e)
        self.runs = RunRepo(e)
        self.analytics = AnalyticsRepo(e)
        self.policies = PolicyRepo(e, self.settings.policies_dir)
        # real-time regrades against the latest published run (loaded on first use)
        self.regrader = Regrader(e, self.settings.runs_dir)
        self.throttle = LoginThrottle(
            e,
            max_per_user=self.settings.login_max_failures,
            max_per_address=self.settings.login_max_failures_per_address,
            window=timedelta(seconds=self.settings.login_window_seconds),
        )

    def now(self) -> datetime:
        return utcnow()


async def get_ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


Ctx = Annotated[AppContext, Depends(get_ctx)]

_bearer = HTTPBearer(auto_error=False, description="Access token from POST /auth/token (users)")
_api_key = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="API key (systems: CRM, ERP, apps)"
)


async def current_principal(
    request: Request,
    ctx: Ctx,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> Principal:
    """The caller, from a bearer token or an API key; 401 without valid credentials.

    A request carrying both is refused: one of them would otherwise be ignored unchecked.
    """
    authorization = request.headers.get("authorization")
    if api_key and authorization is not None:
        raise AuthenticationError(
            "both an Authorization header and an API key were sent",
            hint="send exactly one credential",
        )
    if api_key:
        return ctx.users.principal_for_key(api_key, now=ctx.now())
    if authorization is not None:
        if bearer is None or not bearer.credentials:
            raise AuthenticationError(
                "the Authorization header is not a bearer token",
                hint="send Authorization: Bearer <token from POST /auth/token>",
            )
        return ctx.users.current(read_token(bearer.credentials, ctx.signing_key))
    raise AuthenticationError(
        "no credentials", hint="send Authorization: Bearer <token> or X-API-Key: <key>"
    )


Caller = Annotated[Principal, Depends(current_principal)]


class Authorize:
    """The authorization of a route: the caller may do ``action`` (role table only)."""

    def __init__(self, action: Action) -> None:
        self.action = action

    async def __call__(self, principal: Caller) -> Principal:
        d = decide(principal, self.action)
        if not d:
            raise PermissionDeniedError(d.reason, action=self.action.value)
        return principal


CustomerId = Annotated[
    str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$", description="Customer id")
]


@dataclass(frozen=True)
class CustomerAccess:
    """A caller allowed to act on one customer, and that customer's profile row."""

    principal: Principal
    customer: CustomerRef
    row: dict[str, Any]


class AuthorizeCustomer(Authorize):
    """Authorization on one customer (path ``customer_id``): role table plus row scope.

    ``full`` loads the heavy columns too (features, explanation, upgrade path).
    """

    def __init__(self, action: Action, *, full: bool = False) -> None:
        super().__init__(action)
        self.full = full

    async def __call__(  # type: ignore[override]
        self, principal: Caller, ctx: Ctx, customer_id: CustomerId
    ) -> CustomerAccess:
        d = decide(principal, self.action)
        if not d:
            raise PermissionDeniedError(d.reason, action=self.action.value)
        # the whole row in one lookup: the route needs it, and the decision needs its manager
        row = ctx.customers.get(customer_id, full=self.full)
        if row is None:
            raise NotFoundError(f"no customer {customer_id!r}", customer_id=customer_id)
        ref = CustomerRef(row["customer_id"], row["account_manager"])
        d = decide(principal, self.action, ref)
        if not d:
            raise PermissionDeniedError(d.reason, action=self.action.value)
        return CustomerAccess(principal, ref, row)


def allow(action: Action) -> Any:
    """``Depends`` on the authorization of ``action``."""
    return Depends(Authorize(action))


def allow_customer(action: Action, *, full: bool = False) -> Any:
    """``Depends`` on the authorization of ``action`` on the path's customer."""
    return Depends(AuthorizeCustomer(action, full=full))

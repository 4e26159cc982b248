"""The FastAPI application factory: ``create_app(settings)``."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import Engine

from tierwise.api import errors
from tierwise.api.auth import signing_key
from tierwise.api.deps import AppContext
from tierwise.api.limits import BodyLimit
from tierwise.api.routers import (
    analytics,
    audiences,
    audit,
    auth,
    benefits,
    campaigns,
    credit,
    customers,
    events,
    experiments,
    exports,
    me,
    models,
    overrides,
    pilots,
    policies,
    pricing,
    rebates,
    recommendations,
    runs,
    service,
    spotchecks,
    supply,
    surveys,
    tags,
    tasks,
    users,
    visits,
    webhooks,
)
from tierwise.console import app as console
from tierwise.ops.campaigns.triggers import use_policy as use_campaign_policy
from tierwise.ops.credit.policy import load_credit_policy
from tierwise.ops.credit.state import install as install_credit
from tierwise.ops.visits.state import use_policy as use_visit_policy
from tierwise.settings import Settings
from tierwise.store.db import make_engine

ROUTERS = (
    auth,
    customers,
    recommendations,
    me,
    runs,
    policies,
    events,
    overrides,
    webhooks,
    analytics,
    exports,
    audit,
    users,
    models,
    tasks,
    tags,
    audiences,
    experiments,
    pilots,
    spotchecks,
    credit,
    benefits,
    pricing,
    rebates,
    visits,
    surveys,
    supply,
    campaigns,
    service,
)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Flush buffered audit entries four times a second, and once more at shutdown."""
    ctx: AppContext = app.state.ctx
    stop = threading.Event()

    def flusher() -> None:
        while not stop.wait(0.25):
            ctx.audit.flush()

    thread = threading.Thread(target=flusher, name="audit-flush", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)
        ctx.audit.flush()


def create_app(settings: Settings, *, engine: Engine | None = None) -> FastAPI:
    """The API on ``settings``' store. Refuses a default secret outside development/test.

    The store must be at the latest migration (``tierwise db upgrade``; ``tierwise serve``
    does it at start).
    """
    key = signing_key(settings)
    app = FastAPI(
        title="Tierwise API",
        version="1.0",
        description="Customer grading (客户分级) and tiered operations. Roles, masking and "
        "audit: see docs/api.md.",
        lifespan=_lifespan,
    )
    app.state.ctx = AppContext(settings, engine or make_engine(settings.state_url), key)
    # the operations policies the tier-write hooks apply (settings; None: the shipped ones)
    use_campaign_policy(settings.campaign_policy)
    use_visit_policy(settings.visit_policy)
    if settings.credit_on_publish:  # credit terms follow every tier write (docs/credit.md)
        install_credit(load_credit_policy(settings.credit_policy))
    errors.install(app)
    for module in ROUTERS:
        app.include_router(module.router)
    console.install(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    return app

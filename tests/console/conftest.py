"""Console fixtures: a small graded demo book served by uvicorn, and Debian's Chromium.

One book, one server and one browser per session; each test gets its own browser context
(cookies) and saves screenshots under tests/artifacts/screenshots/.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import text

from tierwise.api.access import Role
from tierwise.api.app import create_app
from tierwise.api.auth import utcnow
from tierwise.generate.config import DEFAULT_END_DATE
from tierwise.grading.layout import runs_dir
from tierwise.pipeline.demo import DEMO_STEPS, DemoContext, run_demo
from tierwise.pipeline.publish import grade_and_publish
from tierwise.policy import DEFAULT_POLICY, load_policy
from tierwise.settings import Settings
from tierwise.store.db import make_engine, sqlite_url

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
PASSWORD = "console-test-password"


@dataclass
class Site:
    url: str
    home: Path
    settings: Settings
    manager: str  # the sales user's account-manager id
    customer: str  # the customer user's id


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A 300-customer demo book graded twice (two runs: a migration to show), served live."""
    home = tmp_path_factory.mktemp("console-home")
    ctx = DemoContext(home=home, customers=300, months=8, state_url=sqlite_url(home / "state.db"))
    run_demo(ctx, [s for s in DEMO_STEPS if s.name not in ("summarize", "grade")])
    engine = make_engine(sqlite_url(home / "state.db"))
    from tierwise.store.migrate import upgrade

    upgrade(engine)
    policy = load_policy(DEFAULT_POLICY)
    for as_of in (DEFAULT_END_DATE - dt.timedelta(days=61), DEFAULT_END_DATE):
        grade_and_publish(
            policy, as_of=as_of, lake=home / "lake", runs=runs_dir(home), engine=engine,
            trigger="test", policy_dir=DEFAULT_POLICY.parent,
        )  # fmt: skip
    (home / "policies").mkdir(exist_ok=True)
    shutil.copy(DEFAULT_POLICY, home / "policies" / DEFAULT_POLICY.name)
    with engine.connect() as conn:
        manager, customer = conn.execute(
            text(
                "SELECT account_manager, min(customer_id) FROM customer_profiles "
                "WHERE account_manager IS NOT NULL AND tier IS NOT NULL "
                "GROUP BY account_manager ORDER BY count(*) DESC LIMIT 1"
            )
        ).one()
    settings = Settings(home=home, env="test", survey_link_secret="console-test-" + "s" * 32)
    app = create_app(settings, engine=engine)
    users = app.state.ctx.users
    now = utcnow()
    users.add_user("admin", Role.ADMIN, PASSWORD, now=now)
    users.add_user("analyst", Role.ANALYST, PASSWORD, now=now)
    users.add_user("sales", Role.SALES, PASSWORD, now=now, manager_id=manager)
    users.add_user("shop", Role.CUSTOMER, PASSWORD, now=now, customer_id=customer)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    assert server.started, "the console server did not start"
    yield Site(f"http://127.0.0.1:{port}", home, settings, str(manager), str(customer))
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium under Playwright: missing fails under CI=true, skips locally."""
    if not CHROMIUM.exists():
        msg = "Chromium is missing: scripts/services.sh start installs it (apt chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield b
        b.close()


@pytest.fixture
def new_page(browser: Any, site: Site) -> Iterator[Any]:
    """A fresh browser context (its own cookies) per test: call ``new_page()``."""
    contexts: list[Any] = []

    def make() -> Any:
        c = browser.new_context(viewport={"width": 1360, "height": 900}, locale="zh-CN")
        c.set_default_timeout(15_000)
        contexts.append(c)
        return c.new_page()

    yield make
    for c in contexts:
        c.close()


def shot(page: Any, name: str) -> Path:
    """Save a full-page screenshot for review."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def login(page: Any, site: Site, user: str) -> None:
    page.goto(f"{site.url}/console/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")

"""A transaction log alone, graded and published, in the console (issue 19 item 6): the
360° page of a CDNOW-shaped customer shows its tier and marks the features the book cannot
compute, with their missing inputs, in Chinese and in English.

The log is synthetic (CDNOW's shape: space-aligned id, yyyymmdd date, CD count, dollars; no
order number, no customer table): the real CDNOW data is not copied into the repository.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tierwise.api.access import Role
from tierwise.api.app import create_app
from tierwise.api.auth import utcnow
from tierwise.cli.main import run
from tierwise.settings import Settings, get_settings
from tierwise.store.db import make_engine

from .test_codes import visible_text

ROOT = Path(__file__).resolve().parents[2]
PW = "byoe-console-password"


def _cli(monkeypatch: pytest.MonkeyPatch, *args: str) -> None:
    monkeypatch.setattr(sys, "argv", ["tierwise", *args])
    code: object = 0
    try:
        run()
    except SystemExit as e:
        code = e.code
    assert not code, f"tierwise {' '.join(args)} exited {code}"


def cdnow_shaped(path: Path, customers: int = 60) -> None:
    """A CDNOW-shaped log: customer i buys (i % 7) + 1 times, 1997-01 to 1998-03."""
    lines = []
    for i in range(1, customers + 1):
        for k in range(i % 7 + 1):
            month = 1 + (i * 3 + k * 5) % 15
            year, month = (1997, month) if month <= 12 else (1998, month - 12)
            day = 1 + (i + k) % 28
            lines.append(
                f"{i:05d} {year}{month:02d}{day:02d} {1 + k % 3:>3} {12.5 * (i % 9 + k):>8.2f}"
            )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str]]:
    home = tmp_path_factory.mktemp("byoe-console")
    mp = pytest.MonkeyPatch()
    mp.setenv("TIERWISE_HOME", str(home / "home"))
    get_settings.cache_clear()
    try:
        log = home / "cdnow_shaped.txt"
        cdnow_shaped(log)
        mapping = home / "mapping.yaml"
        _cli(mp, "ingest", str(log), "--infer", "--out", str(mapping))
        _cli(mp, "ingest", str(log), "--mapping", str(mapping))
        _cli(mp, "clean")
        policy = str(ROOT / "policies" / "rfm-transactions.yaml")
        _cli(mp, "grade", "--as-of", "1998-03-31", "--policy", policy, "--publish")
        settings = Settings(home=home / "home", env="test")
        engine = make_engine(settings.state_url)
        app = create_app(settings, engine=engine)
        app.state.ctx.users.add_user("ana", Role.ANALYST, PW, now=utcnow())
        with TestClient(app) as c:
            c.get("/console/login")
            r = c.post(
                "/console/login",
                data={"username": "ana", "password": PW, "csrf": c.cookies["tw_csrf"]},
                follow_redirects=False,
            )
            assert r.status_code == 303
            yield c, "00006"  # six orders: graded
        engine.dispose()
    finally:
        mp.undo()
        get_settings.cache_clear()


def test_the_360_page_marks_the_features_the_log_cannot_give(
    graded: tuple[TestClient, str],
) -> None:
    client, customer = graded
    r = client.get(f"/console/customers/{customer}")
    assert r.status_code == 200
    assert 'id="unavailable"' in r.text
    text = visible_text(r.text)
    assert "本数据无法计算的指标" in text
    assert "合作天数" in text and "客户档案·签约日期（无数据）" in text  # no signup dates
    assert "账期履约率" in text and "账单（未导入）" in text  # it needs invoices
    en = client.get(f"/console/customers/{customer}?lang=en")
    assert en.status_code == 200
    assert "Not computed for this book" in en.text
    assert (
        "customers.signup_date (no values)" in en.text and "invoices (not in the lake)" in en.text
    )
    # the tier itself is there: the transaction log is graded
    assert 'class="badge tier-' in r.text and "tier-None" not in r.text


def test_the_customer_list_shows_the_graded_log(graded: tuple[TestClient, str]) -> None:
    client, customer = graded
    r = client.get("/console/customers")
    assert r.status_code == 200 and customer in r.text

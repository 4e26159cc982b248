"""One dry run (issue 16 item 3, R-GRD-12): the API's ``POST /policies/dry-run``, the console's
confirmation preview and ``tierwise policy diff`` give the same answer for the same policy and
book, on a tiny book whose answer is worked out by hand.

The book is made to show where they used to differ: the new policy's score is a model file
beside the policy (the API and the console did not look for it there), it adds a tier above
the published ones (the CLI compared positions in two different tier lists, so gold → gold
was a move down), and one published customer is no longer in the lake (the API and the
console left them out, the CLI counted them).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from tierwise.api.access import Role
from tierwise.api.app import create_app
from tierwise.console.confirm import preview
from tierwise.pipeline.publish import grade_and_publish
from tierwise.policy import parse_policy
from tierwise.settings import Settings, get_settings
from tierwise.store.migrate import upgrade
from tinylake import ts, write_lake

from .conftest import add_role_users, auth

AS_OF = dt.date(2025, 6, 30)
LEVEL = {"zh": "级", "en": "Level"}
PUBLISHED = {
    "name": "t", "entity": "outlet", "lookback_days": 365,
    "eligibility": {"when": "orders_lookback >= 1"},
    "score": {"method": "rfm_formula", "recency": "recency_days", "frequency": "orders_365d",
              "frequency_step": 1, "monetary": "spend_365d", "monetary_step": 1000},
    "tiers": {"method": "percentile", "levels": [
        {"code": "gold", "label": LEVEL, "top": 0.25},
        {"code": "silver", "label": LEVEL, "top": 0.5},
        {"code": "bronze", "label": LEVEL}]},
}  # fmt: skip
NEW = {
    "name": "t-model", "entity": "outlet", "lookback_days": 365,
    "eligibility": {"when": "orders_lookback >= 1"},
    "score": {"method": "model", "column": "value", "path": "value.parquet"},
    "tiers": {"method": "percentile", "levels": [
        {"code": "platinum", "label": LEVEL, "top": 0.25},
        {"code": "gold", "label": LEVEL, "top": 0.5},
        {"code": "silver", "label": LEVEL, "top": 0.75},
        {"code": "bronze", "label": LEVEL}]},
}  # fmt: skip


def _orders(n: int) -> list[dict[str, Any]]:
    # c1..c8: i orders of 500 yuan in June 2025; c9 (when present) 6 x 1000 yuan in May
    rows = [
        {"order_id": f"L{i}-{k}", "customer_id": f"c{i}", "order_time": ts(2025, 6, 2 + 3 * k),
         "amount": 500}
        for i in range(1, 9) for k in range(i)
    ]  # fmt: skip
    if n == 9:
        rows += [
            {"order_id": f"M{k}", "customer_id": "c9", "order_time": ts(2025, 5, 2 + k),
             "amount": 1000}
            for k in range(6)
        ]  # fmt: skip
    return rows


@pytest.fixture
def home(tmp_path: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Published: gold {c6, c7, c8, c9}, silver {c5}, bronze {c1..c4} (the lake then had c9;
    tests/pipeline/test_backfill_diff.py works the tiers out). The lake now has c1..c8."""
    home = tmp_path / "home"
    then = write_lake(
        tmp_path / "then",
        {"customers": [{"customer_id": f"c{i}"} for i in range(1, 10)], "orders": _orders(9)},
    )
    write_lake(
        home / "lake",
        {"customers": [{"customer_id": f"c{i}"} for i in range(1, 9)], "orders": _orders(8)},
    )
    upgrade(engine)
    add_role_users(engine)
    grade_and_publish(parse_policy(PUBLISHED, source="t"), as_of=AS_OF, lake=then,
                      runs=home / "runs", engine=engine, clock=lambda: dt.datetime(2026, 1, 1))  # fmt: skip
    folder = home / "policies"
    folder.mkdir()
    # the new policy's score: c{i} is worth i, so c7, c8 platinum, c5, c6 gold, c3, c4
    # silver, c1, c2 bronze (positions from the top 0, 1/8, ... below 25 %, 50 %, 75 %)
    pq.write_table(
        pa.table({"entity_id": [f"c{i}" for i in range(1, 9)],
                  "value": [float(i) for i in range(1, 9)]}),
        folder / "value.parquet",
    )  # fmt: skip
    (folder / "t-model.yaml").write_text(yaml.safe_dump(NEW, allow_unicode=True), "utf-8")
    monkeypatch.setenv("TIERWISE_HOME", str(home))
    monkeypatch.setenv("TIERWISE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()


# the answer by hand: None is "no tier"
MATRIX = {
    ("gold", "platinum"): 2,  # c7, c8
    ("gold", "gold"): 1,  # c6: the same tier, though it is no longer the top one
    ("silver", "gold"): 1,  # c5
    ("bronze", "silver"): 2,  # c3, c4
    ("bronze", "bronze"): 2,  # c1, c2
    ("gold", None): 1,  # c9: published, not in the lake any more
}
MOVES = {"up": 5, "down": 0, "entered": 0, "left": 1, "other": 0, "same": 3}


def _summary(matrix: list[dict[str, Any]], out: dict[str, Any], frm: str, to: str) -> Any:
    none = {None, "", "—"}
    cells = {
        (None if c[frm] in none else c[frm], None if c[to] in none else c[to]): c["customers"]
        for c in matrix
    }
    return cells, {k: out.get(k) for k in MOVES}


def test_the_api_the_console_and_the_cli_give_the_same_dry_run(home: Path, engine: Engine) -> None:
    text = (home / "policies" / "t-model.yaml").read_text("utf-8")
    settings = Settings(
        home=home, env="test", database_url=engine.url.render_as_string(hide_password=False)
    )
    with TestClient(create_app(settings, engine=engine)) as client:
        r = client.post(
            "/policies/dry-run",
            json={"yaml": text, "as_of": AS_OF.isoformat()},
            headers=auth(Role.ANALYST),
        )
        assert r.status_code == 200, r.json()
        api = r.json()
        console = preview(client.app.state.ctx, parse_policy(NEW, source="t"), AS_OF)  # type: ignore[attr-defined]

    from tierwise.cli.main import _load_commands, app

    _load_commands()
    res = CliRunner().invoke(
        app,
        ["policy", "diff", str(home / "policies" / "t-model.yaml"), "--as-of", AS_OF.isoformat(),
         "--json"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    cli = json.loads(res.output)

    want = (MATRIX, MOVES)
    assert _summary(api["matrix"], api, "from_tier", "to_tier") == want
    assert _summary(console["matrix"], console, "from_tier", "to_tier") == want
    assert _summary(cli["matrix"], cli, "from", "to") == want
    assert api["customers"] == console["customers"] == cli["customers"] == 9
    assert api["changed"] == console["changed"] == cli["changed"] == 6

"""The operations modules' policy files come from the settings (docs/campaigns.md,
docs/surveys.md, docs/visits.md): the API, the console, the tier-write hooks and the CLI
read ``campaign_policy``, ``survey_policy`` and ``visit_policy`` when they are set, the
shipped files otherwise (R-OPS-6, R-OPS-8)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine

from tierwise.api.app import create_app
from tierwise.api.campaigns import campaign_policy
from tierwise.api.surveys import survey_policy
from tierwise.api.visits import visit_policy
from tierwise.ops.campaigns import triggers
from tierwise.ops.campaigns.spec import DEFAULT_POLICY as CAMPAIGNS
from tierwise.ops.surveys.policy import DEFAULT_POLICY as SURVEYS
from tierwise.ops.visits import state
from tierwise.ops.visits.policy import DEFAULT_POLICY as VISITS
from tierwise.settings import Settings, get_settings


def _variant(src: Path, dest: Path, **changes: object) -> Path:
    data = yaml.safe_load(src.read_text(encoding="utf-8"))
    data.update(changes)
    dest.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return dest


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return {
        "campaign_policy": _variant(CAMPAIGNS, tmp_path / "c.yaml", name="campaigns-shop"),
        "survey_policy": _variant(SURVEYS, tmp_path / "s.yaml", name="surveys-shop"),
        "visit_policy": _variant(VISITS, tmp_path / "v.yaml", name="visits-shop"),
    }


def test_the_api_and_the_hooks_read_the_settings_policies(
    engine: Engine, tmp_path: Path, files: dict[str, Path]
) -> None:
    app = create_app(Settings(home=tmp_path, env="test", **files), engine=engine)
    ctx = app.state.ctx
    try:
        assert campaign_policy(ctx).name == "campaigns-shop"
        assert survey_policy(ctx).name == "surveys-shop"
        assert visit_policy(ctx).name == "visits-shop"
        assert triggers._current_policy().name == "campaigns-shop"
        assert state._policy_path == files["visit_policy"]
    finally:
        create_app(Settings(home=tmp_path, env="test"), engine=engine)  # back to the shipped
    assert triggers._current_policy().name == "campaigns-default"
    assert state._policy_path is None


def test_without_settings_the_shipped_policies(engine: Engine, tmp_path: Path) -> None:
    ctx = create_app(Settings(home=tmp_path, env="test"), engine=engine).state.ctx
    assert campaign_policy(ctx).name == "campaigns-default"
    assert survey_policy(ctx).name == "surveys-default"
    assert visit_policy(ctx).name == "visits-default"


def test_the_hooks_fall_back_to_the_process_settings(
    tmp_path: Path, files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI's and the scheduler's tier writes: no app, the process's settings."""
    monkeypatch.setenv("TIERWISE_CAMPAIGN_POLICY", str(files["campaign_policy"]))
    get_settings.cache_clear()
    triggers.use_policy(None)
    try:
        assert triggers._current_policy().name == "campaigns-shop"
    finally:
        monkeypatch.delenv("TIERWISE_CAMPAIGN_POLICY")
        get_settings.cache_clear()
        triggers.use_policy(None)
    assert triggers._current_policy().name == "campaigns-default"

"""The console's models page and the predictions block of the 360° page (issue 8)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from tierwise.api.access import Role
from tierwise.api.app import create_app
from tierwise.api.auth import utcnow
from tierwise.api.sample import seed
from tierwise.models.publish import PREDICTION_COLUMNS, publish_predictions
from tierwise.models.registry import ModelCard, save_model
from tierwise.settings import Settings
from tierwise.store.db import make_engine, sqlite_url

from .test_pages import PW, sign_in

CID = "C0000004"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    home = tmp_path_factory.mktemp("models-pages")
    engine = make_engine(sqlite_url(home / "state.db"))
    seed(engine, home, 40)
    settings = Settings(home=home, env="test")
    card = ModelCard(
        name="churn", kind="churn", created_at=datetime(2026, 11, 1, 8, tzinfo=UTC),
        as_of=date(2026, 10, 31), training_start=date(2024, 5, 1),
        training_end=date(2026, 10, 31), data_fingerprint="orders:9:ab",
        params={}, metrics={"auc": 0.9371, "brier": 0.0235},
    )  # fmt: skip
    save_model(settings.models_dir, {"fitted": True}, card)
    pred = pd.DataFrame({"entity_id": [CID], **{c: [0.125] for c in PREDICTION_COLUMNS}})
    pred["clv"] = [45678.9]
    publish_predictions(
        engine, settings.models_dir, pred, as_of=date(2026, 10, 31),
        versions={"churn": "v0001"}, now=datetime(2026, 11, 1),
    )  # fmt: skip
    app = create_app(settings, engine=engine)
    for name, role in (("ana", Role.ANALYST), ("desk", Role.SERVICE)):
        app.state.ctx.users.add_user(name, role, PW, now=utcnow())
    with TestClient(app) as c:
        yield c
    engine.dispose()


def test_the_models_page_lists_versions_windows_and_metrics(client: TestClient) -> None:
    sign_in(client, "ana")
    html = client.get("/console/models").text
    assert 'href="/console/models"' in html  # in the menu
    assert 'data-model="churn" data-version="v0001"' in html
    assert "2024-05-01 → 2026-10-31" in html and "区分度（AUC） 0.9371" in html
    assert "流失预测" in html
    assert "Churn (gradient boosting, calibrated)" in client.get("/console/models?lang=en").text


def test_roles_without_model_list_neither_see_nor_open_it(client: TestClient) -> None:
    sign_in(client, "desk")
    assert 'href="/console/models"' not in client.get("/console/customers").text
    assert client.get("/console/models").status_code == 403


def test_the_360_page_shows_the_predictions_and_the_list_the_ltv(client: TestClient) -> None:
    sign_in(client, "ana")
    html = client.get(f"/console/customers/{CID}?lang=en").text
    assert 'id="predictions"' in html
    assert '<dd data-field="churn_probability">12.5%</dd>' in html
    assert '<dd data-field="clv">45,678.90</dd>' in html
    assert "Churn v0001" in html  # the model by its name in words (issue 18)
    other = client.get("/console/customers/C0000003?lang=zh").text
    assert 'id="predictions"' in other and "模型预测" in other
    listing = client.get(f"/console/customers?lang=en&q={CID}").text
    assert 'class="num" data-field="ltv">45,678.90</td>' in listing
    assert "45678.9" in client.get(f"/console/customers.csv?q={CID}").text

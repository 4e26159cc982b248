"""``/models`` and ``/customers/{id}/predictions``: the registered models and a customer's
predictions, behind the role table (issue 8)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from tierwise.api.access import Role
from tierwise.models.publish import PREDICTION_COLUMNS, publish_predictions
from tierwise.models.registry import ModelCard, save_model

from .conftest import SELF_ID, Book, auth

AS_OF = date(2026, 10, 31)


def _card(name: str, kind: str, auc: float) -> ModelCard:
    return ModelCard(
        name=name, kind=kind, created_at=datetime(2026, 11, 1, tzinfo=UTC), as_of=AS_OF,
        training_start=date(2024, 5, 1), training_end=AS_OF, data_fingerprint="orders:9:ab",
        params={}, metrics={"auc": auc},
    )  # fmt: skip


@pytest.fixture(scope="module")
def published(book: Book) -> pd.DataFrame:
    root = book.settings.models_dir
    save_model(root, {"fitted": 1}, _card("churn", "churn", 0.91))
    save_model(root, {"fitted": 2}, _card("churn", "churn", 0.93))
    save_model(root, {"fitted": 3}, _card("clv", "clv", 0.5))
    pred = pd.DataFrame(
        {"entity_id": [SELF_ID, "C0000002"], **{c: [0.25, None] for c in PREDICTION_COLUMNS}}
    )
    pred["clv"] = [1234.5, 99.0]
    publish_predictions(
        book.engine, root, pred, as_of=AS_OF, versions={"clv": "v0001", "churn": "v0002"},
        now=datetime(2026, 11, 1),
    )  # fmt: skip
    return pred


def test_models_lists_versions_with_window_and_metrics(
    client: TestClient, published: pd.DataFrame
) -> None:
    r = client.get("/models", headers=auth(Role.ANALYST))
    assert r.status_code == 200, r.json()
    rows = r.json()
    assert [(m["name"], m["version"]) for m in rows] == [
        ("churn", "v0001"), ("churn", "v0002"), ("clv", "v0001"),
    ]  # fmt: skip
    assert rows[1]["metrics"] == {"auc": 0.93}
    assert rows[1]["training_start"] == "2024-05-01" and rows[1]["training_end"] == "2026-10-31"
    latest = client.get("/models?latest=true", headers=auth(Role.ANALYST)).json()
    assert [(m["name"], m["version"]) for m in latest] == [("churn", "v0002"), ("clv", "v0001")]
    assert client.get("/models", headers=auth(Role.SALES)).status_code == 403


def test_a_customers_predictions_and_its_ltv(
    client: TestClient, book: Book, published: pd.DataFrame
) -> None:
    r = client.get(f"/customers/{SELF_ID}/predictions", headers=auth(Role.ADMIN))
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["clv"] == 1234.5 and body["churn_probability"] == 0.25
    assert body["models"] == {"clv": "v0001", "churn": "v0002"}
    assert body["as_of"] == "2026-10-31"
    # the profile's LTV is the CLV; customers without predictions have none
    with book.engine.connect() as conn:
        ltv = dict(conn.execute(text("SELECT customer_id, ltv FROM customer_profiles")).all())
    assert ltv[SELF_ID] == 1234.5 and ltv["C0000002"] == 99.0
    assert ltv["C0000003"] is None
    assert client.get(f"/customers/{SELF_ID}", headers=auth(Role.ADMIN)).json()["ltv"] == 1234.5


def test_no_predictions_is_404_and_the_customer_role_may_not_read_them(
    client: TestClient, published: pd.DataFrame
) -> None:
    r = client.get("/customers/C0000003/predictions", headers=auth(Role.ADMIN))
    assert r.status_code == 404 and "tierwise model train" in r.json()["hint"]
    r = client.get(f"/customers/{SELF_ID}/predictions", headers=auth(Role.CUSTOMER))
    assert r.status_code == 403

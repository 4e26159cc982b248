"""Model registry: versions, cards (training window, fingerprint, metrics), round trip."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest

from tierwise.errors import NotFoundError, UsageError
from tierwise.models.bgnbd import BetaGeoModel
from tierwise.models.registry import (
    ModelCard,
    list_models,
    load_model,
    orders_fingerprint,
    save_model,
)


def _card(name: str = "clv") -> ModelCard:
    return ModelCard(
        name=name,
        kind="clv",
        created_at=datetime(2026, 3, 1, tzinfo=UTC),
        as_of=date(2026, 2, 28),
        training_start=date(2024, 1, 1),
        training_end=date(2026, 2, 28),
        data_fingerprint="orders:3:abc",
        params={"r": 0.2},
        metrics={"log_likelihood_bgnbd": -10.0},
    )


def test_versions_increase_and_the_latest_loads(
    tmp_path: Path, cdnow_summary: pd.DataFrame
) -> None:
    first = save_model(tmp_path, BetaGeoModel().fit(cdnow_summary.head(500)), _card())
    second = save_model(tmp_path, BetaGeoModel().fit(cdnow_summary), _card())
    assert (first.version, second.version) == ("v0001", "v0002")
    model, card = load_model(tmp_path, "clv")
    assert card.version == "v0002"
    assert model.params_["r"] == pytest.approx(0.243, abs=5e-4)
    assert card.versions["scikit-learn"]
    old, _ = load_model(tmp_path, "clv", "v0001")
    assert old.n_customers_ == 500
    assert [c.version for c in list_models(tmp_path)] == ["v0001", "v0002"]
    assert not list(tmp_path.glob("clv/.*"))  # no temporary folders left behind


def test_missing_models_and_bad_names(tmp_path: Path) -> None:
    assert list_models(tmp_path / "none") == []
    with pytest.raises(NotFoundError, match="no saved model called 'churn'"):
        load_model(tmp_path, "churn")
    save_model(tmp_path, {"any": "object"}, _card("churn"))
    with pytest.raises(NotFoundError, match="versions: v0001"):
        load_model(tmp_path, "churn", "v0009")
    with pytest.raises(UsageError, match="invalid model name"):
        save_model(tmp_path, {}, _card("../escape"))


def test_fingerprint_sees_content_not_file_order() -> None:
    orders = pd.DataFrame(
        {
            "customer_id": ["a", "b", "a"],
            "order_time": pd.to_datetime(["2026-01-01", "2026-01-02", "2026-03-01"]),
            "amount": [10.0, 20.0, 30.0],
        }
    )
    fp, first = orders_fingerprint(orders, date(2026, 1, 31))
    assert first == date(2026, 1, 1)
    assert fp.startswith("orders:2:")
    assert orders_fingerprint(orders.iloc[::-1], date(2026, 1, 31))[0] == fp
    changed = orders.assign(amount=[10.0, 21.0, 30.0])
    assert orders_fingerprint(changed, date(2026, 1, 31))[0] != fp

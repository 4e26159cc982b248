"""A small model registry: fitted models with their training window, data and metrics.

Layout::

    MODELS/<name>/<version>/model.joblib   the fitted estimator (joblib)
    MODELS/<name>/<version>/card.json      what it is: kind, as_of, training window, data
                                           fingerprint, parameters, metrics, versions

Versions are ``v0001``, ``v0002`` ... per name. A version is written to a temporary folder and
renamed into place, so a reader never sees half a model. ``model.joblib`` is a pickle: load
only models this installation wrote (the folder is the service's own, not user uploads).
"""

from __future__ import annotations

import hashlib
import json
import platform
import re
import shutil
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import joblib  # type: ignore[import-untyped]
import sklearn
from pydantic import BaseModel, ConfigDict

import tierwise
from tierwise.errors import NotFoundError, UsageError
from tierwise.models.rfm import as_relation, require_columns

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class ModelCard(BaseModel):
    """What a saved model is, how it was trained and how well it did."""

    model_config = ConfigDict(extra="forbid")

    name: str
    version: str = ""
    kind: str  # clv | churn | value | weights
    created_at: datetime
    as_of: date
    training_start: date | None
    training_end: date
    data_fingerprint: str
    params: dict[str, Any]
    metrics: dict[str, float]
    versions: dict[str, str] = {}


def orders_fingerprint(
    orders: Any, as_of: date, con: duckdb.DuckDBPyConnection | None = None
) -> tuple[str, date | None]:
    """Content fingerprint of the orders up to ``as_of``, and the first order date.

    Order-independent (a sum of row hashes), so rewriting the same rows into other files gives
    the same fingerprint, while any changed, added or removed row changes it.
    """
    con = con if con is not None else duckdb.connect()
    rel = as_relation(orders, con)
    require_columns(rel, ("customer_id", "order_time", "amount"), "the orders table")
    row = rel.query(
        "orders_in",
        f"""SELECT COUNT(*), COALESCE(SUM(hash(customer_id, order_time, amount)::HUGEINT), 0),
                   MIN(CAST(order_time AS DATE))
            FROM orders_in WHERE CAST(order_time AS DATE) <= DATE '{as_of.isoformat()}'""",
    ).fetchone()
    assert row is not None
    digest = hashlib.sha256(f"{row[0]}:{row[1]}".encode()).hexdigest()[:16]
    return f"orders:{row[0]}:{digest}", row[2]


def _check_name(name: str) -> str:
    if not _NAME.match(name):
        raise UsageError(
            f"invalid model name {name!r}",
            hint="use lower-case letters, digits, '-' and '_' (at most 64 characters)",
        )
    return name


def _versions(root: Path, name: str) -> list[str]:
    d = root / name
    if not d.is_dir():
        return []
    return sorted(p.name for p in d.iterdir() if p.is_dir() and re.fullmatch(r"v\d{4,}", p.name))


def save_model(root: Path, model: Any, card: ModelCard) -> ModelCard:
    """Save ``model`` under the next version of ``card.name``; return the card as saved."""
    _check_name(card.name)
    existing = _versions(root, card.name)
    number = int(existing[-1][1:]) + 1 if existing else 1
    version = f"v{number:04d}"
    saved = card.model_copy(
        update={
            "version": version,
            "versions": {
                "tierwise": tierwise.__version__,
                "scikit-learn": sklearn.__version__,
                "python": platform.python_version(),
                **card.versions,
            },
        }
    )
    target = root / card.name / version
    tmp = root / card.name / f".{version}.{uuid.uuid4().hex}.tmp"
    tmp.mkdir(parents=True)
    try:
        joblib.dump(model, tmp / "model.joblib")
        (tmp / "card.json").write_text(saved.model_dump_json(indent=2), encoding="utf-8")
        tmp.rename(target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return saved


def list_models(root: Path) -> list[ModelCard]:
    """Cards of every saved model version, by name then version."""
    if not root.is_dir():
        return []
    cards = []
    for name_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        for version in _versions(root, name_dir.name):
            card_path = name_dir / version / "card.json"
            cards.append(ModelCard.model_validate(json.loads(card_path.read_text("utf-8"))))
    return cards


def load_model(root: Path, name: str, version: str | None = None) -> tuple[Any, ModelCard]:
    """The fitted model and card of ``name`` at ``version`` (default: the latest)."""
    versions = _versions(root, _check_name(name))
    if not versions:
        raise NotFoundError(
            f"no saved model called {name!r} under {root}",
            hint="fit one with `tierwise model fit-clv` or `fit-churn`; `tierwise model list`",
        )
    chosen = version or versions[-1]
    if chosen not in versions:
        raise NotFoundError(
            f"model {name!r} has no version {chosen!r}", hint="versions: " + ", ".join(versions)
        )
    folder = root / name / chosen
    card = ModelCard.model_validate(json.loads((folder / "card.json").read_text("utf-8")))
    return joblib.load(folder / "model.joblib"), card

"""``/models`` and a customer's predictions: the registered models and what they predict
(R-GRD-8, R-ANA-2; docs/models.md)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from tierwise.api.access import Action, Principal
from tierwise.api.deps import Ctx, CustomerAccess, allow, allow_customer
from tierwise.api.errors import AUTH_ERRORS, BAD_INPUT, NOT_FOUND
from tierwise.api.schemas.common import Timestamp
from tierwise.errors import NotFoundError
from tierwise.models.publish import read_predictions
from tierwise.models.registry import list_models

router = APIRouter(tags=["models"], responses={**AUTH_ERRORS, **BAD_INPUT})


class ModelPublic(BaseModel):
    name: str
    version: str
    kind: str = Field(description="clv | churn | value | weights")
    created_at: Timestamp
    as_of: date
    training_start: date | None
    training_end: date
    data_fingerprint: str
    metrics: dict[str, float]


@router.get("/models", response_model=list[ModelPublic], summary="Registered models")
def get_models(
    ctx: Ctx,
    _p: Annotated[Principal, allow(Action.MODEL_LIST)],
    latest: Annotated[bool, Query(description="Only the latest version of each model")] = False,
) -> list[ModelPublic]:
    """Every registered model version with its training window and metrics, by name then
    version."""
    cards = list_models(ctx.settings.models_dir)
    if latest:
        last = {c.name: c for c in cards}
        cards = list(last.values())
    return [ModelPublic(**c.model_dump(exclude={"params", "versions"})) for c in cards]


class PredictionsPublic(BaseModel):
    customer_id: str
    as_of: date = Field(description="Predictions as of this day")
    models: dict[str, str] = Field(description="Model name -> version used")
    p_alive: float | None = Field(description="BG/NBD probability the customer still buys")
    expected_orders: float | None = Field(description="Expected orders in the next 90 days")
    expected_spend: float | None = Field(description="Expected spend in the next 90 days")
    clv: float | None = Field(description="Expected spend in the next 365 days (the LTV)")
    churn_probability: float | None = Field(description="Calibrated P(no order in 60 days)")
    predicted_spend: float | None = Field(description="Value model: next 90 days' spend")
    refreshed_at: Timestamp


@router.get(
    "/customers/{customer_id}/predictions",
    response_model=PredictionsPublic,
    responses=NOT_FOUND,
    summary="A customer's model predictions",
)
def get_predictions(
    ctx: Ctx, access: Annotated[CustomerAccess, allow_customer(Action.CUSTOMER_READ)]
) -> PredictionsPublic:
    """P(alive), expected orders and spend, CLV, churn probability and predicted spend of one
    customer, from the latest published predictions (`tierwise model train`, the demo)."""
    cid = access.customer.customer_id
    row = read_predictions(ctx.engine, cid)
    if row is None:
        raise NotFoundError(
            f"no predictions for customer {cid!r}",
            hint="train and publish models first: `tierwise model train --as-of ...`",
            customer_id=cid,
        )
    return PredictionsPublic(**row)

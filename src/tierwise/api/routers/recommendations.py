"""``/customers/{id}/recommendations``: 常购清单 and 猜你喜欢 of one customer (R-OPS-7).

The lists are precomputed (``tierwise recommend build``, docs/recommendations.md) and
refreshed after a real-time order; this route reads one stored row. Staff roles read any
customer they may read (account managers their own), a customer principal only itself.
No personal data is in the lists, so nothing is masked.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from tierwise.api.access import Action
from tierwise.api.deps import Ctx, CustomerAccess, allow_customer
from tierwise.api.errors import AUTH_ERRORS, BAD_INPUT, NOT_FOUND
from tierwise.api.schemas.common import Timestamp
from tierwise.recommend.lists import campaign_variables
from tierwise.recommend.service import lists_or_404

router = APIRouter(
    prefix="/customers", tags=["recommendations"], responses={**AUTH_ERRORS, **BAD_INPUT}
)


class Reason(BaseModel):
    code: str = Field(description="due | regular | similar_buyers | similar_outlets | ...")
    zh: str
    en: str


class AgainItem(BaseModel):
    sku: str
    name: str
    category: str
    score: float
    usual_qty: float = Field(description="The median quantity per order line")
    unit: str
    interval_days: float = Field(description="The customer's own reorder interval of the item")
    days_since: int = Field(description="Days since the customer last bought it")
    reason: Reason


class NewItem(BaseModel):
    sku: str
    name: str
    category: str
    score: float = Field(description="Scaled 0-1 per customer, times the business-rule boosts")
    reason: Reason


class Recommendations(BaseModel):
    customer_id: str
    as_of: dt.date = Field(description="The lists were scored as of this day")
    run_id: str | None = Field(description="The published run whose tiers were used")
    model: str = Field(description="What made the new-to-you list (als, segment_popularity …)")
    cold_start: bool = Field(description="No purchase history: similar-outlet popularity only")
    source: str = Field(description="build (batch) | realtime (refreshed after an order)")
    refreshed_at: Timestamp
    buy_again: list[AgainItem] = Field(description="常购清单: repeat items, most due first")
    new_items: list[NewItem] = Field(description="猜你喜欢: items the customer has not bought")
    campaign_variables: dict[str, str] = Field(
        description="Content variables for campaign messages (rec_new_list, rec_new_top, "
        "rec_again_list, rec_again_top), in the language asked for"
    )


@router.get(
    "/{customer_id}/recommendations",
    response_model=Recommendations,
    responses=NOT_FOUND,
    summary="A customer's product recommendations",
)
def get_recommendations(
    ctx: Ctx,
    access: Annotated[CustomerAccess, allow_customer(Action.RECOMMEND_READ)],
    lang: Annotated[Literal["zh", "en"], Query(description="Language of the variables")] = "zh",
) -> Response:
    """Buy again (常购清单) and new to you (猜你喜欢), each item with its reason (zh/en).

    404 for an unknown customer, and for a known one whose lists were never built.
    """
    row = lists_or_404(ctx.engine, access.customer.customer_id)
    out = Recommendations(
        customer_id=row["customer_id"],
        as_of=row["as_of"],
        run_id=row["run_id"],
        model=row["model"],
        cold_start=bool(row["cold_start"]),
        source=row["source"],
        refreshed_at=row["refreshed_at"],
        buy_again=[AgainItem(**i) for i in row["buy_again"]],
        new_items=[NewItem(**i) for i in row["new_items"]],
        campaign_variables=campaign_variables(row, lang),
    )
    # validated once here, serialized once (not validated again by FastAPI): the hot path
    return Response(out.model_dump_json(), media_type="application/json")

"""``/customers``: list with filters, one customer, the 360° view (R-INT-2, R-DAT-5)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from tierwise.api.access import Action, Principal, scope
from tierwise.api.deps import Ctx, CustomerAccess, allow, allow_customer
from tierwise.api.errors import AUTH_ERRORS, BAD_INPUT, NOT_FOUND
from tierwise.api.repos.customers import CustomerFilter
from tierwise.api.schemas.common import MAX_PAGE_SIZE, Page
from tierwise.api.schemas.customers import Customer360, CustomerPublic, TierChangePublic
from tierwise.api.views import benefits_of, public_row, upgrade_of

router = APIRouter(prefix="/customers", tags=["customers"], responses={**AUTH_ERRORS, **BAD_INPUT})

Text = Annotated[str | None, Query(min_length=1, max_length=80)]


def customer_filter(
    tier: Text = None,
    layer: Annotated[
        str | None,
        Query(
            max_length=81,
            pattern=r"^[a-z0-9_]+(:[a-z0-9_]+)?$",
            description="layer or layer:level, e.g. value:vip",
        ),
    ] = None,
    tag: Text = None,
    province: Text = None,
    city: Text = None,
    district: Text = None,
    cuisine: Annotated[
        str | None,
        Query(min_length=1, max_length=80, description="Cuisine / industry (川菜, 火锅, 批发 ...)"),
    ] = None,
    business_type: Annotated[str | None, Query(pattern="^(chain|single)$")] = None,
    channel: Annotated[str | None, Query(pattern="^(online|offline|wholesale|retail)$")] = None,
    account_manager: Text = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1, max_length=80, description="Name contains, phone starts with, or exact id"
        ),
    ] = None,
) -> CustomerFilter:
    return CustomerFilter(
        tier=tier,
        layer=layer,
        tag=tag,
        province=province,
        city=city,
        district=district,
        cuisine=cuisine,
        business_type=business_type,
        channel=channel,
        account_manager=account_manager,
        q=q,
    )


Filters = Annotated[CustomerFilter, Depends(customer_filter)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description=f"At most {MAX_PAGE_SIZE}")]


@router.get("", response_model=Page[CustomerPublic], summary="List customers")
def list_customers(
    ctx: Ctx,
    principal: Annotated[Principal, allow(Action.CUSTOMER_LIST)],
    f: Filters,
    offset: Offset = 0,
    limit: Limit = 50,
) -> Page[CustomerPublic]:
    """Customers matching every filter given, ordered by id. Account managers see their own."""
    rows, total = ctx.customers.page(f, scope(principal), offset=offset, limit=limit)
    items = [CustomerPublic(**public_row(r, principal)) for r in rows]
    unmasked = [i.customer_id for i in items if not i.masked]
    if unmasked:
        ctx.audit.record(
            principal,
            "personal.read",
            now=ctx.now(),
            target="customers",
            detail={"customers": len(unmasked), "first": unmasked[:20]},
            buffered=True,
        )
    return Page(items=items, total=total, offset=offset, limit=limit)


@router.get(
    "/{customer_id}", response_model=CustomerPublic, responses=NOT_FOUND, summary="One customer"
)
async def get_customer(
    ctx: Ctx, access: Annotated[CustomerAccess, allow_customer(Action.CUSTOMER_READ)]
) -> Response:
    """Profile, tier, score, tags and layers of one customer (masked for the caller's role)."""
    out = CustomerPublic(**public_row(access.row, access.principal))
    if not out.masked:
        ctx.audit.record(
            access.principal,
            "personal.read",
            now=ctx.now(),
            target=out.customer_id,
            buffered=True,
        )
    # the hot path: serialized once here rather than validated again by FastAPI
    return Response(out.model_dump_json(), media_type="application/json")


@router.get(
    "/{customer_id}/360",
    response_model=Customer360,
    responses=NOT_FOUND,
    summary="A customer's 360° view",
)
def get_customer_360(
    ctx: Ctx, access: Annotated[CustomerAccess, allow_customer(Action.CUSTOMER_READ, full=True)]
) -> Customer360:
    """Profile, features, tier, explanation, history, benefits and upgrade progress."""
    cid, row = access.customer.customer_id, access.row
    profile = CustomerPublic(**public_row(row, access.principal))
    if not profile.masked:
        ctx.audit.record(
            access.principal, "personal.read", now=ctx.now(), target=cid, buffered=True
        )
    active = ctx.overrides.active(scope(access.principal), cid, ctx.now())
    return Customer360(
        profile=profile,
        features=row.get("features") or {},
        explanation=row.get("explanation") or [],
        history=[TierChangePublic(**h) for h in ctx.customers.history(cid)],
        benefits=benefits_of(ctx.settings.runs_dir, row.get("run_id"), row.get("tier"), ctx.cache),
        upgrade=upgrade_of(row),
        active_override=active,
    )

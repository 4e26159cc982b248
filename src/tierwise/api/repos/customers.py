"""Customers from the read model (``customer_profiles``) and their tier history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Select, bindparam, case, exists, false, func, or_, select

from tierwise.api.access import CustomerRef, Scope
from tierwise.api.repos import storable
from tierwise.store.schema import (
    CustomerLayer,
    CustomerPrediction,
    CustomerProfile,
    CustomerTag,
    TierChange,
)

_P = CustomerProfile
_COLS = list(_P.__table__.columns)
# Built once: the hot path (GET /customers/{id}) only binds the id.
_HEAVY = {"features", "explanation", "upgrade", "refreshed_at"}
_BY_ID_FULL = select(*_COLS).where(_P.customer_id == bindparam("cid"))
_BY_ID = select(*(c for c in _COLS if c.name not in _HEAVY)).where(
    _P.customer_id == bindparam("cid")
)
_REF = select(_P.customer_id, _P.account_manager).where(_P.customer_id == bindparam("cid"))


_PRED = CustomerPrediction
#: the columns the customer list sorts by (issue 18 finding 4); ``tier`` sorts by the policy's
#: tier order instead (see :meth:`CustomerRepo.page`)
SORTS: dict[str, Any] = {
    "customer_id": _P.customer_id,
    "name": _P.name,
    "tier": _P.tier,
    "score": _P.score,
    "ltv": _P.ltv,
    "churn_probability": _PRED.churn_probability,
    "spend_365d": _P.spend_365d,
    "province": _P.province,
    "cuisine": _P.cuisine,
    "account_manager": _P.account_manager,
}  # not the contact or the phone: sorting by a masked field would reveal its hidden part


@dataclass(frozen=True)
class CustomerFilter:
    """Filters of the customer list (all optional, combined with AND)."""

    tier: str | None = None
    layer: str | None = None  # "<layer>:<level>", e.g. value:vip
    tag: str | None = None
    province: str | None = None
    city: str | None = None
    district: str | None = None
    cuisine: str | None = None
    business_type: str | None = None
    channel: str | None = None
    account_manager: str | None = None
    q: str | None = None  # name (contains), phone (prefix; exact when masked) or exact id


def _where(stmt: Select[Any], f: CustomerFilter, scope: Scope) -> Select[Any]:
    if scope.nothing or not storable(*(getattr(f, k) for k in f.__dataclass_fields__)):
        return stmt.where(false())
    if scope.account_manager is not None:
        stmt = stmt.where(_P.account_manager == scope.account_manager)
    if scope.customer_id is not None:
        stmt = stmt.where(_P.customer_id == scope.customer_id)
    for col in (
        "tier",
        "province",
        "city",
        "district",
        "cuisine",
        "business_type",
        "channel",
        "account_manager",
    ):
        v = getattr(f, col)
        if v is not None:
            stmt = stmt.where(getattr(_P, col) == v)
    if f.tag is not None:
        stmt = stmt.where(
            exists().where(CustomerTag.customer_id == _P.customer_id, CustomerTag.tag == f.tag)
        )
    if f.layer is not None:
        layer, _, level = f.layer.partition(":")
        cond = [CustomerLayer.customer_id == _P.customer_id, CustomerLayer.layer == layer]
        if level:
            cond.append(CustomerLayer.level == level)
        stmt = stmt.where(exists().where(*cond))
    if f.q:
        q = f.q.strip()
        like = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conds = [_P.name.like(f"%{like}%", escape="\\"), _P.customer_id == q]
        if q.isdigit() and scope.phone_prefix:
            conds.append(_P.phone.like(f"{like}%", escape="\\"))
        elif q.isdigit():  # masked phones: a whole, exact number only
            conds.append(_P.phone == q)
        stmt = stmt.where(or_(*conds))
    return stmt


class CustomerRepo:
    """Read access to customers; one primary-key lookup per customer."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, customer_id: str, *, full: bool = True) -> dict[str, Any] | None:
        """The profile row of one customer (without features, explanation and upgrade path
        unless ``full``), or None."""
        if not storable(customer_id):
            return None
        with self.engine.connect() as conn:
            stmt = _BY_ID_FULL if full else _BY_ID
            row = conn.execute(stmt, {"cid": customer_id}).mappings().first()
        return dict(row) if row is not None else None

    def ref(self, customer_id: str) -> CustomerRef | None:
        """What access decisions need to know of a customer."""
        if not storable(customer_id):
            return None
        with self.engine.connect() as conn:
            row = conn.execute(_REF, {"cid": customer_id}).first()
        return CustomerRef(row.customer_id, row.account_manager) if row is not None else None

    def page(
        self,
        f: CustomerFilter,
        scope: Scope,
        *,
        offset: int,
        limit: int,
        sort: str = "customer_id",
        descending: bool = False,
        tier_order: Sequence[str] = (),
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of customers and the total that match, ordered by ``sort`` (a key of
        :data:`SORTS`; ``tier`` in ``tier_order``, top first), then by id; each row carries
        its ``churn_probability`` (None without predictions)."""
        key = SORTS.get(sort, _P.customer_id)
        if sort == "tier":
            key = case(
                {t: i for i, t in enumerate(tier_order)}, value=_P.tier, else_=len(tier_order)
            )
        order = [key.desc() if descending else key.asc(), _P.customer_id]
        with self.engine.connect() as conn:
            total = conn.execute(
                _where(select(func.count()).select_from(_P), f, scope)
            ).scalar_one()
            rows = (
                conn.execute(
                    _where(
                        select(*_COLS, _PRED.churn_probability).outerjoin(
                            _PRED, _PRED.customer_id == _P.customer_id
                        ),
                        f,
                        scope,
                    )
                    .order_by(*order)
                    .offset(offset)
                    .limit(limit)
                )
                .mappings()
                .all()
            )
        return [dict(r) for r in rows], int(total)

    def iterate(self, f: CustomerFilter, scope: Scope, *, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` matching customers (exports)."""
        with self.engine.connect() as conn:
            rows = (
                conn.execute(_where(select(*_COLS), f, scope).order_by(_P.customer_id).limit(limit))
                .mappings()
                .all()
            )
        return [dict(r) for r in rows]

    def history(self, customer_id: str, limit: int = 100) -> list[dict[str, Any]]:
        """The customer's tier changes, newest first."""
        if not storable(customer_id):
            return []
        with self.engine.connect() as conn:
            rows = (
                conn.execute(
                    select(
                        TierChange.run_id,
                        TierChange.from_tier,
                        TierChange.to_tier,
                        TierChange.changed_at,
                        TierChange.effective,
                        TierChange.reason_code,
                        TierChange.reason,
                    )
                    .where(TierChange.customer_id == customer_id)
                    .order_by(TierChange.id.desc())
                    .limit(limit)
                )
                .mappings()
                .all()
            )
        return [dict(r) for r in rows]

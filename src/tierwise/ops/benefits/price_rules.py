"""Price rules in the store: save (conflicts refused, ``price_rule.changed`` queued in the same
transaction), delete, list, and the index quotes read (reloaded only when the rules change)."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select

from tierwise.errors import ConflictError, NotFoundError
from tierwise.ops.benefits.pricing import PriceRule, RuleIndex, conflicts
from tierwise.ops.retention import enqueue_events
from tierwise.store.schema import PriceRuleRow

CHANGED = "price_rule.changed"
_FIELDS = ("id", "code", "kind", "value", "valid_from", "valid_until", "priority", "tier", "sku",
           "category", "region")  # fmt: skip


def _rule(r: Any) -> PriceRule:
    return PriceRule(**{k: getattr(r, k) for k in _FIELDS})


def _all(conn: Connection) -> list[PriceRule]:
    return [_rule(r) for r in conn.execute(select(*(getattr(PriceRuleRow, k) for k in _FIELDS)))]


def _payload(rule: PriceRule, action: str) -> dict[str, Any]:
    return {
        "action": action,
        "rule": {
            k: (str(v) if k == "value" else v.isoformat() if isinstance(v, dt.date) else v)
            for k, v in ((k, getattr(rule, k)) for k in _FIELDS)
        },
    }


def save_rule(engine: Engine, rule: PriceRule, *, author: str, now: dt.datetime) -> PriceRule:
    """Save a new rule, or refuse it (409) naming the rules it conflicts with and an example
    line; nothing is written then."""
    rule.check()
    with engine.begin() as conn:
        existing = _all(conn)
        if any(r.code == rule.code for r in existing):
            raise ConflictError(f"a price rule {rule.code!r} exists", field="code", value=rule.code)
        found = conflicts(rule, existing)
        if found:
            c = found[0]
            raise ConflictError(
                f"price rule {rule.code} conflicts with {c.other} (id {c.other_id}): both give "
                f"{c.example} a different price at priority {rule.priority}",
                hint="give one of them a higher priority, or narrow its tier, product, region "
                "or dates",
                field="priority",
                conflicts=[{"rule": c.rule, "other": c.other, "other_id": c.other_id,
                            "example": c.example} for c in found[:20]],
            )  # fmt: skip
        values = {k: getattr(rule, k) for k in _FIELDS if k != "id"}
        new_id = conn.execute(
            insert(PriceRuleRow)
            .values(**values, author=author, created_at=now)
            .returning(PriceRuleRow.id)
        ).scalar_one()
        saved = PriceRule(**{**values, "id": int(new_id)})
        enqueue_events(conn, [(CHANGED, _payload(saved, "created"))], now)
    return saved


def delete_rule(engine: Engine, rule_id: int, *, now: dt.datetime) -> None:
    """Delete a rule (announced as ``price_rule.changed`` with action ``deleted``)."""
    with engine.begin() as conn:
        row = conn.execute(
            select(*(getattr(PriceRuleRow, k) for k in _FIELDS)).where(PriceRuleRow.id == rule_id)
        ).one_or_none()
        if row is None:
            raise NotFoundError(f"no price rule {rule_id}", rule_id=rule_id)
        conn.execute(delete(PriceRuleRow).where(PriceRuleRow.id == rule_id))
        enqueue_events(conn, [(CHANGED, _payload(_rule(row), "deleted"))], now)


def list_rules(engine: Engine) -> list[PriceRule]:
    """Every rule, by priority (highest first) then id."""
    with engine.connect() as conn:
        return sorted(_all(conn), key=lambda r: (-r.priority, r.id or 0))


_CACHE: dict[str, tuple[tuple[int, int, str], RuleIndex]] = {}
_LOCK = threading.Lock()


def rule_index(engine: Engine) -> RuleIndex:
    """The rules as a quote index, reloaded when their count, newest id or newest save
    time changes (SQLite may reuse the id of a deleted last row)."""
    with engine.connect() as conn:
        count, top, newest = conn.execute(
            select(
                func.count(),
                func.coalesce(func.max(PriceRuleRow.id), 0),
                func.max(PriceRuleRow.created_at),
            )
        ).one()
        version = (int(count), int(top), str(newest))
        key = str(engine.url)
        with _LOCK:
            hit = _CACHE.get(key)
            if hit is not None and hit[0] == version:
                return hit[1]
        index = RuleIndex(_all(conn))
    with _LOCK:
        _CACHE[key] = (version, index)
    return index

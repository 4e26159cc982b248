"""Price rules in the store: save (conflicts refused, ``price_rule.changed`` queued in the same
transaction), delete, list, and the index quotes read (reloaded only when the rules change)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update

from tierwise.errors import ConflictError, NotFoundError
from tierwise.ops.benefits.pricing import (
    ConflictIndex,
    Line,
    PriceRule,
    Quoted,
    RuleIndex,
    matches_filter,
    quote_line,
)
from tierwise.ops.retention import enqueue_events
from tierwise.store.schema import CustomerTier, PriceRuleRow, PriceRuleVersion

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
    return save_rules(engine, [rule], author=author, now=now)[0]


def save_rules(
    engine: Engine,
    rules: Sequence[PriceRule],
    *,
    author: str,
    now: dt.datetime,
    lines: Sequence[int] | None = None,
) -> list[PriceRule]:
    """Save rules all at once (a file's), or none: each is checked against the saved rules and
    the ones before it; the first bad one is refused (a :class:`DataError` or a 409
    :class:`ConflictError` naming both rules, their ids or file rows, and an example line).
    ``lines``: each rule's row in its file, for the messages."""
    where = [f"{r.code} (row {n})" for n, r in zip(lines, rules, strict=True)] if lines else None
    for r in rules:
        r.check()
    with engine.begin() as conn:
        existing = _all(conn)
        codes = {r.code: f"id {r.id}" for r in existing}
        index = ConflictIndex(existing)
        for k, rule in enumerate(rules):
            me = where[k] if where else rule.code
            if rule.code in codes:
                raise ConflictError(
                    f"{me}: a price rule {rule.code!r} exists ({codes[rule.code]})",
                    field="code", value=rule.code,
                )  # fmt: skip
            found = index.conflicts(rule)
            if found:
                c = found[0]
                other = codes.get(c.other, f"id {c.other_id}")
                raise ConflictError(
                    f"price rule {me} conflicts with {c.other} ({other}): both give "
                    f"{c.example} a different price at priority {rule.priority}",
                    hint="give one of them a higher priority, or narrow its tier, product, "
                    "region or dates",
                    field="priority",
                    conflicts=[{"rule": c.rule, "other": c.other, "other_id": c.other_id,
                                "example": c.example} for c in found[:20]],
                )  # fmt: skip
            index.add(rule)
            codes[rule.code] = f"row {lines[k]} of the file" if lines else "earlier in this batch"
        saved = []
        for rule in rules:
            values = {k: getattr(rule, k) for k in _FIELDS if k != "id"}
            new_id = conn.execute(
                insert(PriceRuleRow)
                .values(**values, author=author, created_at=now)
                .returning(PriceRuleRow.id)
            ).scalar_one()
            saved.append(PriceRule(**{**values, "id": int(new_id)}))
        enqueue_events(conn, [(CHANGED, _payload(r, "created")) for r in saved], now)
        _bump(conn, now)
    return saved


def _bump(conn: Connection, now: dt.datetime) -> None:
    """Count a change to the rules (in its transaction): quotes reload their index."""
    done = conn.execute(
        update(PriceRuleVersion)
        .where(PriceRuleVersion.id == 1)
        .values(version=PriceRuleVersion.version + 1, changed_at=now)
    ).rowcount
    if not done:
        conn.execute(insert(PriceRuleVersion).values(id=1, version=1, changed_at=now))


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
        _bump(conn, now)


def list_rules(
    engine: Engine,
    *,
    tier: str | None = None,
    sku: str | None = None,
    category: str | None = None,
    region: str | None = None,
    kind: str | None = None,
    on: dt.date | None = None,
) -> list[PriceRule]:
    """The rules that pass the filters (``pricing.matches_filter``: a scope's exact value, or
    ``any``; valid ``on`` a day), by priority (highest first) then id."""
    with engine.connect() as conn:
        rules = _all(conn)
    wanted = {"tier": tier, "sku": sku, "category": category, "region": region, "kind": kind}
    rules = [r for r in rules if matches_filter(r, on=on, **wanted)]
    return sorted(rules, key=lambda r: (-r.priority, r.id or 0))


@dataclass(frozen=True)
class Quote:
    """A customer's lines priced: their tier and region, each line, the total."""

    customer_id: str
    tier: str | None
    region: str | None
    day: dt.date
    lines: list[Quoted]
    total: Decimal


def quote(
    engine: Engine, customer_id: str, region: str | None, day: dt.date, lines: Sequence[Line]
) -> Quote:
    """Price ``lines`` for a customer (their published tier; ``region``: their province) on
    ``day``: per line the list price, net price, the rule applied and why. One connection,
    two primary-key reads (the rules' version, the customer's tier); the rules come from the
    in-process index."""
    with engine.connect() as conn:
        index = rule_index(engine, conn)
        tier = conn.execute(
            select(CustomerTier.tier).where(CustomerTier.customer_id == customer_id)
        ).scalar_one_or_none()
    quoted = [quote_line(index, tier, region, day, ln) for ln in lines]
    total = sum((q.amount for q in quoted), Decimal("0.00"))
    return Quote(customer_id, tier, region, day, quoted, total)


_CACHE: dict[str, tuple[tuple[int, str], RuleIndex]] = {}
_LOCK = threading.Lock()


def rule_index(engine: Engine, conn: Connection | None = None) -> RuleIndex:
    """The rules as a quote index, reloaded when ``price_rule_version`` changed (every save
    and delete bumps it in its transaction, so every process sees a change at once). Rules
    written around :func:`save_rules` / :func:`delete_rule` are not seen until the next
    change."""
    if conn is None:
        with engine.connect() as own:
            return rule_index(engine, own)
    row = conn.execute(
        select(PriceRuleVersion.version, PriceRuleVersion.changed_at).where(
            PriceRuleVersion.id == 1
        )
    ).one_or_none()
    version = (int(row.version), str(row.changed_at)) if row is not None else (0, "")
    key = str(engine.url)
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None and hit[0] == version:
            return hit[1]
    index = RuleIndex(_all(conn))
    with _LOCK:
        _CACHE[key] = (version, index)
    return index

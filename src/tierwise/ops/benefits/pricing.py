"""Tier pricing (R-OPS-3): price rules as data, conflicts refused when a rule is saved, quotes.

A rule gives a discount percent or a fixed net price to lines of a scope: a tier (or every
tier) × a SKU, a category or every product × a region (province, or every region), valid
from a day until a day (exclusive, or open), with a priority. Pure functions only:
:func:`conflicts` (run before a rule is saved) and :func:`quote_line`.

Two rules **conflict** when some line can match both (scopes overlap, validity overlaps),
they give different results, and neither has a higher priority: the later one is refused with
both ids and an example line. A SKU rule and a category rule are taken to overlap (the
catalogue may put the SKU in that category), so such a pair needs different priorities unless
they give the same result. A quote picks, per line, the matching rule of highest priority
(ties only between rules with the same result, by the check above).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from tierwise.errors import DataError

Kind = Literal["discount_pct", "net_price"]
CENT = Decimal("0.01")


@dataclass(frozen=True)
class PriceRule:
    """One price rule (``None`` in a scope field: any)."""

    id: int | None
    code: str
    kind: Kind
    value: Decimal
    valid_from: dt.date
    valid_until: dt.date | None = None
    priority: int = 0
    tier: str | None = None
    sku: str | None = None
    category: str | None = None
    region: str | None = None

    def check(self) -> None:
        """Refuse a rule that cannot be right (a negative price, a discount above 100 %...)."""
        if self.kind == "discount_pct" and not Decimal(0) < self.value <= Decimal(100):
            raise DataError(
                f"price rule {self.code}: a discount of {self.value} % is not in (0, 100]",
                field="value", value=str(self.value), expected="0 < percent <= 100",
            )  # fmt: skip
        if self.kind == "net_price" and self.value < 0:
            raise DataError(
                f"price rule {self.code}: a net price of {self.value} yuan is negative",
                field="value", value=str(self.value), expected="a price >= 0",
            )  # fmt: skip
        if self.sku is not None and self.category is not None:
            raise DataError(
                f"price rule {self.code}: give a sku or a category, not both",
                field="category", value=self.category, expected="sku or category",
            )  # fmt: skip
        if self.valid_until is not None and self.valid_until <= self.valid_from:
            raise DataError(
                f"price rule {self.code}: valid_until {self.valid_until} is not after "
                f"valid_from {self.valid_from}",
                field="valid_until", value=self.valid_until.isoformat(),
                expected=f"a day after {self.valid_from}",
            )  # fmt: skip

    def valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day < self.valid_until)

    def net(self, list_price: Decimal) -> Decimal:
        """The net price this rule gives a line listed at ``list_price``."""
        if self.kind == "net_price":
            return self.value
        return (list_price * (Decimal(100) - self.value) / Decimal(100)).quantize(
            CENT, ROUND_HALF_UP
        )

    def scope_text(self) -> str:
        parts = [
            f"tier {self.tier or 'any'}",
            f"sku {self.sku}" if self.sku else f"category {self.category or 'any'}",
            f"region {self.region or 'any'}",
        ]
        return ", ".join(parts)

    def result_text(self) -> str:
        return f"{self.value} % off" if self.kind == "discount_pct" else f"net {self.value} yuan"


@dataclass(frozen=True)
class Line:
    """A line to price: what it is and its list price (yuan per unit)."""

    sku: str
    category: str | None
    list_price: Decimal
    quantity: Decimal = Decimal(1)


@dataclass(frozen=True)
class Conflict:
    """Two rules that can give one line different prices with no priority between them."""

    rule: str
    other: str
    other_id: int | None
    example: str


def _meet(a: str | None, b: str | None) -> tuple[bool, str | None]:
    if a is None or b is None or a == b:
        return True, a or b
    return False, None


def _overlap(a: PriceRule, b: PriceRule) -> str | None:
    """An example line both rules match, or ``None`` when none can."""
    ok_t, tier = _meet(a.tier, b.tier)
    ok_r, region = _meet(a.region, b.region)
    if not (ok_t and ok_r):
        return None
    if a.sku and b.sku and a.sku != b.sku:
        return None
    if a.category and b.category and a.category != b.category:
        return None
    start = max(a.valid_from, b.valid_from)
    ends = [d for d in (a.valid_until, b.valid_until) if d is not None]
    if ends and min(ends) <= start:
        return None
    sku = a.sku or b.sku
    category = a.category or b.category
    what = (
        f"sku {sku}" + (f" (category {category})" if category else "")
        if sku
        else (f"any sku of category {category}" if category else "any sku")
    )
    return (
        f"a line of {what} for a customer of tier {tier or 'any'} in region "
        f"{region or 'any'} on {start}"
    )


def _same_result(a: PriceRule, b: PriceRule) -> bool:
    return a.kind == b.kind and a.value == b.value


def conflicts(new: PriceRule, existing: Iterable[PriceRule]) -> list[Conflict]:
    """The saved rules ``new`` conflicts with (see the module docstring)."""
    out = []
    for r in existing:
        if r.code == new.code or r.priority != new.priority or _same_result(r, new):
            continue
        example = _overlap(new, r)
        if example is not None:
            out.append(Conflict(new.code, r.code, r.id, example))
    return out


class ConflictIndex:
    """Saved rules by priority, so that checking a new rule (or a file of 10 000) looks only
    at the rules it could conflict with: only rules of the same priority can."""

    def __init__(self, rules: Iterable[PriceRule] = ()) -> None:
        self.by_priority: dict[int, list[PriceRule]] = {}
        for r in rules:
            self.add(r)

    def add(self, rule: PriceRule) -> None:
        self.by_priority.setdefault(rule.priority, []).append(rule)

    def conflicts(self, new: PriceRule) -> list[Conflict]:
        return conflicts(new, self.by_priority.get(new.priority, []))


def matches_filter(
    rule: PriceRule,
    *,
    tier: str | None = None,
    sku: str | None = None,
    category: str | None = None,
    region: str | None = None,
    kind: str | None = None,
    on: dt.date | None = None,
) -> bool:
    """Whether ``rule`` passes a listing's filters: each scope filter is its exact value, or
    ``any`` for the rules without that scope (every tier, every product, every region);
    ``on``: valid that day."""

    def same(value: str | None, wanted: str | None) -> bool:
        return wanted is None or (value is None if wanted == "any" else value == wanted)

    return (
        same(rule.tier, tier)
        and same(rule.sku, sku)
        and same(rule.category, category)
        and same(rule.region, region)
        and (kind is None or rule.kind == kind)
        and (on is None or rule.valid_on(on))
    )


@dataclass(frozen=True)
class Quoted:
    """One priced line: list and net price, the rule applied and why."""

    sku: str
    quantity: Decimal
    list_price: Decimal
    net_price: Decimal
    amount: Decimal
    rule: str | None
    why: str
    others: int = 0  # other matching rules (lower priority or the same result)


class RuleIndex:
    """Rules by SKU, by category and the rest, so a quote looks at few rules of many."""

    def __init__(self, rules: Sequence[PriceRule]) -> None:
        self.by_sku: dict[str, list[PriceRule]] = {}
        self.by_category: dict[str, list[PriceRule]] = {}
        self.general: list[PriceRule] = []
        for r in rules:
            if r.sku:
                self.by_sku.setdefault(r.sku, []).append(r)
            elif r.category:
                self.by_category.setdefault(r.category, []).append(r)
            else:
                self.general.append(r)

    def candidates(self, line: Line) -> list[PriceRule]:
        cat = self.by_category.get(line.category, []) if line.category else []
        return [*self.by_sku.get(line.sku, []), *cat, *self.general]


def quote_line(
    index: RuleIndex, tier: str | None, region: str | None, day: dt.date, line: Line
) -> Quoted:
    """Price one line for a customer of ``tier`` in ``region`` on ``day``."""
    if line.list_price < 0:
        raise DataError(
            f"line {line.sku}: a list price of {line.list_price} yuan is negative",
            field="list_price", value=str(line.list_price), expected="a price >= 0",
        )  # fmt: skip
    matching = [
        r
        for r in index.candidates(line)
        if r.valid_on(day) and r.tier in (None, tier) and r.region in (None, region)
    ]
    if not matching:
        amount = (line.list_price * line.quantity).quantize(CENT, ROUND_HALF_UP)
        why = f"no price rule for tier {tier or 'none'} matches this line on {day}: list price"
        return Quoted(line.sku, line.quantity, line.list_price, line.list_price, amount, None, why)
    best = max(matching, key=lambda r: (r.priority, -(r.id or 0)))
    net = best.net(line.list_price)
    others = len(matching) - 1
    why = f"rule {best.code} ({best.scope_text()}): {best.result_text()}, priority {best.priority}"
    if others:
        why += f"; {others} other matching rule(s) of lower priority or the same result"
    amount = (net * line.quantity).quantize(CENT, ROUND_HALF_UP)
    return Quoted(line.sku, line.quantity, line.list_price, net, amount, best.code, why, others)

"""Redemptions: the use of a benefit, checked against the customer's grants (R-OPS-2).

:func:`check` is the pure decision: a redemption needs a grant of that benefit, active on the
day of use (or, for a back-dated use, a grant that has ended since but was valid that day), of
a kind that is used one at a time, within its monthly allowance. :func:`redeem`
records one through the API (a refusal raises :class:`ConflictError` with the reason and
writes nothing); :func:`redeem_file` reads a CSV/Excel file (Chinese or English headers) and
keeps every row, accepted or refused with its reason, so nothing in a file is lost.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy import Connection, Engine, func, insert, select

from tierwise.errors import ConflictError, DataError
from tierwise.ingest.encoding import detect_encoding
from tierwise.ops.benefits.decide import Grant
from tierwise.policy.benefits import KINDS, REDEEMABLE
from tierwise.store.schema import BenefitGrant, BenefitRedemption

ACCEPTED, REFUSED = "accepted", "refused"

#: The columns of a redemption file: English name → accepted headers (the first is Chinese).
COLUMNS: dict[str, tuple[str, ...]] = {
    "customer_id": ("客户编号", "customer_id", "客户ID"),
    "benefit": ("权益", "benefit", "权益编码"),
    "used_on": ("使用日期", "used_on", "日期"),
    "quantity": ("数量", "quantity"),
    "cost": ("成本", "cost", "成本(元)"),
    "order_yuan": ("订单金额", "order_yuan"),
    "ref": ("单号", "ref", "业务单号"),
}
REQUIRED = ("customer_id", "benefit", "used_on")


@dataclass(frozen=True)
class Redemption:
    """One use of a benefit as asked for."""

    customer_id: str
    benefit: str
    used_on: dt.date
    quantity: int = 1
    cost: Decimal = Decimal("0")
    order_yuan: Decimal | None = None  # the order's amount, for a free-delivery threshold
    ref: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What became of a redemption."""

    id: int | None
    status: str
    reason: str | None
    grant_id: int | None
    tier: str | None


def check(
    r: Redemption, grants: Sequence[Grant], used_this_month: int
) -> tuple[Grant | None, str | None]:
    """The grant a redemption uses, or why it is refused (pure).

    ``grants``: every grant of the customer (all statuses); ``used_this_month``: how many of
    that benefit the customer already redeemed in ``r.used_on``'s month (accepted ones).
    """
    mine = [g for g in grants if g.code == r.benefit]
    if not mine:
        return None, f"customer {r.customer_id} has no grant of benefit {r.benefit!r}"
    usable = [g for g in mine if g.usable(r.used_on)] or [g for g in mine if _covered(g, r.used_on)]
    if not usable:
        last = max(mine, key=lambda g: (g.valid_from, g.id))
        if last.valid_from > r.used_on:
            return None, (
                f"the grant of {r.benefit!r} (#{last.id}) starts on {last.valid_from}, "
                f"after {r.used_on}"
            )
        return None, (
            f"the grant of {r.benefit!r} (#{last.id}, tier {last.tier}) is {last.status}"
            + (f", ended on {last.valid_until}" if last.valid_until else "")
            + f"; not active on {r.used_on}"
        )
    g = usable[0]
    if g.kind not in REDEEMABLE:
        return None, (
            f"benefit {r.benefit!r} ({g.kind}) applies by itself and is not redeemed one at a "
            f"time (redeemable kinds: {', '.join(sorted(REDEEMABLE))})"
        )
    if g.kind == "coupon_allowance":
        allowance = int(g.params.get("per_month", 1))
        if used_this_month + r.quantity > allowance:
            return None, (
                f"coupon allowance of {allowance} a month: {used_this_month} already used in "
                f"{r.used_on:%Y-%m}, {r.quantity} more asked"
            )
    if g.kind == "free_delivery_threshold" and r.order_yuan is not None:
        threshold = Decimal(str(g.params.get("min_order_yuan", "0")))
        if r.order_yuan < threshold:
            return None, (f"free delivery from {threshold} yuan; the order is {r.order_yuan} yuan")
    return g, None


def _covered(g: Grant, day: dt.date) -> bool:
    """A back-dated use: ``day`` falls within a grant that has ended since (expired or revoked
    on ``valid_until``), as when a distributor's history of redemptions is loaded."""
    return g.valid_until is not None and g.valid_from <= day < g.valid_until


def _grants(conn: Connection, customer_id: str) -> list[Grant]:
    rows = conn.execute(
        select(
            BenefitGrant.id,
            BenefitGrant.code,
            BenefitGrant.kind,
            BenefitGrant.params,
            BenefitGrant.tier,
            BenefitGrant.valid_from,
            BenefitGrant.valid_until,
            BenefitGrant.status,
        ).where(BenefitGrant.customer_id == customer_id)
    )
    return [
        Grant(r.id, r.code, r.kind, r.params, r.tier, r.valid_from, r.valid_until, r.status)
        for r in rows
    ]


def _used(conn: Connection, r: Redemption) -> int:
    start = r.used_on.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1)
    total = conn.execute(
        select(func.coalesce(func.sum(BenefitRedemption.quantity), 0)).where(
            BenefitRedemption.customer_id == r.customer_id,
            BenefitRedemption.code == r.benefit,
            BenefitRedemption.status == ACCEPTED,
            BenefitRedemption.used_on >= start,
            BenefitRedemption.used_on < end,
        )
    ).scalar_one()
    return int(total)


def _existing(conn: Connection, ref: str | None) -> Outcome | None:
    if ref is None:
        return None
    row = conn.execute(
        select(
            BenefitRedemption.id,
            BenefitRedemption.status,
            BenefitRedemption.reason,
            BenefitRedemption.grant_id,
            BenefitRedemption.tier,
        ).where(BenefitRedemption.ref == ref)
    ).one_or_none()
    return None if row is None else Outcome(row.id, row.status, row.reason, row.grant_id, row.tier)


def _record(
    conn: Connection,
    r: Redemption,
    *,
    grant: Grant | None,
    reason: str | None,
    source: str,
    actor: str,
    now: dt.datetime,
) -> Outcome:
    status = REFUSED if reason else ACCEPTED
    new_id = conn.execute(
        insert(BenefitRedemption)
        .values(
            customer_id=r.customer_id[:40],
            code=r.benefit[:40],
            grant_id=grant.id if grant else None,
            tier=grant.tier if grant else None,
            used_on=r.used_on,
            quantity=r.quantity,
            cost=r.cost,
            ref=r.ref,
            source=source[:200],
            status=status,
            reason=reason,
            actor=actor[:120],
            created_at=now,
        )
        .returning(BenefitRedemption.id)
    ).scalar_one()
    return Outcome(
        int(new_id), status, reason, grant.id if grant else None, grant.tier if grant else None
    )


def redeem(engine: Engine, r: Redemption, *, actor: str, now: dt.datetime) -> Outcome:
    """Record a redemption asked through the API; refuse it (nothing written) without an
    active grant. The same ``ref`` twice returns the first outcome (idempotent)."""
    with engine.begin() as conn:
        prior = _existing(conn, r.ref)
        if prior is not None:
            return prior
        grant, reason = check(r, _grants(conn, r.customer_id), _used(conn, r))
        if reason:
            raise ConflictError(
                f"redemption refused: {reason}",
                customer_id=r.customer_id,
                benefit=r.benefit,
                used_on=r.used_on.isoformat(),
                reason=reason,
            )
        return _record(conn, r, grant=grant, reason=None, source="api", actor=actor, now=now)


@dataclass(frozen=True)
class FileReport:
    """What a redemption file gave: rows accepted and refused (with their reasons)."""

    file: str
    accepted: int
    refused: int
    duplicates: int
    refusals: list[tuple[int, str]]


def find_columns(
    headers: Sequence[str], spec: Mapping[str, tuple[str, ...]], required: Sequence[str], name: str
) -> dict[str, int]:
    """Column index per key of ``spec`` (its Chinese / English header names, or the key
    itself); a missing ``required`` column is refused naming the file and what was found."""
    found: dict[str, int] = {}
    clean = [h.strip().lstrip("\ufeff") for h in headers]
    for key, names in spec.items():
        for i, h in enumerate(clean):
            if h in names or h.lower() == key:
                found[key] = i
                break
    missing = [k for k in required if k not in found]
    if missing:
        want = ", ".join(f"{spec[k][0]} ({k})" for k in missing)
        raise DataError(
            f"{name}: missing column(s) {want}",
            hint="columns found: " + ", ".join(clean),
            file=name,
            column=missing[0],
        )
    return found


def file_rows(path: Path) -> Iterator[list[str]]:
    """The rows of a CSV (UTF-8 or GBK) or Excel file, as text (Excel dates as YYYY-MM-DD)."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        import openpyxl  # only for Excel files

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        for row in wb.active.iter_rows(values_only=True) if wb.active else []:
            yield [
                ""
                if v is None
                else (v.date().isoformat() if isinstance(v, dt.datetime) else str(v))
                for v in row
            ]
        return
    with open(path, encoding=detect_encoding(path), newline="") as fh:
        yield from csv.reader(fh)


def _parse(row: Mapping[str, str], line: int) -> tuple[Redemption | None, str | None]:
    """A file row as a redemption, or why it cannot be one (naming row, column and value)."""

    def bad(col: str, expected: str) -> tuple[None, str]:
        return (
            None,
            f"row {line}, column {COLUMNS[col][0]} ({col}): {row.get(col)!r} is not {expected}",
        )

    cid, benefit = row.get("customer_id", "").strip(), row.get("benefit", "").strip()
    if not cid:
        return bad("customer_id", "a customer id")
    if not benefit:
        return bad("benefit", "a benefit code")
    try:
        used_on = dt.date.fromisoformat(row.get("used_on", "").strip()[:10])
    except ValueError:
        return bad("used_on", "a date (YYYY-MM-DD)")
    try:
        quantity = int(row.get("quantity") or 1)
    except ValueError:
        return bad("quantity", "a whole number")
    if quantity < 1:
        return bad("quantity", "at least 1")
    try:
        cost = Decimal(row.get("cost") or "0").quantize(Decimal("0.01"))
    except InvalidOperation:
        return bad("cost", "an amount in yuan")
    if cost < 0:
        return bad("cost", "zero or more yuan")
    try:
        order = Decimal(row["order_yuan"]) if row.get("order_yuan") else None
    except InvalidOperation:
        return bad("order_yuan", "an amount in yuan")
    ref = (row.get("ref") or "").strip()[:80] or None
    return Redemption(cid, benefit, used_on, quantity, cost, order, ref), None


def redeem_file(engine: Engine, path: Path, *, actor: str, now: dt.datetime) -> FileReport:
    """Record every row of a redemption file: accepted against an active grant, or kept as
    refused with its reason. All rows are written in one transaction."""
    rows = file_rows(path)
    header = next(rows, None)
    if header is None:
        raise DataError(f"{path}: the file is empty", file=str(path))
    cols = find_columns(header, COLUMNS, REQUIRED, str(path))
    accepted = refused = dup = 0
    refusals: list[tuple[int, str]] = []
    with engine.begin() as conn:
        for n, raw in enumerate(rows, start=2):
            if not any(c.strip() for c in raw):
                continue
            values = {k: (raw[i] if i < len(raw) else "") for k, i in cols.items()}
            r, problem = _parse(values, n)
            source = f"file:{path.name}:{n}"
            if r is None:
                junk = Redemption(
                    values.get("customer_id", "").strip() or "?",
                    values.get("benefit", "").strip() or "?",
                    now.date(),
                )
                _record(conn, junk, grant=None, reason=problem, source=source, actor=actor, now=now)
                refused += 1
                refusals.append((n, str(problem)))
                continue
            if _existing(conn, r.ref) is not None:
                dup += 1
                continue
            grant, reason = check(r, _grants(conn, r.customer_id), _used(conn, r))
            _record(conn, r, grant=grant, reason=reason, source=source, actor=actor, now=now)
            if reason:
                refused += 1
                refusals.append((n, reason))
            else:
                accepted += 1
    return FileReport(str(path), accepted, refused, dup, refusals)


def kind_label(kind: str, lang: str) -> str:
    """A benefit kind's name in ``lang`` (zh by default)."""
    zh, en = KINDS.get(kind, (kind, kind))
    return en if lang == "en" else zh

"""Which customers each arm of a plan holds, checked against the book before anything runs.

``customers`` lists ids (a CSV with a ``customer_id`` column, or one id per line); ``share``
takes a random share of the customers matching ``of`` (columns of the customers table, or of
the plan's ``labels`` file), and share arms never overlap one another (each customer has one
uniform, and the share arms take consecutive slices of it); ``rest`` takes everybody in no
other arm. Two arms of the same treatment kind may not hold the same customer.

``of: {tier: 黄金}`` reads the ``tier`` column of the labels file when it has one; otherwise
the tiers come from :mod:`tierwise.world.tiers` (a runs folder, the store, or grading the
book), matched by tier code or label.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tierwise.errors import UsageError
from tierwise.world.noise import uniforms
from tierwise.world.plan import Arm, Plan
from tierwise.world.tiers import BookTiers


@dataclass(frozen=True)
class Assignment:
    """The customers (numbers) of each arm, in plan order."""

    arms: list[tuple[Arm, np.ndarray]]
    label: np.ndarray  # per customer: arm names joined by "+" ("" = in no arm)
    tiers: BookTiers | None = None  # the tiers an `of: tier` filter read, if any


def _read_ids(path: Path, source: str, arm: Arm) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as err:
        raise UsageError(
            f"{source}: arm {arm.name!r}: cannot read customers file {path}: {err.strerror or err}",
            file=source,
            arm=arm.name,
        ) from None
    rows = list(csv.reader(text.splitlines()))
    if rows and "customer_id" in rows[0]:
        col = rows[0].index("customer_id")
        return [r[col].strip() for r in rows[1:] if len(r) > col and r[col].strip()]
    return [r[0].strip() for r in rows if r and r[0].strip()]


def _labels(plan: Plan, base: Path, customers: pa.Table, source: str) -> dict[str, list[str]]:
    """Filterable columns: the customers table's, plus the labels file's (e.g. tier)."""
    cols = {name: [str(v) for v in customers[name].to_pylist()] for name in customers.column_names}
    if plan.labels is None:
        return cols
    path = base / plan.labels
    try:
        rows = list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))
    except OSError as err:
        raise UsageError(
            f"{source}: labels: cannot read {path}: {err.strerror or err}", file=source
        ) from None
    if not rows or "customer_id" not in rows[0]:
        raise UsageError(f"{source}: labels: {path} needs a customer_id column", file=source)
    row_of = {c: i for i, c in enumerate(cols["customer_id"])}
    for name in rows[0]:
        if name == "customer_id":
            continue
        values = [""] * len(row_of)
        for r in rows:
            i = row_of.get(r["customer_id"])
            if i is None:
                raise UsageError(
                    f"{source}: labels: {path} names unknown customer {r['customer_id']!r}",
                    file=source,
                    value=r["customer_id"],
                )
            values[i] = r[name] or ""
        cols[name] = values
    return cols


def assign(
    plan: Plan,
    plan_dir: Path,
    customers: pa.Table,
    source: str,
    tiers: Callable[[], BookTiers] | None = None,
) -> Assignment:
    """Resolve the plan's arms to customer numbers; one clear error for the first bad entry.

    ``tiers`` is called (once, and only when an ``of`` filter names ``tier`` and neither the
    customers table nor the labels file has that column) for the tiers of the book.
    """
    ids = customers["customer_id"].to_pylist()
    n = len(ids)
    number = {c: i for i, c in enumerate(ids)}
    u = uniforms(plan.seed, 1, np.arange(n))
    share_used = 0.0
    cols: dict[str, list[str]] | None = None
    book_tiers: BookTiers | None = None
    taken = np.zeros(n, bool)
    out: list[tuple[Arm, np.ndarray]] = []
    for i, arm in enumerate(plan.arms):
        where = f"{source}: arms[{i}] ({arm.name})"
        if arm.customers is not None:
            given = (
                arm.customers
                if isinstance(arm.customers, list)
                else _read_ids(plan_dir / arm.customers, source, arm)
            )
            unknown = [c for c in given if c not in number]
            if unknown:
                raise UsageError(
                    f"{where}: unknown customer {unknown[0]!r}"
                    + (f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""),
                    hint="customer ids are those of the book's customers table (C0000001 …)",
                    file=source,
                    arm=arm.name,
                    value=unknown[0],
                )
            idx = np.unique(np.array([number[c] for c in given], dtype=np.int64))
        elif arm.share is not None:
            if cols is None:
                cols = _labels(plan, plan_dir, customers, source)
            match = np.ones(n, bool)
            for key, want in arm.of.items():
                allowed = {want} if isinstance(want, str) else set(want)
                if key == "tier" and key not in cols and tiers is not None:
                    book_tiers = book_tiers or tiers()
                    match &= book_tiers.match(allowed, where, source)
                    continue
                if key not in cols:
                    raise UsageError(
                        f"{where}.of: unknown column {key!r}",
                        hint="columns are: " + ", ".join([*cols, "tier"]),
                        file=source,
                        arm=arm.name,
                        value=key,
                    )
                match &= np.isin(np.array(cols[key], dtype=object), list(allowed))
            lo, share_used = share_used, share_used + arm.share
            if share_used > 1 + 1e-9:
                raise UsageError(
                    f"{where}: the share arms add up to {share_used:g} > 1",
                    file=source,
                    arm=arm.name,
                )
            idx = np.flatnonzero(match & (u >= lo) & (u < share_used))
        else:
            idx = np.array([], np.int64)  # rest: filled in below
        taken[idx] = True
        out.append((arm, idx))
    out = [(a, np.flatnonzero(~taken) if a.rest else idx) for a, idx in out]
    _check_overlaps(out, ids, source)
    label = np.full(n, "", dtype=object)
    for arm, idx in out:
        label[idx] = np.where(label[idx] == "", arm.name, label[idx] + "+" + arm.name)
    return Assignment(out, label, book_tiers)


def _check_overlaps(arms: list[tuple[Arm, np.ndarray]], ids: list[str], source: str) -> None:
    """Two arms of the same kind holding one customer is an error naming both and the customer."""
    by_kind: dict[str, tuple[str, np.ndarray]] = {}
    for arm, idx in arms:
        if arm.treatment is None:
            continue
        kind = arm.treatment.kind
        if kind in by_kind:
            other, seen = by_kind[kind]
            both = np.intersect1d(seen, idx)
            if len(both):
                raise UsageError(
                    f"{source}: arms {other!r} and {arm.name!r} both give {kind} to customer "
                    f"{ids[int(both[0])]}"
                    + (f" (and {len(both) - 1} more)" if len(both) > 1 else ""),
                    hint="a customer can be in several arms only with different treatment kinds",
                    file=source,
                    arm=arm.name,
                    value=ids[int(both[0])],
                )
            by_kind[kind] = (f"{other}+{arm.name}", np.union1d(seen, idx))
        else:
            by_kind[kind] = (arm.name, idx)
    _ = pc  # pyarrow.compute kept for column helpers


__all__ = ["Assignment", "assign"]

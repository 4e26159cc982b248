"""Tiers a plan's ``of: {tier: 黄金}`` filter reads when no labels file gives them.

Three sources, in this order of preference (R-OPS-2: operations attach to tier state):

* the latest finished run of a runs folder (``--runs DIR``), as graded before stability;
* the current, published tiers of the operational store (``--state-url URL``), after stability
  rules and overrides;
* otherwise the book graded as of its last day with a policy (the default policy unless
  ``--policy`` names another), in a temporary runs folder that is removed afterwards.

A filter value matches a tier by its code, its Chinese or its English label; a value that is
no tier of the source is an error listing the tiers, and a source without any tier is an
error naming the source.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sqlalchemy import select

from tierwise.errors import TierwiseError, UsageError
from tierwise.generate.calendar import from_day_number
from tierwise.grading import layout
from tierwise.grading.handoff import read_assignments, read_record
from tierwise.grading.run import run_grading
from tierwise.policy import DEFAULT_POLICY, Policy, load_policy
from tierwise.store.db import make_engine
from tierwise.store.schema import CustomerTier


@dataclass(frozen=True)
class TierSource:
    """Where tiers come from: a runs folder, a store, or grading the book with ``policy``."""

    runs: Path | None = None
    state_url: str | None = None
    policy: Path = DEFAULT_POLICY


@dataclass(frozen=True)
class Level:
    """One tier: its code and labels."""

    code: str
    zh: str
    en: str

    def names(self) -> set[str]:
        """Every name a plan may use for this tier."""
        return {self.code, self.zh, self.en}


@dataclass(frozen=True)
class BookTiers:
    """The tier code of each customer (``""`` = none) and the tiers' labels."""

    code: np.ndarray  # object array aligned with the customers table
    levels: list[Level]
    described: str  # where the tiers came from, for errors and the truth manifest
    counts: dict[str, int] = field(default_factory=dict)

    def match(self, wanted: set[str], where: str, source: str) -> np.ndarray:
        """Customers whose tier is one of ``wanted`` (by code or label)."""
        codes: set[str] = set()
        for value in wanted:
            hit = [lv.code for lv in self.levels if value in lv.names()]
            if not hit:
                known = ", ".join(f"{lv.zh} ({lv.code})" for lv in self.levels)
                raise UsageError(
                    f"{where}.of.tier: unknown tier {value!r} in {self.described}; "
                    f"tiers are: {known}",
                    file=source,
                    value=value,
                )
            codes.update(hit)
        return np.isin(self.code, sorted(codes))


def _levels(policy: Policy) -> list[Level]:
    return [Level(lv.code, lv.label.zh, lv.label.en) for lv in policy.tiers.levels]


def _by_customer(
    ids: list[str], accounts: list[str | None], entity: str, tier_of: dict[str, str]
) -> np.ndarray:
    """Tier codes aligned with the customers; an account's tier goes to each of its outlets."""
    keys = accounts if entity == "account" else ids
    return np.array([tier_of.get(k or "", "") for k in keys], dtype=object)


def _from_run(run: Path, ids: list[str], accounts: list[str | None]) -> BookTiers:
    record = read_record(run)
    policy = Policy.model_validate(record["policy"])
    a = read_assignments(run, ["entity_id", "tier"])
    tier_of = {
        e: t
        for e, t in zip(a["entity_id"].to_pylist(), a["tier"].to_pylist(), strict=True)
        if t is not None
    }
    code = _by_customer(ids, accounts, record.get("entity", "outlet"), tier_of)
    return BookTiers(code, _levels(policy), f"run {record['run_id']}")


def _latest(runs: Path) -> Path:
    run = layout.latest_run(runs)
    if run is None:
        raise UsageError(
            f"--runs {runs}: no finished grading run there (no {layout.LATEST} file)",
            hint="grade first (`tierwise grade --as-of … --out DIR`), or leave --runs out "
            "to grade the book",
            path=str(runs),
        )
    return run


def _from_store(url: str, policy_path: Path, ids: list[str]) -> BookTiers:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(CustomerTier.customer_id, CustomerTier.tier)).all()
    except Exception as err:  # any driver error: the store is unusable as a tier source
        raise UsageError(
            f"--state-url: cannot read current tiers ({type(err).__name__})",
            hint="give the store of a published run (`tierwise grade --publish`)",
        ) from None
    finally:
        engine.dispose()
    tier_of = {c: t for c, t in rows if t is not None}
    code = _by_customer(ids, [None] * len(ids), "outlet", tier_of)
    levels = _levels(load_policy(policy_path))
    known = {lv.code for lv in levels}
    levels += [Level(c, c, c) for c in sorted(set(tier_of.values()) - known)]
    return BookTiers(code, levels, "the store's current tiers")


def _graded(
    book: Path, end_day: int, policy_path: Path, ids: list[str], accounts: list[str | None]
) -> BookTiers:
    policy = load_policy(policy_path)
    as_of = from_day_number(end_day)
    with tempfile.TemporaryDirectory(prefix="tierwise-world-") as tmp:
        try:
            result = run_grading(
                policy,
                as_of=as_of,
                lake=book / "lake",
                runs=Path(tmp),
                now=dt.datetime(as_of.year, as_of.month, as_of.day, tzinfo=dt.UTC),
                policy_dir=policy_path.parent,
            )
        except TierwiseError as err:
            raise UsageError(
                f"no tiers for the plan's `of: tier` filter: grading the book with "
                f"{policy.name} failed: {err}",
                hint="give --runs DIR or --state-url URL, or a labels CSV with a tier column",
            ) from None
        tiers = _from_run(result.path, ids, accounts)
    return BookTiers(tiers.code, tiers.levels, f"the book graded with {policy.name} as of {as_of}")


def book_tiers(
    source: TierSource, book: Path, end_day: int, ids: list[str], accounts: list[str | None]
) -> BookTiers:
    """The tiers of the book's customers from ``source`` (see the module docstring)."""
    if source.runs is not None:
        tiers = _from_run(_latest(source.runs), ids, accounts)
    elif source.state_url is not None:
        tiers = _from_store(source.state_url, source.policy, ids)
    else:
        tiers = _graded(book, end_day, source.policy, ids, accounts)
    if not (tiers.code != "").any():
        raise UsageError(
            f"no tiers for the plan's `of: tier` filter: {tiers.described} gives none of the "
            "book's customers a tier",
            hint="grade the book (or give a labels CSV with a tier column)",
        )
    values, counts = np.unique(tiers.code[tiers.code != ""].astype(str), return_counts=True)
    return BookTiers(
        tiers.code,
        tiers.levels,
        tiers.described,
        {str(v): int(c) for v, c in zip(values, counts, strict=True)},
    )


__all__ = ["BookTiers", "Level", "TierSource", "book_tiers"]

"""Compute every tag as of a date: one Ibis expression, any backend (DuckDB, Spark).

The frame holds ``entity_id`` (the outlet), ``account_id``, every input as ``i_<name>``
(features and tag inputs: the "why" of a tag) and one column per tag named by its code:
booleans for flags, text for bands and text tags, float64 for numbers.
User-defined tags (:mod:`tierwise.tags.custom`) are rules over inputs and other tags,
compiled by the same rule engine after the built-in ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence

import ibis
import ibis.expr.types as ir

from tierwise.errors import UsageError
from tierwise.features.build import build_features
from tierwise.features.context import Context
from tierwise.policy.rules import Rule, RuleError, Type
from tierwise.tags.catalog import TAGS, Tag, input_names, input_type

INPUT_PREFIX = "i_"


def input_column(name: str) -> str:
    """The frame's column of input ``name``."""
    return INPUT_PREFIX + name


def name_types(tags: Iterable[Tag] = TAGS) -> dict[str, Type]:
    """Names a tag rule may read (inputs and tags) and their types."""
    out: dict[str, Type] = {n: input_type(n) for n in input_names()}
    for t in tags:
        out[t.code] = t.value_type
    return out


def parse_rule(tag: Tag, known: Mapping[str, Type]) -> Rule:
    """The rule of flag ``tag`` parsed against ``known``; a clear error naming the tag."""
    try:
        return Rule(tag.definition, known)
    except RuleError as err:
        raise UsageError(f"tag {tag.code!r}: {err}", tag=tag.code) from None


def _band(col: ir.NumericValue, tag: Tag) -> ir.StringValue:
    cases = []
    for b in reversed(tag.bands):
        if b.lower is not None:
            cases.append((col >= b.lower, b.code))
    return ibis.ifelse(
        col.isnull(), ibis.null("string"), ibis.cases(*cases, else_=tag.bands[0].code)
    )


def order_custom(custom: Sequence[Tag]) -> list[Tag]:
    """User-defined tags in an order where each comes after the custom tags it reads.

    Raises
    ------
    UsageError
        When tags read each other in a cycle (named).
    """
    by_code = {t.code: t for t in custom}
    done: list[Tag] = []
    seen: set[str] = set()
    visiting: list[str] = []

    def visit(t: Tag) -> None:
        if t.code in seen:
            return
        if t.code in visiting:
            cycle = " -> ".join([*visiting[visiting.index(t.code) :], t.code])
            raise UsageError(f"user-defined tags read each other in a cycle: {cycle}")
        visiting.append(t.code)
        for dep in t.inputs:
            if dep in by_code:
                visit(by_code[dep])
        visiting.pop()
        seen.add(t.code)
        done.append(t)

    for t in custom:
        visit(t)
    return done


def tag_expressions(
    frame: ir.Table, tags: Sequence[Tag], known: Mapping[str, Type]
) -> dict[str, ir.Value]:
    """Each tag of ``tags`` as an expression over ``frame`` (inputs as ``i_<name>``)."""

    def col(name: str) -> ir.Value:
        return frame[name] if name in frame.columns else frame[input_column(name)]

    out: dict[str, ir.Value] = {}
    for t in tags:
        if t.kind == "flag":
            out[t.code] = parse_rule(t, known).to_ibis(col)
        elif t.kind == "band":
            out[t.code] = _band(col(t.source).cast("float64"), t)
        elif t.kind == "number":
            out[t.code] = col(t.source).cast("float64")
        else:
            out[t.code] = col(t.source).cast("string")
    return out


def tag_frame(
    tables: dict[str, ir.Table],
    as_of: dt.date,
    *,
    lookback_days: int = 365,
    custom: Sequence[Tag] = (),
    tags: Sequence[Tag] = TAGS,
    unavailable: Collection[str] = (),
) -> ir.Table:
    """Every tag of every outlet existing at ``as_of``, as one Ibis expression.

    Parameters
    ----------
    tables:
        Canonical tables by name (``open_lake(con, lake, all_tables())``).
    as_of:
        Only events on or before this day count.
    lookback_days:
        The window of ``*_lookback`` features and of the tag inputs' shares.
    custom:
        User-defined tags (flags over inputs and tags), computed after ``tags``.
    tags:
        The built-in tags to compute (default: the whole catalogue).
    unavailable:
        Inputs and tags the book cannot compute (:mod:`tierwise.tags.availability`): their
        columns are empty (null) instead of a 0 or a false that would read as a fact.
    """
    from tierwise.tags.inputs import add_inputs

    ctx = Context(tables, as_of, lookback_days, "outlet", None)
    base = add_inputs(ctx, build_features(tables, as_of, lookback_days=lookback_days))
    names = input_names()
    gone = set(unavailable)

    def _input(n: str) -> ir.Value:
        return ibis.null(base[n].type()) if n in gone else base[n]

    base = base.select(
        "entity_id", account_id=base.account_id, **{input_column(n): _input(n) for n in names}
    )
    known = name_types([*tags, *custom])

    def _tags(frame: ir.Table, ts: Sequence[Tag]) -> dict[str, ir.Value]:
        exprs = tag_expressions(frame, ts, known)
        return {c: ibis.null(e.type()) if c in gone else e for c, e in exprs.items()}

    out = base.mutate(**_tags(base, tags))
    for t in order_custom(custom):  # one at a time: a custom tag may read an earlier one
        out = out.mutate(**_tags(out, [t]))
    return out

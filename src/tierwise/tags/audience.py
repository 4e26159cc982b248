"""Audiences: a boolean expression over tiers, layers, segments and tags, evaluated as of a date.

An expression is written in the rule language of the policies (:mod:`tierwise.policy.rules`:
``and``, ``or``, ``not``, comparisons, ``in``), e.g.
``tier in ('gold', 'platinum') and cat_hotpot_heavy and not overdue and spend_365d >= 50000``.
Names it may use:

- every tag code of the catalogue and the user-defined tags of the snapshot;
- ``tier``, ``score``, ``segment`` and ``layer_<name>`` of the grading run in force at the date
  (the latest published run whose as_of is on or before it).

The members as of a date D are computed from two immutable files: the tag snapshot with the
latest as_of on or before D, and that run's ``assignments.parquet``; the same D gives the
same list (the result names both). It is parsed and checked, never ``eval``-ed; an unknown
name or a type error is one line naming the name and its column in the expression.
"""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from tierwise.errors import NotFoundError, UsageError
from tierwise.grading.handoff import assignments_file
from tierwise.policy.rules import Rule, RuleError, Type, did_you_mean
from tierwise.tags.catalog import TAG_CATALOG, Tag
from tierwise.tags.compute import INPUT_PREFIX
from tierwise.tags.snapshot import Snapshot

RUN_NAMES = ("tier", "score", "segment")
SAMPLE_SIZE = 20


@dataclass(frozen=True)
class RunRef:
    """The published grading run an audience reads tiers, layers and segments from."""

    run_id: str
    as_of: dt.date
    path: Path
    entity: str = "outlet"


@dataclass
class Frame:
    """What an audience is evaluated on: a tag snapshot and (maybe) a published run."""

    snapshot: Snapshot
    run: RunRef | None
    custom: Mapping[str, Tag] = field(default_factory=dict)
    con: Any = None

    def __post_init__(self) -> None:
        if self.con is None:
            self.con = ibis.duckdb.connect()
        self._tags = self.con.read_parquet(self.snapshot.file)
        self._run: ir.Table | None = None
        self._layers: list[str] = []
        if self.run is not None:
            path = assignments_file(self.run.path)
            if not path.is_file():
                raise NotFoundError(f"the files of run {self.run.run_id} are missing ({path})")
            run = self.con.read_parquet(path)
            self._layers = [c for c in run.columns if c.startswith("layer_")]
            keep = ["entity_id", *[c for c in (*RUN_NAMES, *self._layers) if c in run.columns]]
            self._run = run.select(*keep)

    # -- names -----------------------------------------------------------------------------
    def types(self) -> dict[str, Type]:
        """Every name an expression may read here, with its type."""
        out: dict[str, Type] = {}
        cols = set(self._tags.columns)
        for code, t in [*TAG_CATALOG.items(), *self.custom.items()]:
            if code in cols:
                out[code] = t.value_type
        if self._run is not None:
            for c in self._run.columns:
                if c != "entity_id":
                    out[c] = "number" if c == "score" else "text"
        return out

    def tag(self, code: str) -> Tag | None:
        """The definition of tag ``code`` (catalogue or user-defined)."""
        return self.custom.get(code) or TAG_CATALOG.get(code)

    # -- evaluation ------------------------------------------------------------------------
    def table(self, rule: Rule) -> ir.Table:
        """The snapshot (joined with the run when the rule reads it), filtered by ``rule``."""
        cols = self._tags.columns
        # tags by their code; inputs (features, for user-defined tag rules) from i_<name>
        picked = {
            n: n if n in cols else f"{INPUT_PREFIX}{n}"
            for n in sorted(rule.names)
            if n in cols or f"{INPUT_PREFIX}{n}" in cols
        }
        t = self._tags.select(  # narrow: a few columns compile and scan fast
            "entity_id", "account_id", **{n: self._tags[c] for n, c in picked.items()}
        )
        if self._run is not None and rule.names & set(self._run.columns):
            key = "entity_id" if self.run is None or self.run.entity == "outlet" else "account_id"
            r = self._run.rename(run_entity_id="entity_id")
            t = t.left_join(r, t[key] == r.run_entity_id).drop("run_entity_id")
        return t.filter(rule.to_ibis(lambda n: t[n]))

    def count(self, rule: Rule) -> int:
        """How many customers match."""
        return int(self.table(rule).count().execute())

    def members(self, rule: Rule, *, limit: int | None = None) -> pa.Table:
        """``customer_id``, ``account_id`` and the names the rule reads, by customer id."""
        t = self.table(rule)
        cols = ["entity_id", "account_id", *sorted(rule.names)]
        t = t.select(*cols).order_by("entity_id")
        if limit is not None:
            t = t.limit(limit)
        out = t.to_pyarrow()
        return out.rename_columns(["customer_id", *out.column_names[1:]])

    def total(self) -> int:
        """Customers in the snapshot."""
        return int(self.snapshot.meta.get("rows") or self._tags.count().execute())


def _column_of(text: str, name: str) -> int | None:
    """1-based column of the first use of ``name`` in ``text`` (as a name, not in a string)."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        return None
    offset = len(text) - len(text.lstrip())
    cols = [n.col_offset for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == name]
    return _char_column(text.strip(), min(cols)) + 1 + offset if cols else None


def _char_column(text: str, byte_offset: int) -> int:
    """``ast`` offsets count UTF-8 bytes; people count characters (火锅 is 2, not 6)."""
    return len(text.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))


def _type_error_column(tree: ast.AST, text: str, types: Mapping[str, Type]) -> int | None:
    """1-based column of the smallest piece of ``tree`` that does not type-check."""
    offset = len(text) - len(text.lstrip())
    bad: list[tuple[int, int]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare | ast.BinOp | ast.BoolOp | ast.UnaryOp):
            continue
        probe = Rule.__new__(Rule)  # the rule's own checker on one piece
        probe.text, probe._types, probe.names = text, types, set()
        try:
            probe._type(node)
        except RuleError:
            size = (node.end_col_offset or 0) - node.col_offset
            bad.append((size, node.col_offset))
        # an operand of and / or / not that is not a condition: point at the operand
        operands = node.values if isinstance(node, ast.BoolOp) else [getattr(node, "operand", None)]
        if isinstance(node, ast.BoolOp) or isinstance(getattr(node, "op", None), ast.Not):
            for v in operands:
                try:
                    ok = v is None or probe._type(v) == "bool"
                except RuleError:
                    continue
                if not ok and v is not None:
                    bad.append(((v.end_col_offset or 0) - v.col_offset, v.col_offset))
    body = text.strip()
    return _char_column(body, min(bad)[1]) + 1 + offset if bad else None


def check_expression(text: str, types: Mapping[str, Type], *, what: str = "expression") -> Rule:
    """``text`` parsed and type-checked against ``types``.

    Raises
    ------
    UsageError
        One line: an unknown name (with its column and the closest known names), a type
        error or a syntax error, naming the piece and where it is.
    """
    if not text.strip():
        raise UsageError(f"the {what} is empty", hint="e.g. tier == 'gold' and not overdue")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        raise UsageError(
            f"the {what} {text!r} does not parse: {err.msg} at column {err.offset}",
            column=err.offset,
        ) from None
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in types:
            col = _column_of(text, node.id)
            raise UsageError(
                f"unknown tag or name {node.id!r} at column {col} of the {what} {text!r}"
                + did_you_mean(node.id, types).replace("docs/features.md", "docs/tags.md"),
                name=node.id,
                column=col,
            )
    try:
        return Rule(text, types)
    except RuleError as err:
        col = _type_error_column(tree, text, types)
        where = f" (at column {col})" if col else ""
        raise UsageError(f"{what}: {err}{where}", expression=text, column=col) from None


def evaluate(
    frame: Frame,
    text: str,
    *,
    sample: int = SAMPLE_SIZE,
    types: Mapping[str, Type] | None = None,
    what: str = "expression",
) -> dict[str, Any]:
    """Count and a sample of members of ``text`` on ``frame``: the live preview.

    ``types``: the names allowed (default: the frame's audience names); a user-defined tag's
    preview passes the tag names plus the inputs."""
    rule = check_expression(text, types or frame.types(), what=what)
    n = frame.count(rule)
    rows = frame.members(rule, limit=sample).to_pylist() if sample else []
    gone = sorted(rule.names & set(frame.snapshot.unavailable))
    warnings = [EMPTY_WARNING] if n == 0 else []
    if gone:
        warnings.append(
            f"reads tags this book cannot compute (empty for everyone): {', '.join(gone)}"
        )
    return {
        "count": n,
        "total": frame.total(),
        "empty": n == 0,
        "warning": "; ".join(warnings) or None,
        "unavailable": gone,
        "sample": rows,
        "names": sorted(rule.names),
        "snapshot_as_of": frame.snapshot.as_of.isoformat(),
        "run_id": frame.run.run_id if frame.run else None,
    }


EMPTY_WARNING = "this audience matches nobody as of the date (allowed, but check the expression)"

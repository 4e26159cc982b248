"""Rule expressions: parsed with :mod:`ast` against a whitelist, never ``eval``-ed.

A rule reads like Python: ``days_since_last_order > 2 * median_order_gap_days and
orders_365d >= 6``, ``channel in ('online', 'retail')``, ``not legal_disputes > 0``.
Allowed: names of known columns, numbers, strings, ``True``/``False``, ``+ - * /``,
comparisons (chained too), ``in`` / ``not in`` a tuple or list of constants, ``and``,
``or``, ``not`` and parentheses. Anything else (calls, attributes, subscripts, lambdas ...)
is rejected with the offending piece named. A parsed rule compiles to an Ibis boolean
expression (any backend) and evaluates on one Python row (explanations).
"""

from __future__ import annotations

import ast
import difflib
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import ibis.expr.types as ir
# Ibis is imported where a rule is compiled (to_ibis): checking and evaluating a rule, as
# `tierwise explain` does, needs no Ibis (issue 19 item 7).

Type = Literal["number", "text", "bool"]
_CMP: dict[type[ast.cmpop], str] = {
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
}
_ARITH: dict[type[ast.operator], str] = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_PYOPS: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
}


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """A hint naming the closest known names, or pointing at the catalog."""
    close = difflib.get_close_matches(name, list(known), n=2, cutoff=0.75)
    if close:
        return " (did you mean " + " or ".join(repr(c) for c in close) + "?)"
    return "; see docs/features.md"


class RuleError(ValueError):
    """A rule that does not parse or refers to something unknown."""


@dataclass(frozen=True)
class Condition:
    """An atomic ``name op constant`` test inside a conjunction (used for upgrade gaps)."""

    name: str
    op: str
    value: float | str


class Rule:
    """A parsed, checked rule expression.

    Parameters
    ----------
    text:
        The expression as written in the policy.
    types:
        Known names and their types (``number`` or ``text``); anything else is an error.
    """

    def __init__(self, text: str, types: Mapping[str, Type]) -> None:
        self.text = text
        try:
            tree = ast.parse(text.strip(), mode="eval")
        except SyntaxError as err:
            raise RuleError(f"cannot parse {text!r}: {err.msg} at column {err.offset}") from None
        self._types = types
        self.names: set[str] = set()
        self.tree = tree.body
        if self._type(self.tree) != "bool":
            raise RuleError(f"{text!r} is not a condition (it must compare something)")

    # -- checking --------------------------------------------------------------------------
    def _type(self, n: ast.AST) -> Type:
        if isinstance(n, ast.BoolOp):
            for v in n.values:
                self._expect(v, "bool")
            return "bool"
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.Not):
            self._expect(n.operand, "bool")
            return "bool"
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub | ast.UAdd):
            self._expect(n.operand, "number")
            return "number"
        if isinstance(n, ast.BinOp) and type(n.op) in _ARITH:
            self._expect(n.left, "number")
            self._expect(n.right, "number")
            return "number"
        if isinstance(n, ast.Compare):
            return self._compare(n)
        if isinstance(n, ast.Name):
            if n.id not in self._types:
                hint = did_you_mean(n.id, self._types)
                raise RuleError(f"unknown name {n.id!r} in {self.text!r}{hint}")
            self.names.add(n.id)
            return self._types[n.id]
        if isinstance(n, ast.Constant):
            if isinstance(n.value, bool):
                return "bool"
            if isinstance(n.value, int | float):
                return "number"
            if isinstance(n.value, str):
                return "text"
        raise RuleError(f"{ast.unparse(n)!r} is not allowed in a rule ({self.text!r})")

    def _expect(self, n: ast.AST, want: Type) -> None:
        got = self._type(n)
        if got != want:
            raise RuleError(f"{ast.unparse(n)!r} is {got}, expected {want} in {self.text!r}")

    def _compare(self, n: ast.Compare) -> Type:
        left = self._type(n.left)
        for op, right in zip(n.ops, n.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn):
                if not isinstance(right, ast.Tuple | ast.List) or not right.elts:
                    raise RuleError(f"'in' needs a non-empty tuple of constants in {self.text!r}")
                for e in right.elts:
                    if not isinstance(e, ast.Constant):
                        raise RuleError(f"{ast.unparse(e)!r} is not a constant in {self.text!r}")
                    self._expect(e, left)
                continue
            if type(op) not in _CMP:
                raise RuleError(f"operator {ast.unparse(n)!r} is not allowed in {self.text!r}")
            r = self._type(right)
            if r != left or (left == "text" and _CMP[type(op)] not in ("==", "!=")):
                raise RuleError(f"cannot compare {left} with {r} in {self.text!r}")
            left = r
        return "bool"

    # -- use -------------------------------------------------------------------------------
    def to_ibis(self, cols: Callable[[str], ir.Value]) -> ir.BooleanValue:
        """The rule as an Ibis boolean; a comparison with a missing value is False."""
        return _Compiler(cols).visit(self.tree).fill_null(False)

    def evaluate(self, row: Mapping[str, Any]) -> bool:
        """The rule on one row of values (missing values make a comparison False)."""
        return bool(_evaluate(self.tree, row))

    def conditions(self) -> list[Condition]:
        """The ``name op constant`` parts of a pure conjunction (others are skipped)."""
        parts = self.tree.values if _is_and(self.tree) else [self.tree]  # type: ignore[attr-defined]
        out = []
        for p in parts:
            if (
                isinstance(p, ast.Compare)
                and len(p.ops) == 1
                and type(p.ops[0]) in _CMP
                and isinstance(p.left, ast.Name)
                and isinstance(p.comparators[0], ast.Constant)
                and isinstance(p.comparators[0].value, int | float | str)
                and not isinstance(p.comparators[0].value, bool)
            ):
                out.append(Condition(p.left.id, _CMP[type(p.ops[0])], p.comparators[0].value))
        return out


def _is_and(n: ast.AST) -> bool:
    return isinstance(n, ast.BoolOp) and isinstance(n.op, ast.And)


class _Compiler:
    def __init__(self, cols: Callable[[str], ir.Value]) -> None:
        self.cols = cols

    def visit(self, n: ast.AST) -> Any:
        if isinstance(n, ast.BoolOp):
            vals = [self.visit(v).fill_null(False) for v in n.values]
            out = vals[0]
            for v in vals[1:]:
                out = (out & v) if isinstance(n.op, ast.And) else (out | v)
            return out
        if isinstance(n, ast.UnaryOp):
            v = self.visit(n.operand)
            return (
                ~v.fill_null(False)
                if isinstance(n.op, ast.Not)
                else -v
                if isinstance(n.op, ast.USub)
                else v
            )
        if isinstance(n, ast.BinOp):
            return _PYOPS[_ARITH[type(n.op)]](self.visit(n.left), self.visit(n.right))
        if isinstance(n, ast.Compare):
            left, out = self.visit(n.left), None
            for op, right in zip(n.ops, n.comparators, strict=True):
                if isinstance(op, ast.In | ast.NotIn):
                    vals = [e.value for e in right.elts]  # type: ignore[attr-defined]
                    part = left.isin(vals) if isinstance(op, ast.In) else left.notin(vals)
                else:
                    r = self.visit(right)
                    part = _PYOPS[_CMP[type(op)]](left, r)
                    left = r
                out = part if out is None else out & part
            return out
        if isinstance(n, ast.Name):
            return self.cols(n.id)
        if isinstance(n, ast.Constant):
            import ibis

            return ibis.literal(n.value)
        raise AssertionError(f"unchecked node {ast.dump(n)}")  # pragma: no cover


def _evaluate(n: ast.AST, row: Mapping[str, Any]) -> Any:
    if isinstance(n, ast.BoolOp):
        truths = (bool(_evaluate(v, row)) for v in n.values)
        return all(truths) if isinstance(n.op, ast.And) else any(truths)
    if isinstance(n, ast.UnaryOp):
        v = _evaluate(n.operand, row)
        if isinstance(n.op, ast.Not):
            return not v
        return None if v is None else (-v if isinstance(n.op, ast.USub) else v)
    if isinstance(n, ast.BinOp):
        a, b = _evaluate(n.left, row), _evaluate(n.right, row)
        if a is None or b is None or (isinstance(n.op, ast.Div) and b == 0):
            return None
        return _PYOPS[_ARITH[type(n.op)]](a, b)
    if isinstance(n, ast.Compare):
        left = _evaluate(n.left, row)
        for op, right in zip(n.ops, n.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn):
                vals = [e.value for e in right.elts]  # type: ignore[attr-defined]
                ok = left is not None and ((left in vals) == isinstance(op, ast.In))
            else:
                r = _evaluate(right, row)
                ok = left is not None and r is not None and _PYOPS[_CMP[type(op)]](left, r)
                left = r
            if not ok:
                return False
        return True
    if isinstance(n, ast.Name):
        v = row.get(n.id)
        return None if v is None or v != v else v  # NaN counts as missing
    if isinstance(n, ast.Constant):
        return n.value
    raise AssertionError(f"unchecked node {ast.dump(n)}")  # pragma: no cover

"""Price rules and quote lines from CSV (UTF-8 or GBK) or Excel files with Chinese or English
headers (R-OPS-3): every row is read, and a file with any bad row is refused whole, each bad
row named with its column and value (nothing half-saved)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from tierwise.errors import DataError
from tierwise.ops.benefits.pricing import Line, PriceRule
from tierwise.ops.benefits.redeem import file_rows, find_columns

#: A rule file's columns: English name → accepted headers (the first is Chinese).
RULE_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("规则编码", "code", "编码"),
    "kind": ("类型", "kind"),
    "value": ("数值", "value", "折扣或净价"),
    "valid_from": ("生效日", "valid_from", "开始日期"),
    "valid_until": ("失效日", "valid_until", "结束日期"),
    "priority": ("优先级", "priority"),
    "tier": ("等级", "tier"),
    "sku": ("商品编码", "sku", "SKU"),
    "category": ("品类", "category"),
    "region": ("地区", "region", "省份"),
}
RULE_REQUIRED = ("code", "kind", "value", "valid_from")
#: A quote file's columns.
LINE_COLUMNS: dict[str, tuple[str, ...]] = {
    "sku": ("商品编码", "sku", "SKU"),
    "category": ("品类", "category"),
    "quantity": ("数量", "quantity"),
    "list_price": ("单价", "list_price", "标价", "单价(元)"),
}
LINE_REQUIRED = ("sku", "list_price")
#: The kinds as written in a file (Chinese or the code).
KIND_WORDS = {"折扣": "discount_pct", "折扣率": "discount_pct", "discount_pct": "discount_pct",
              "净价": "net_price", "固定价": "net_price", "net_price": "net_price"}  # fmt: skip
#: Cells that mean "any" in a scope column.
ANY = {"", "全部", "不限", "any", "*"}


def _read(
    path: Path,
    spec: Mapping[str, tuple[str, ...]],
    required: Sequence[str],
    parse: Callable[[Mapping[str, str], Callable[[str, str], DataError]], Any],
) -> tuple[list[Any], list[int]]:
    rows = iter(file_rows(path))
    header = next(rows, None)
    if header is None:
        raise DataError(f"{path.name}: the file is empty", file=path.name)
    cols = find_columns(header, spec, required, path.name)
    out, lines, problems = [], [], []
    for n, raw in enumerate(rows, start=2):
        if not any(c.strip() for c in raw):
            continue
        row = {k: (raw[i].strip() if i < len(raw) else "") for k, i in cols.items()}

        def bad(col: str, expected: str, row: Mapping[str, str] = row, n: int = n) -> DataError:
            return DataError(
                f"row {n}, column {spec[col][0]} ({col}): {row.get(col)!r} is not {expected}",
                file=path.name, row=n, column=spec[col][0], value=row.get(col),
                expected=expected,
            )  # fmt: skip

        try:
            out.append(parse(row, bad))
            lines.append(n)
        except DataError as err:
            problems.append(str(err))
    if problems:
        raise DataError(
            f"{path.name}: {len(problems)} bad row(s), nothing saved: " + "; ".join(problems[:10])
            + (f"; … {len(problems) - 10} more" if len(problems) > 10 else ""),
            file=path.name, problems=problems,
        )  # fmt: skip
    if not out:
        raise DataError(f"{path.name}: no rows under the header", file=path.name)
    return out, lines


def _day(v: str, col: str, bad: Callable[[str, str], DataError]) -> dt.date:
    try:
        return dt.date.fromisoformat(v[:10])
    except ValueError:
        raise bad(col, "a date (YYYY-MM-DD)") from None


def _money(v: str, col: str, bad: Callable[[str, str], DataError]) -> Decimal:
    try:
        d = Decimal(v.replace(",", "").replace("，", ""))
    except InvalidOperation:
        raise bad(col, "a number") from None
    if not d.is_finite():
        raise bad(col, "a number")
    return d


def _rule(row: Mapping[str, str], bad: Callable[[str, str], DataError]) -> PriceRule:
    kind = KIND_WORDS.get(row["kind"])
    if kind is None:
        raise bad("kind", "折扣 (discount_pct) or 净价 (net_price)")
    try:
        priority = int(row.get("priority") or 0)
    except ValueError:
        raise bad("priority", "a whole number") from None
    if not -1000 <= priority <= 1000:
        raise bad("priority", "between -1000 and 1000")
    until = row.get("valid_until") or ""

    def scope(col: str) -> str | None:
        v = row.get(col, "")
        return None if v.lower() in ANY else v

    rule = PriceRule(
        id=None,
        code=row["code"] or "",
        kind=kind,  # type: ignore[arg-type]
        value=_money(row["value"], "value", bad).quantize(Decimal("0.01")),
        valid_from=_day(row["valid_from"], "valid_from", bad),
        valid_until=_day(until, "valid_until", bad) if until else None,
        priority=priority,
        tier=scope("tier"),
        sku=scope("sku"),
        category=scope("category"),
        region=scope("region"),
    )
    if not rule.code:
        raise bad("code", "a rule code")
    try:
        rule.check()
    except DataError as err:
        raise bad(str(err.fields.get("field", "value")), str(err.fields.get("expected"))) from None
    return rule


def read_rules(path: Path) -> tuple[list[PriceRule], list[int]]:
    """The rules of a file and each one's row (a bad row: :class:`DataError`, all named)."""
    return _read(path, RULE_COLUMNS, RULE_REQUIRED, _rule)


def _line(row: Mapping[str, str], bad: Callable[[str, str], DataError]) -> Line:
    price = _money(row["list_price"], "list_price", bad)
    if price < 0:
        raise bad("list_price", "a price >= 0")
    qty = _money(row.get("quantity") or "1", "quantity", bad)
    if qty <= 0:
        raise bad("quantity", "a quantity > 0")
    if not row["sku"]:
        raise bad("sku", "a SKU")
    return Line(row["sku"], row.get("category") or None, price, qty)


def read_lines(path: Path) -> list[Line]:
    """The lines of a quote file (商品编码, 品类, 数量, 单价)."""
    return _read(path, LINE_COLUMNS, LINE_REQUIRED, _line)[0]

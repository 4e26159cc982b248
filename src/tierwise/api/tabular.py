"""Cells of the CSV and Excel exports: text never read as a formula, money with two decimals.

The OWASP CSV-injection rule: a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return is prefixed with a single quote in CSV, so a spreadsheet shows it as
text instead of evaluating it (``=HYPERLINK(...)`` in a customer name must not become a
link). In Excel the cell is typed as a string, never as a formula (openpyxl would otherwise
store a value starting with ``=`` as one). Money (yuan) is written with two decimals: a float
sum such as ``17469.719999999998`` becomes ``17469.72``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: export columns that hold yuan amounts
MONEY = frozenset({"spend_365d", "ltv", "amount", "contract_amount", "value_at_risk"})
_CENT = Decimal("0.01")


def money(value: Any) -> Decimal | None:
    """A yuan amount rounded half-up to fen; ``None`` stays ``None``."""
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value)).quantize(_CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise ValueError(f"not an amount of money: {value!r}") from None


def text_cell(value: str) -> str:
    """``value`` as CSV text that no spreadsheet evaluates (OWASP: a leading quote)."""
    return "'" + value if value.startswith(FORMULA_START) else value


def csv_row(columns: Sequence[str], values: Iterable[Any]) -> list[Any]:
    """One CSV row: money with two decimals, text defused, ``None`` as an empty cell."""
    out: list[Any] = []
    for col, v in zip(columns, values, strict=True):
        if v is None:
            out.append("")
        elif col in MONEY:
            out.append(str(money(v)))
        elif isinstance(v, str):
            out.append(text_cell(v))
        else:
            out.append(v)
    return out


def xlsx_append(ws: WriteOnlyWorksheet, columns: Sequence[str], values: Iterable[Any]) -> None:
    """Append one row: strings typed as text (never formulas), money as numbers shown 0.00."""
    cells: list[Any] = []
    for col, v in zip(columns, values, strict=True):
        if v is None:
            cells.append(None)
        elif col in MONEY:
            cell = WriteOnlyCell(ws, value=float(money(v) or 0))
            cell.number_format = "0.00"
            cells.append(cell)
        elif isinstance(v, str):
            cell = WriteOnlyCell(ws, value=v)
            cell.data_type = "s"  # openpyxl types "=..." as a formula; a string it stays
            cells.append(cell)
        else:
            cells.append(v)
    ws.append(cells)

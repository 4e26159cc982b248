"""Rebate statements and payout / credit-note batches as files (R-OPS-3): CSV (UTF-8 with a
byte-order mark, so Excel opens the Chinese headers) or Excel by the file's suffix.

A statement lists a customer's ledger rows, then three total rows (计提合计, 已付合计, 未付余额)
that equal the ledger's sums. A batch file is what the ERP books: one line per ledger row.
Text cells that a spreadsheet would read as a formula are written as text (OWASP).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from tierwise.errors import UsageError
from tierwise.ops.benefits.rebate_ledger import StatementLine, totals

#: statement columns: (key, 中文表头)
STATEMENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("customer_id", "客户编号"),
    ("period", "期间"),
    ("period_start", "期初"),
    ("period_end", "期末"),
    ("entry", "类型"),
    ("tier", "等级"),
    ("pct", "返利比例(%)"),
    ("gross", "销售额(元)"),
    ("refunds", "退款(元)"),
    ("net", "净销售额(元)"),
    ("amount", "返利金额(元)"),
    ("status", "状态"),
    ("payout_id", "付款批次"),
)
BATCH_COLUMNS: tuple[tuple[str, str], ...] = (
    ("batch_id", "批次号"),
    ("kind", "单据类型"),
    ("customer_id", "客户编号"),
    ("period", "期间"),
    ("entry_id", "计提编号"),
    ("entry", "类型"),
    ("tier", "等级"),
    ("amount", "金额(元)"),
)
ENTRY_ZH = {"accrual": "计提", "adjustment": "调整"}
STATUS_ZH = {"accrued": "已计提", "paid": "已付"}
KIND_ZH = {"payout": "返利付款", "credit_note": "贷项通知单"}
_MONEY = {"gross", "refunds", "net", "amount"}
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(key: str, v: Any) -> Any:
    if v is None:
        return ""
    if key in _MONEY:
        return Decimal(v).quantize(Decimal("0.01"))
    if isinstance(v, str):
        return "'" + v if v.startswith(_FORMULA) else v
    return v if isinstance(v, int | Decimal) else str(v)


def statement_rows(customer_id: str, lines: Sequence[StatementLine]) -> list[list[Any]]:
    """The statement as rows of cells (headers first, totals last)."""
    out: list[list[Any]] = [[zh for _, zh in STATEMENT_COLUMNS]]
    for x in lines:
        rec = {
            **x.__dict__,
            "customer_id": customer_id,
            "entry": ENTRY_ZH.get(x.entry, x.entry),
            "status": STATUS_ZH.get(x.status, x.status),
        }
        out.append([_cell(k, rec.get(k)) for k, _ in STATEMENT_COLUMNS])
    t = totals(lines)
    for label, value in (
        ("计提合计", t.accrued),
        ("已付合计", t.paid),
        ("未付余额", t.outstanding),
    ):
        rec = {"customer_id": customer_id, "period": label, "amount": value}
        out.append([_cell(k, rec.get(k)) for k, _ in STATEMENT_COLUMNS])
    return out


def batch_rows(batch: Any, lines: Iterable[Mapping[str, Any]]) -> list[list[Any]]:
    """A payout / credit-note batch as rows of cells (headers first)."""
    out: list[list[Any]] = [[zh for _, zh in BATCH_COLUMNS]]
    for r in lines:
        rec = {
            "batch_id": batch.id,
            "kind": KIND_ZH.get(batch.kind, batch.kind),
            "customer_id": r["customer_id"],
            "period": r["period"],
            "entry_id": r["id"],
            "entry": ENTRY_ZH.get(r["entry"], r["entry"]),
            "tier": r["tier"],
            "amount": r["amount"],
        }
        out.append([_cell(k, rec[k]) for k, _ in BATCH_COLUMNS])
    return out


def csv_bytes(rows: Sequence[Sequence[Any]]) -> bytes:
    """Rows as CSV in UTF-8 with a byte-order mark."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue().encode("utf-8-sig")


def xlsx_bytes(rows: Sequence[Sequence[Any]], title: str) -> bytes:
    """Rows as an Excel workbook (one sheet); text cells typed as text, never formulas."""
    from openpyxl import Workbook  # only when an Excel file is asked for
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title[:31])
    for row in rows:
        cells: list[Any] = []
        for v in row:
            if isinstance(v, Decimal):
                c = WriteOnlyCell(ws, value=float(v))
                c.number_format = "0.00"
            elif isinstance(v, str):
                c = WriteOnlyCell(ws, value=v)
                c.data_type = "s"  # openpyxl would store "=..." as a formula
            else:
                c = WriteOnlyCell(ws, value=v)
            cells.append(c)
        ws.append(cells)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_rows(path: Path, rows: Sequence[Sequence[Any]], title: str) -> Path:
    """Write ``rows`` to ``path``: Excel for ``.xlsx``, CSV for ``.csv``."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        path.write_bytes(xlsx_bytes(rows, title))
    elif suffix == ".csv":
        path.write_bytes(csv_bytes(rows))
    else:
        raise UsageError(f"{path}: not a .csv or .xlsx file", hint="name the file *.csv or *.xlsx")
    return path

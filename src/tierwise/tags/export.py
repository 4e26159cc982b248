"""Audience member lists as CSV (UTF-8 with BOM, opens in Excel) or Excel, Chinese headers."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

import pyarrow as pa
from openpyxl import Workbook

from tierwise.tags.catalog import TAG_CATALOG, Tag

FIXED = {
    "customer_id": ("客户编号", "Customer id"),
    "account_id": ("账户编号", "Account id"),
    "tier": ("等级", "Tier"),
    "score": ("得分", "Score"),
    "segment": ("客户细分", "Segment"),
}


def header(name: str, custom: Mapping[str, Tag] | None = None, lang: str = "zh") -> str:
    """The column header of ``name``: Chinese by default (``lang='en'``: English)."""
    zh = lang != "en"
    if name in FIXED:
        return FIXED[name][0 if zh else 1]
    if name.startswith("layer_"):
        return ("分层:" if zh else "Layer: ") + name[6:]
    tag = (custom or {}).get(name) or TAG_CATALOG.get(name)
    if tag is None:
        return name
    return f"{tag.name_zh if zh else tag.name_en} ({name})"


def _cell(v: Any) -> Any:
    if isinstance(v, bool):
        return "是" if v else "否"
    return v


def rows(table: pa.Table) -> list[list[Any]]:
    """The table's rows with booleans written 是/否."""
    return [[_cell(v) for v in r.values()] for r in table.to_pylist()]


def to_csv(table: pa.Table, custom: Mapping[str, Tag] | None = None, lang: str = "zh") -> bytes:
    """CSV with a BOM so that Excel reads the Chinese headers right."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([header(c, custom, lang) for c in table.column_names])
    w.writerows(rows(table))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(table: pa.Table, custom: Mapping[str, Tag] | None = None, lang: str = "zh") -> bytes:
    """An Excel workbook, one sheet 人群 (Audience)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("人群" if lang != "en" else "Audience")
    ws.append([header(c, custom, lang) for c in table.column_names])
    for r in rows(table):
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_file(
    table: pa.Table, fmt: str, custom: Mapping[str, Tag] | None = None, lang: str = "zh"
) -> tuple[bytes, str]:
    """The file of ``fmt`` (``csv`` or ``xlsx``) and its media type."""
    if fmt == "xlsx":
        return to_xlsx(table, custom, lang), XLSX
    return to_csv(table, custom, lang), "text/csv; charset=utf-8"

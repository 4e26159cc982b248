"""Writing source-style files: CSV in GBK / UTF-8 (with or without BOM) and a reproducible xlsx.

CSV files are appended chunk by chunk (the header only with the first chunk), so a book of
millions of rows never sits in memory as text.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from tierwise.generate.exports.formats import format_times
from tierwise.model.tables import table

ENCODINGS = {"gbk": "gbk", "utf-8": "utf-8", "utf-8-sig": "utf-8-sig"}


def zh_headers(name: str, columns: list[str]) -> list[str]:
    """The Chinese headers of ``columns`` of canonical table ``name``."""
    t = table(name)
    return [t.column(c).zh for c in columns]


def as_text(tbl: pa.Table) -> pa.Table:
    """Every column as a string the way a clean source writes it (ISO times, plain amounts)."""
    cols = []
    for col in tbl.columns:
        if pa.types.is_timestamp(col.type):
            us = pc.cast(col.fill_null(0), pa.int64()).to_numpy(zero_copy_only=False)
            text = format_times(us, us * 0)
            cols.append(pc.if_else(pc.is_null(col), pa.scalar(None, pa.string()), text))
        else:
            cols.append(pc.cast(col, pa.string()))
    return pa.table(cols, names=tbl.column_names)


def append_csv(path: Path, tbl: pa.Table, headers: list[str], encoding: str) -> int:
    """Append ``tbl`` (string columns) to ``path`` in ``encoding``; header if the file is new."""
    first = not path.exists()
    buf = io.BytesIO()
    opts = pacsv.WriteOptions(include_header=first, quoting_style="needed")
    pacsv.write_csv(tbl.rename_columns(headers), buf, write_options=opts)
    data = buf.getvalue()
    if encoding != "utf-8":
        text = data.decode("utf-8")
        data = text.encode("gbk") if encoding == "gbk" else text.encode("utf-8")
        if encoding == "utf-8-sig" and first:
            data = b"\xef\xbb\xbf" + data
    with open(path, "ab") as fh:
        fh.write(data)
    rows: int = tbl.num_rows
    return rows


def write_xlsx(path: Path, sheet: str, headers: list[str], rows: list[list[Any]]) -> None:
    """Write a one-sheet workbook: strings inline, numbers as numbers, dates as date cells.

    A small writer of our own: openpyxl takes seconds per thousand rows without lxml, and
    its output carries the current time (zip entries, docProps), so it is not reproducible.
    """
    out = io.StringIO()
    out.write(
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<worksheet xmlns="{_MAIN_NS}"><sheetData>'
    )
    for r, values in enumerate([headers, *rows], start=1):
        out.write(f'<row r="{r}">')
        for value in values:
            out.write(_cell(value))
        out.write("</row>")
    out.write("</sheetData></worksheet>")
    parts = {
        "[Content_Types].xml": _CONTENT_TYPES,
        "_rels/.rels": _ROOT_RELS,
        "docProps/core.xml": _CORE,
        "xl/workbook.xml": _WORKBOOK.format(sheet=escape(sheet)),
        "xl/_rels/workbook.xml.rels": _WORKBOOK_RELS,
        "xl/styles.xml": _STYLES,
        "xl/worksheets/sheet1.xml": out.getvalue(),
    }
    with zipfile.ZipFile(path, "w") as zf:
        for name, body in parts.items():
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, body.encode("utf-8"))


_EXCEL_EPOCH = dt.date(1899, 12, 30)


def _cell(value: Any) -> str:
    if value is None:
        return "<c/>"
    if isinstance(value, bool):
        return f'<c t="b"><v>{int(value)}</v></c>'
    if isinstance(value, dt.date):
        return f'<c s="1"><v>{(value - _EXCEL_EPOCH).days}</v></c>'
    if isinstance(value, int | float | Decimal):
        return f"<c><v>{value}</v></c>"
    return f'<c t="inlineStr"><is><t xml:space="preserve">{escape(str(value))}</t></is></c>'


_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="{_PKG_REL_NS}">'
    f'<Relationship Id="rId1" Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>'
    "</Relationships>"
)
_CORE = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    "<dc:creator>tierwise generate</dc:creator>"
    '<dcterms:created xsi:type="dcterms:W3CDTF">2026-01-01T00:00:00Z</dcterms:created>'
    "</cp:coreProperties>"
)
_WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="{_MAIN_NS}" '
    f'xmlns:r="{_REL_NS}"><sheets><sheet name="{{sheet}}" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="{_PKG_REL_NS}">'
    f'<Relationship Id="rId1" Type="{_REL_NS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL_NS}/styles" Target="styles.xml"/>'
    "</Relationships>"
)
_STYLES = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet xmlns="{_MAIN_NS}">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    "</styleSheet>"
)

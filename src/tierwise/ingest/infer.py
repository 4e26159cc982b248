"""Propose a mapping for a distributor's own files: ``tierwise ingest FILES --infer`` (R-DAT-2).

For each file: the encoding, the delimiter (``whitespace`` for space-aligned logs such as
CDNOW), the header row (title rows above it skipped), the table it fills, each header matched
to a canonical column with a score, value translations for the code columns from the
distinct values seen, date and money formats, and what stays unmapped. The result is a
mapping file the user reads, edits and passes to ``tierwise ingest FILES --mapping``.

Header matching is by the model's own ``zh`` header and name plus the spellings in
:mod:`tierwise.ingest.synonyms`, after NFKC folding and dropping units in brackets; other
headers are scored by :class:`difflib.SequenceMatcher` (the standard library's ratio is enough
for headers of a few characters, so no fuzzy-matching dependency is added). A score is
halved when the sampled values do not fit the column's type (a "日期" column of amounts).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from tierwise.errors import DataError
from tierwise.ingest.encoding import detect_encoding
from tierwise.ingest.readers import open_source
from tierwise.ingest.synonyms import FILE_WORDS, HEADERS, VALUES
from tierwise.ingest.validate import DATE_FORMATS, FULL_WIDTH, HALF_WIDTH
from tierwise.model.tables import TABLES, Column, Table

ACCEPT = 0.75  # a header scoring below this against every column stays unmapped
SAMPLE_ROWS = 20_000
#: what each table needs to be graded (R-DAT-2): the rest is optional
NEEDED: dict[str, tuple[str, ...]] = {
    "orders": ("customer_id", "order_time", "amount"),
    "customers": ("customer_id",),
}
_FOLD = str.maketrans(FULL_WIDTH, HALF_WIDTH)
_UNITS = re.compile(r"[(（\[【].*?[)）\]】]")
_PUNCT = re.compile(r"[\s_\-.:：*#/\\]+")


@dataclass
class Match:
    """One source header and the canonical column it was matched to (or none)."""

    header: str
    column: str | None
    score: float
    examples: list[str]
    detail: str = ""


@dataclass
class FileInference:
    """What ``--infer`` found in one file."""

    path: Path
    table: str
    encoding: str | None
    delimiter: str
    header_row: int
    matches: list[Match]
    absent: list[str]
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    unknown_values: dict[str, list[str]] = field(default_factory=dict)
    earliest: date | None = None
    numbered: list[str] = field(default_factory=list)  # ids the file lacks: file + row
    date_format: list[str] | None = None  # day-first or month-first dates: the formats
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # rows skipped as not records (totals)

    def spec(self) -> dict[str, Any]:
        """The file's source entry of the mapping file."""
        out: dict[str, Any] = {"file": self.path.name, "table": self.table}
        if self.encoding and self.encoding not in ("utf-8", "utf-8-sig"):
            out["encoding"] = self.encoding
        if self.delimiter != ",":
            out["delimiter"] = self.delimiter
        if self.header_row != 1:
            out["header_row"] = self.header_row
        if self.date_format:
            out["date_format"] = (
                self.date_format[0] if len(self.date_format) == 1 else self.date_format
            )
        cols: dict[str, Any] = {}
        for m in self.matches:
            if m.column is None:
                continue
            if m.column in self.values:
                cols[m.column] = {"source": m.header, "values": self.values[m.column]}
            else:
                cols[m.column] = m.header
        out["columns"] = cols
        return out


def _norm(text: str) -> str:
    s = unicodedata.normalize("NFKC", text).replace("\ufeff", "").strip().lower()
    s = _UNITS.sub("", s)
    return _PUNCT.sub("", s)


def synonyms(table: str, col: Column) -> tuple[str, ...]:
    """Every spelling a header of ``table.col`` may have: the model's, then the known ones."""
    return (col.zh, col.name, *HEADERS.get(table, {}).get(col.name, ()))


def header_score(header: str, names: tuple[str, ...]) -> float:
    """How well ``header`` names a column known as ``names``: 1.0 for a known spelling, 0.9
    for one inside the header (``实付金额合计``), else the best similarity ratio."""
    h = _norm(header)
    if not h:
        return 0.0
    best = 0.0
    for name in names:
        n = _norm(name)
        if not n:
            continue
        if h == n:
            return 1.0
        if len(n) >= 2 and (n in h or h in n) and min(len(h), len(n)) / max(len(h), len(n)) >= 0.6:
            best = max(best, 0.9)
        best = max(best, difflib.SequenceMatcher(None, h, n).ratio())
    return round(best, 2)


def parse_date(text: str, formats: tuple[str, ...] = ()) -> datetime | None:
    """A sampled value as a date-time, by ``formats`` then the validator's (None if none
    fits)."""
    t = text.translate(_FOLD).strip()
    for fmt in (*formats, *DATE_FORMATS):
        try:
            return datetime.strptime(t, fmt)
        except ValueError:
            continue
    return None


#: a date written with the day and the month both as one or two digits before the year
_NUMERIC = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4})(\s+\d{1,2}:\d{2}(:\d{2})?)?$")
AMBIGUOUS = "ambiguous"


def day_or_month_first(values: list[str]) -> list[str] | str | None:
    """The format of dates such as ``25/03/2025`` or ``03/25/2025`` (which the validator
    never guesses): ``%d/%m/%Y`` when a first field is above 12 and no second one is,
    ``%m/%d/%Y`` the other way round, :data:`AMBIGUOUS` when no field tells, ``None`` when
    the values are not written so. When some values have a time, the format with the time
    comes first, then the bare date's (``["%d/%m/%Y %H:%M", "%d/%m/%Y"]``)."""
    firsts, seconds, sep, time_part = [], [], "/", ""
    for v in values[:2000]:
        m = _NUMERIC.match(v.translate(_FOLD).strip())
        if m is None:
            continue
        firsts.append(int(m.group(1)))
        seconds.append(int(m.group(3)))
        sep = m.group(2)
        if m.group(5):
            time_part = " %H:%M:%S" if m.group(6) else " %H:%M"
    if len(firsts) < 0.8 * max(1, len(values[:2000])):
        return None
    day_first, month_first = max(firsts) > 12, max(seconds) > 12
    if day_first == month_first:
        return AMBIGUOUS
    order = ("%d", "%m") if day_first else ("%m", "%d")
    base = f"{order[0]}{sep}{order[1]}{sep}%Y"
    return [base + time_part, base] if time_part else [base]


def parse_money(text: str) -> Decimal | None:
    """A sampled value as a number, without currency signs, units and thousands separators."""
    t = text.translate(_FOLD).strip()
    t = re.sub(r"^(rmb|cny|¥|￥|\$)\s*|\s*(元|rmb|yuan)$", "", t, flags=re.IGNORECASE)
    t = t.replace(",", "")
    try:
        return Decimal(t)
    except InvalidOperation:
        return None


def _fits(col: Column, values: list[str]) -> bool:
    if not values:
        return True
    if col.type in ("date", "timestamp"):
        fmt = day_or_month_first(values)
        own = (
            tuple(fmt)
            if isinstance(fmt, list)
            else ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")
        )
        ok = sum(parse_date(v, own) is not None for v in values)
    elif col.type in ("money", "float64", "int32", "int64"):
        ok = sum(parse_money(v) is not None for v in values)
    else:
        return True
    return ok >= 0.8 * len(values)


def date_format(values: list[str]) -> str:
    """The validator's format most sampled values are written in."""
    counts: Counter[str] = Counter()
    for v in values[:500]:
        t = v.translate(_FOLD).strip()
        for fmt in DATE_FORMATS:
            try:
                datetime.strptime(t, fmt)
            except ValueError:
                continue
            counts[fmt] += 1
            break
    return counts.most_common(1)[0][0] if counts else "?"


def money_format(values: list[str]) -> str:
    """How sampled amounts are written: currency sign, unit, thousands separators, decimals."""
    traits = []
    if any(v.strip()[:1] in "¥￥" for v in values):
        traits.append("¥ sign")
    if any(v.strip().endswith("元") for v in values):
        traits.append("元 unit")
    if any("," in v for v in values):
        traits.append("thousands separators")
    if any(c in v for v in values for c in FULL_WIDTH[:10]):
        traits.append("full-width digits")
    decimals = {len(v.split(".")[1]) for v in values if "." in v}
    traits.append(f"{max(decimals)} decimals" if decimals else "whole numbers")
    return ", ".join(traits)


def _split(line: str, delimiter: str) -> list[str]:
    import csv

    if delimiter == "whitespace":
        return line.split()
    return next(csv.reader([line], delimiter=delimiter), [])


def sniff_text(path: Path, encoding: str) -> tuple[str, int]:
    """The delimiter and header row of a text file, from its first lines."""
    with open(path, encoding=encoding, errors="replace", newline="") as fh:
        lines = [ln.rstrip("\r\n") for _, ln in zip(range(30), fh, strict=False)]
    lines = [ln.lstrip("\ufeff") for ln in lines]
    counts = {d: sum(ln.count(d) for ln in lines) for d in (",", "\t", ";", "|")}
    delim = max(counts, key=lambda d: counts[d])
    if counts[delim] == 0:
        delim = "whitespace"
    return delim, _header_row([_split(ln, delim) for ln in lines])


def _header_row(rows: list[list[str]]) -> int:
    """The first row filled at least half as wide as the widest: title rows (one merged cell,
    a date line) above the header have one or two cells. 0 when that row holds data (half
    its cells or more are dates or numbers): the file has no header row."""
    filled = [sum(1 for c in r if str(c).strip()) for r in rows]
    widest = max(filled, default=0)
    for i, n in enumerate(filled):
        if n >= max(2, (widest + 1) // 2):
            return 0 if _is_data(rows[i]) else i + 1
    return 1


def _is_data(cells: list[str]) -> bool:
    """Whether a row reads as values rather than headers (headers are words)."""
    texts = [str(c).strip() for c in cells if str(c).strip()]
    typed = sum(
        1 for t in texts if parse_money(t) is not None or day_or_month_first([t]) or parse_date(t)
    )
    return typed * 2 >= len(texts) > 0


def _sheet_header_row(path: Path) -> int:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    ws = wb.get_sheet_by_name(wb.sheet_names[0])
    rows = [list(r) for _, r in zip(range(30), ws.iter_rows(), strict=False)]
    return _header_row([["" if c is None else str(c) for c in r] for r in rows])


def _samples(
    path: Path, encoding: str | None, delimiter: str, header_row: int, notes: list[str]
) -> tuple[list[str], list[list[str]]]:
    source = open_source(path, encoding=encoding, delimiter=delimiter, header_row=header_row)
    columns: list[list[str]] = [[] for _ in source.headers]
    n = 0
    for batch in source.batches:
        for i, col in enumerate(batch.data.columns):
            columns[i] += [v for v in col.to_pylist()[: SAMPLE_ROWS - n] if v not in (None, "")]
        n += batch.data.num_rows
        if n >= SAMPLE_ROWS:
            break
    notes += source.notes  # total rows skipped (an Excel sheet's: known once read to the end)
    return source.headers, columns


def _assign(t: Table, headers: list[str], samples: list[list[str]]) -> dict[int, tuple[str, float]]:
    """Header position → (column, score): the best pairs first, each used once."""
    pairs = []
    for i, h in enumerate(headers):
        for col in t.columns:
            s = header_score(h, synonyms(t.name, col))
            if s >= ACCEPT and not _fits(col, samples[i][:200]):
                s = round(s / 2, 2)
            if s >= ACCEPT:
                pairs.append((s, -i, col.name))
    out: dict[int, tuple[str, float]] = {}
    taken: set[str] = set()
    for s, neg_i, name in sorted(pairs, reverse=True):
        if -neg_i in out or name in taken:
            continue
        out[-neg_i] = (name, s)
        taken.add(name)
    return out


def _needed(t: Table) -> tuple[str, ...]:
    from tierwise.ingest.mapping import SYNTHESIZED

    if t.name in NEEDED:
        return NEEDED[t.name]
    return tuple(
        c.name for c in t.columns if not c.nullable and (t.name, c.name) not in SYNTHESIZED
    )


def _choose_table(
    path: Path, headers: list[str], samples: list[list[str]], table: str | None
) -> tuple[str, dict[int, tuple[str, float]]]:
    candidates = [table] if table else list(TABLES)
    best: tuple[float, str, dict[int, tuple[str, float]]] | None = None
    misses: list[str] = []
    name = path.name.lower()
    for tn in candidates:
        t = TABLES[tn]
        got = _assign(t, headers, samples)
        found = {c for c, _ in got.values()}
        lacking = [c for c in _needed(t) if c not in found]
        if lacking:
            if tn in NEEDED or table:
                misses.append(
                    f"{tn} needs {', '.join(lacking)}"
                    + "".join(
                        f" ({c}: closest header {h!r}, score {s:.2f})"
                        for c in lacking
                        for h, s in [_closest(t, c, headers)]
                        if h
                    )
                )
            continue
        score = sum(s for _, s in got.values()) + (
            1.0 if any(w in name for w in FILE_WORDS.get(tn, ())) else 0.0
        )
        if best is None or score > best[0]:
            best = (score, tn, got)
    if best is None:
        raise DataError(
            f"{path}: no table fits its headers: "
            + "; ".join(misses)
            + "; the file has: "
            + ", ".join(repr(h) for h in headers),
            hint="pass --table, or write the mapping by hand (docs/ingestion.md)",
            file=str(path),
            available=headers,
        )
    return best[1], best[2]


def _by_values(
    path: Path, headers: list[str], samples: list[list[str]], table: str | None
) -> tuple[str, dict[int, tuple[str, float]]]:
    """A file without a header row, read as an order log: the date column, the amount (a
    number with decimals, else the last number), and the customer id (a column whose
    values repeat, else the first other one). Scores are 0.5: a guess to check."""
    if table not in (None, "orders"):
        raise DataError(
            f"{path}: no header row, and only an order log (customer, date, amount) is "
            f"matched by its values, not {table}",
            hint="name the columns by position in the mapping (customer_id: column 1, …)",
            file=str(path),
        )
    got: dict[int, tuple[str, float]] = {}
    col = {c.name: c for c in TABLES["orders"].columns}
    dates = [i for i, v in enumerate(samples) if v and _fits(col["order_time"], v[:200])]
    numbers = [
        i
        for i, v in enumerate(samples)
        if v and i not in dates[:1] and all(parse_money(x) is not None for x in v[:200])
    ]
    decimals = [i for i in numbers if any("." in x for x in samples[i][:200])]
    amount = (decimals or numbers[-1:])[-1] if decimals or numbers else None
    rest = [i for i in range(len(headers)) if i not in dates[:1] and i != amount]
    repeats = [i for i in rest if len(set(samples[i])) < len(samples[i])]
    customer = (repeats or rest)[0] if repeats or rest else None
    if not dates or amount is None or customer is None:
        raise DataError(
            f"{path}: no header row, and its values do not read as an order log (a date, an "
            "amount and a customer id)",
            hint="add a header row, or name the columns by position in the mapping "
            "(header_row: 0, columns: {customer_id: column 1, …})",
            file=str(path),
            available=headers,
        )
    got[dates[0]] = ("order_time", 0.5)
    got[amount] = ("amount", 0.5)
    got[customer] = ("customer_id", 0.5)
    return "orders", got


def _closest(t: Table, column: str, headers: list[str]) -> tuple[str | None, float]:
    col = next(c for c in t.columns if c.name == column)
    scored = [(header_score(h, synonyms(t.name, col)), h) for h in headers]
    s, h = max(scored, default=(0.0, ""))
    return (h, s) if s > 0.3 else (None, 0.0)


def infer_file(
    path: Path, *, table: str | None = None, encoding: str | None = None
) -> FileInference:
    """Infer how one file maps to a canonical table (see the module docstring)."""
    if not path.is_file():
        raise DataError(f"source file {path} does not exist", file=str(path))
    suffix = path.suffix.lower()
    delimiter, header_row, enc = ",", 1, None
    if suffix in (".xlsx", ".xlsm"):
        header_row = _sheet_header_row(path)
    elif suffix not in (".parquet", ".pq"):
        enc = encoding or detect_encoding(path)
        delimiter, header_row = sniff_text(path, enc)
    notes: list[str] = []
    headers, samples = _samples(path, enc, delimiter, header_row, notes)
    if header_row == 0:
        tn, got = _by_values(path, headers, samples, table)
    else:
        tn, got = _choose_table(path, headers, samples, table)
    t = TABLES[tn]
    cols = {c.name: c for c in t.columns}
    inf = FileInference(path, tn, enc, delimiter, header_row, [], [], notes=notes)
    if header_row == 0:
        inf.warnings.append(
            f"{path.name} has no header row: its columns are named by position (column 1 …) "
            "and were matched by their values; check them"
        )
    dates: list[datetime] = []
    for i, h in enumerate(headers):
        ex = list(dict.fromkeys(samples[i]))[:3]
        if i not in got:
            inf.matches.append(Match(h, None, 0.0, ex, "not mapped: ignored"))
            continue
        name, score = got[i]
        col = cols[name]
        detail = ""
        if col.type in ("date", "timestamp"):
            detail = _date_detail(inf, h, samples[i])
            own = tuple(inf.date_format or ())
            dates += [d for d in (parse_date(v, own) for v in samples[i]) if d is not None]
        elif col.type == "money":
            detail = money_format(samples[i][:500])
        elif col.values:
            detail = _translate(inf, col, samples[i])
        inf.matches.append(Match(h, name, score, ex, detail))
    from tierwise.ingest.mapping import SYNTHESIZED

    found = {m.column for m in inf.matches}
    inf.absent = [c.name for c in t.columns if c.name not in found]
    inf.numbered = [c for c in inf.absent if (tn, c) in SYNTHESIZED]
    inf.absent = [c for c in inf.absent if c not in inf.numbered]
    if dates:
        from tierwise.ingest.mapping import Limits

        first = min(dates).date()
        if first < Limits().earliest:
            inf.earliest = date(first.year - 1, 1, 1)
    return inf


def _date_detail(inf: FileInference, header: str, values: list[str]) -> str:
    """The format of a date column; a day-first (or month-first) one becomes the source's
    ``date_format``, an undecidable one a warning."""
    fmt = day_or_month_first(values)
    if fmt is None:
        return f"format {date_format(values)}"
    if not isinstance(fmt, list):
        inf.warnings.append(
            f"{inf.path.name}: {header!r} has dates such as {values[0]!r}: no day above 12 "
            "tells day-first from month-first; set date_format (e.g. %d/%m/%Y) in the mapping"
        )
        return "format ? (day or month first: set date_format)"
    inf.date_format = fmt
    first = "day" if fmt[0].startswith("%d") else "month"
    return f"format {' or '.join(fmt)} ({first} first: a first field is above 12)"


def _translate(inf: FileInference, col: Column, values: list[str]) -> str:
    seen = list(dict.fromkeys(v.strip() for v in values))[:50]
    known = VALUES.get(col.name, {})
    table: dict[str, str] = {}
    unknown: list[str] = []
    for v in seen:
        if v in col.values:
            continue
        code = known.get(v) or known.get(v.lower())
        if code is not None:
            table[v] = code
        else:
            unknown.append(v)
    if table:
        inf.values[col.name] = table
    if unknown:
        inf.unknown_values[col.name] = unknown
    parts = [f"{k} → {v}" for k, v in table.items()]
    parts += [f"{u} → ? (not one of {', '.join(col.values or ())})" for u in unknown]
    return "; ".join(parts) or "values already canonical"


def infer(
    paths: list[Path], *, table: str | None = None, encoding: str | None = None
) -> list[FileInference]:
    """Infer every file, in the order the mapping loads them (referenced tables first).

    Raises
    ------
    DataError
        One error naming every file no table fits, with what each table lacked.
    """
    out, problems = [], []
    for p in paths:
        try:
            out.append(infer_file(p, table=table, encoding=encoding))
        except DataError as exc:
            problems.append(str(exc))
    if problems:
        raise DataError(" | ".join(problems), hint="pass --table, or write the mapping by hand")
    order = list(TABLES)
    return sorted(out, key=lambda f: order.index(f.table))


def mapping_yaml(found: list[FileInference], command: str) -> str:
    """The proposed mapping file, with a comment block a user reads before editing it."""
    lines = [
        f"# Proposed by `{command}`: check it, edit it, then ingest with it:",
        "#   tierwise ingest FILES --mapping THIS_FILE",
    ]
    for f in found:
        lines.append(f"# {f.path.name} -> {f.table}")
        for m in f.matches:
            target = f"{m.column} ({m.score:.2f})" if m.column else "unmapped"
            lines.append(f"#   {m.header} -> {target}" + (f"; {m.detail}" if m.detail else ""))
        if f.absent:
            lines.append("#   absent (left empty): " + ", ".join(f.absent))
        if f.numbered:
            lines.append("#   numbered from the file name and row: " + ", ".join(f.numbered))
        lines += [f"#   warning: {w}" for w in f.warnings]
        lines += [f"#   note: {n}" for n in f.notes]
    data: dict[str, Any] = {"sources": [f.spec() for f in found]}
    earliest = min((f.earliest for f in found if f.earliest), default=None)
    if earliest is not None:
        data["limits"] = {"earliest": earliest}
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=False)
    return "\n".join(lines) + "\n" + body

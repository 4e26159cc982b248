"""Total rows at the bottom of an export (合计 / 总计 / Total): not records (R-DAT-2, R-DAT-4).

ERP exports often end with a row summing the columns above, its first filled cell saying so.
Such a row is not a record: loading it would make a customer "合计" or quarantine it as a
row with no customer id. A total row is one whose first filled cell is a total word
(:data:`TOTAL_WORD`); the total rows at the very end of a file (blank rows between them
allowed) are skipped, and the load's notes say which rows and why, so nothing is dropped
silently. A total row in the middle of a file (a 小计 between groups) is a row like any
other: it is validated and, lacking a customer id, quarantined with its reason.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

TAIL_BYTES = 64 * 1024
TOTAL_WORD = re.compile(
    r"^(?:本页|本期|全部|总)?(?:合计|总计|小计|共计|总合计)[:：]?$"
    r"|^(?:grand\s*|sub)?totals?[:：]?$|^sum[:：]?$",
    re.IGNORECASE,
)


def is_total_row(cells: list[object]) -> bool:
    """Whether the first filled cell of a row is a total word (合计, 总计, Total …)."""
    for c in cells:
        if c is None:
            continue
        text = unicodedata.normalize("NFKC", str(c)).strip()
        if text:
            return bool(TOTAL_WORD.match(text.replace(" ", "")))
    return False


def _blank(cells: list[object]) -> bool:
    return all(c is None or not str(c).strip() for c in cells)


def note(row: int, cells: list[object]) -> str:
    """The load note of a skipped total row."""
    first = next(str(c).strip() for c in cells if c is not None and str(c).strip())
    return f"row {row} is a total row ({first!r}) at the end of the file: skipped, not a record"


def trailing_total_lines(path: Path, encoding: str, delimiter: str) -> tuple[int | None, list[str]]:
    """Where the total rows a text file ends with start (the line from which it is left
    out, blank lines between the last record and the totals included), and one note per
    line left out; ``(None, [])`` when the file does not end with a total row.

    Only the file's last :data:`TAIL_BYTES` are decoded; line numbers count the file's
    newlines (a quoted field spanning lines above them would shift them by its lines).
    """
    size = path.stat().st_size
    with open(path, "rb") as fh:
        fh.seek(max(0, size - TAIL_BYTES))
        tail = fh.read()
    lines = tail.decode(encoding, errors="replace").splitlines()
    if size > TAIL_BYTES and lines:
        lines = lines[1:]  # the first one may be cut
    start, totals = len(lines), 0
    for k in range(len(lines) - 1, -1, -1):
        text = lines[k]
        fields: list[object] = (
            list(text.split())
            if delimiter == "whitespace"
            else list(next(csv.reader([text], delimiter=delimiter), []))
        )
        if not _blank(fields) and not is_total_row(fields):
            break
        start, totals = k, totals + is_total_row(fields)
    if not totals:
        return None, []
    with open(path, "rb") as fh:
        newlines = sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b""))
    n_lines = newlines + (0 if tail.endswith(b"\n") else 1)
    first = n_lines - (len(lines) - start) + 1
    notes = []
    for k in range(start, len(lines)):
        fields = (
            list(lines[k].split())
            if delimiter == "whitespace"
            else list(next(csv.reader([lines[k]], delimiter=delimiter), []))
        )
        row = first + k - start
        if is_total_row(fields):
            notes.append(note(row, fields))
        elif lines[k].strip():
            notes.append(f"row {row} is blank, before the total row: skipped")
    return first, notes


def without_trailing_totals(
    rows: Iterator[list[object]], first_row: int, notes: list[str]
) -> Iterator[list[object]]:
    """``rows`` (numbered from ``first_row``) less the total rows they end with (and the
    blank rows between the last record and them); each row left out adds a note to
    ``notes`` when the rows run out."""
    held: list[tuple[int, list[object]]] = []
    for n, r in enumerate(rows, first_row):
        if is_total_row(r) or _blank(r):
            held.append((n, r))
            continue
        for _, h in held:
            yield h
        held = []
        yield r
    if not any(is_total_row(r) for _, r in held):
        for _, h in held:
            yield h  # blank rows at the end, no total: as any other row
        return
    for n, r in held:
        if is_total_row(r):
            notes.append(note(n, r))
        else:
            notes.append(f"row {n} is blank, before the total row: skipped")

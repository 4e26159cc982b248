"""Mapping files: which source file fills which canonical table, column by column (R-DAT-2).

A mapping is YAML validated strictly (unknown keys are errors, every error reported at once with
its key path). A canonical column not listed maps from its Chinese header (``zh`` in the model)
or from its own English name, so a mapping only lists what differs::

    sources:
      - file: orders.csv            # file name or glob, relative to the source folder
        table: orders
        encoding: gbk               # optional; detected when left out
        columns:
          amount: [订单金额, 金额]   # first header found wins
          channel: {source: 下单渠道, values: {线上: online, 线下: offline}}
"""

from __future__ import annotations

import difflib
import unicodedata
from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tierwise.errors import ConfigError, DataError
from tierwise.model.tables import TABLES, Column, Table

Format = Literal["csv", "xlsx", "parquet", "sql"]


class ColumnSpec(BaseModel):
    """How one canonical column is read from a source."""

    model_config = ConfigDict(extra="forbid")

    source: str | list[str] = Field(description="Source header, or headers tried in order.")
    values: dict[str, str] = Field(
        default_factory=dict, description="Recode source values to canonical ones."
    )
    max: Decimal | None = Field(default=None, description="Largest plausible number.")

    @property
    def headers(self) -> list[str]:
        return [self.source] if isinstance(self.source, str) else list(self.source)


class SourceSpec(BaseModel):
    """One source (file, sheet or SQL query) and the table it fills."""

    model_config = ConfigDict(extra="forbid")

    table: str
    file: str | None = None
    format: Format | None = None
    encoding: str | None = None
    sheet: str | None = None
    query: str | None = None
    delimiter: str = ","
    columns: dict[str, str | list[str] | ColumnSpec] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> SourceSpec:
        if self.table not in TABLES:
            raise ValueError(f"unknown table {self.table!r}; tables are: {', '.join(TABLES)}")
        t = TABLES[self.table]
        for name in self.columns:
            if name not in t.names:
                close = difflib.get_close_matches(name, t.names, n=1)
                raise ValueError(
                    f"table {self.table!r} has no column {name!r}"
                    + (f" (did you mean {close[0]!r}?)" if close else "")
                )
        if self.file is None and self.query is None:
            raise ValueError("give either `file` or `query`")
        return self

    def column_spec(self, col: Column) -> ColumnSpec:
        """The spec of a canonical column: the listed one, or its zh header and its name."""
        given = self.columns.get(col.name)
        if given is None:
            return ColumnSpec(source=[col.zh, col.name])
        if isinstance(given, ColumnSpec):
            return given
        return ColumnSpec(source=given)


class Limits(BaseModel):
    """Plausibility limits applied to every source of a mapping."""

    model_config = ConfigDict(extra="forbid")

    max_amount: Decimal = Field(
        default=Decimal("10000000"), description="Money above this is absurd."
    )
    earliest: date = Field(default=date(2000, 1, 1), description="Dates before this are wrong.")
    future_days: int = Field(default=1, description="Tolerance for event times after load time.")


class Mapping(BaseModel):
    """A mapping file: its sources and limits."""

    model_config = ConfigDict(extra="forbid")

    sources: list[SourceSpec]
    limits: Limits = Field(default_factory=Limits)
    recode: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="Value recodes by canonical column name, for every source (中文 -> code).",
    )

    def values_for(self, spec: SourceSpec, col: Column) -> dict[str, str]:
        """The recode table of a column: the mapping-wide one, then the source's own."""
        return {**self.recode.get(col.name, {}), **spec.column_spec(col).values}


def _format_errors(err: ValidationError) -> str:
    parts = []
    for e in err.errors():
        loc = ".".join(str(x) for x in e["loc"] if not str(x).startswith("function-after"))
        parts.append(f"{loc or '<root>'}: {e['msg']}")
    return "; ".join(parts)


def load_mapping(path: Path) -> Mapping:
    """Read and validate a mapping file; every problem reported at once with its key path."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read mapping file {path}: {exc}", file=str(path)) from None
    try:
        return Mapping.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(
            f"mapping file {path} is invalid: {_format_errors(exc)}",
            hint="see docs/ingestion.md for the mapping schema",
            file=str(path),
        ) from None


def default_mapping() -> Mapping:
    """The shipped mapping for the exports of ``tierwise generate``."""
    text = resources.files("tierwise.ingest.mappings").joinpath("generator.yaml").read_text("utf-8")
    return Mapping.model_validate(yaml.safe_load(text))


def normalize_header(h: str) -> str:
    """A header as compared with the mapping: NFKC (full width to half), no BOM, no spaces."""
    return unicodedata.normalize("NFKC", h).replace("\ufeff", "").strip().lower()


def resolve_columns(
    spec: SourceSpec, headers: list[str], source: str, encoding: str | None = None
) -> tuple[dict[str, int | None], list[str]]:
    """Find each canonical column's position among a source's headers.

    Parameters
    ----------
    spec:
        The source's mapping.
    headers:
        The source's header row.
    source:
        The source's name, for error messages.
    encoding:
        How the source was decoded (named in the hint when a column is missing).

    Returns
    -------
    positions, notes
        Canonical column -> header position (``None`` for an absent nullable column), and notes
        for the report (extra, duplicated or missing optional headers).

    Raises
    ------
    DataError
        A required column is missing (naming the headers that exist and the closest one), or a
        mapped header appears more than once.
    """
    t: Table = TABLES[spec.table]
    norm = [normalize_header(h) for h in headers]
    positions: dict[str, int | None] = {}
    notes: list[str] = []
    used: set[int] = set()
    for col in t.columns:
        cs = spec.column_spec(col)
        found: int | None = None
        for h in cs.headers:
            hits = [i for i, n in enumerate(norm) if n == normalize_header(h)]
            if len(hits) > 1:
                raise DataError(
                    f"{source}: header {h!r} (for {t.name}.{col.name}) appears {len(hits)} times, "
                    f"in columns {', '.join(str(i + 1) for i in hits)}",
                    hint="rename or remove the duplicate column so the mapping is not ambiguous",
                    file=source,
                    column=h,
                )
            if hits:
                found = hits[0]
                break
        if found is None:
            if not col.nullable:
                close = difflib.get_close_matches(
                    normalize_header(cs.headers[0]), norm, n=1, cutoff=0.3
                )
                closest = headers[norm.index(close[0])] if close else None
                raise DataError(
                    f"{source}: required column {' / '.join(repr(h) for h in cs.headers)} "
                    f"(for {t.name}.{col.name}) is missing; the file has: "
                    + ", ".join(repr(h) for h in headers),
                    hint=(f"closest match is {closest!r}; " if closest else "")
                    + (
                        f"if the headers look garbled the file is not {encoding}, pass --encoding; "
                        if encoding
                        and (
                            any("\ufffd" in h for h in headers)
                            or encoding not in ("utf-8", "utf-8-sig")
                        )
                        else ""
                    )
                    + "map it in the mapping file (columns: {"
                    + f"{col.name}: <header>"
                    + "})",
                    file=source,
                    column=col.name,
                    available=headers,
                    closest=closest,
                )
            notes.append(f"optional column {col.name} ({col.zh}) is absent; left empty")
        else:
            used.add(found)
        positions[col.name] = found
    extra = [h for i, h in enumerate(headers) if i not in used]
    if extra:
        notes.append("extra columns ignored: " + ", ".join(repr(h) for h in extra))
    dups = sorted({h for h in norm if norm.count(h) > 1})
    if dups:
        notes.append("duplicated unmapped headers: " + ", ".join(repr(h) for h in dups))
    return positions, notes

"""Row-by-row validation as one DuckDB query: text in, typed canonical rows or reasons out.

For every canonical column the query derives the trimmed text, the parsed value and the first
problem with it (missing, unparseable, not an allowed value, negative, absurd, in the future,
before the earliest plausible date, no matching row in the referenced table, undecodable
bytes). A row with no problem goes to the lake; any other row goes to quarantine with every
problem listed, the first failing column and its value, and the whole source row as JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from tierwise.ingest.mapping import SYNTHESIZED, Mapping, SourceSpec
from tierwise.model.tables import TABLES, Column

SQL_TYPES = {
    "string": "VARCHAR",
    "int32": "INTEGER",
    "int64": "BIGINT",
    "float64": "DOUBLE",
    "money": "DECIMAL(18,2)",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "bool": "BOOLEAN",
}
FULL_WIDTH = "０１２３４５６７８９．，－：／＋　"
HALF_WIDTH = "0123456789.,-:/+ "

DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日%H:%M",
    "%Y年%m月%d日",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y.%m.%d",
    "%Y%m%d",
)

_EXAMPLE = {
    "int32": "an integer",
    "int64": "an integer",
    "float64": "a number",
    "money": "an amount in yuan such as 1234.50, ¥1,234.50 or 1234.5元",
    "date": "a date such as 2025-03-05, 2025/3/5 or 2025年3月5日 (day first: set date_format)",
    "timestamp": "a date-time such as 2025-03-05 14:03:00, 2025/3/5 14:03 or 2025年3月5日 14:03 "
    "(day first, 05/03/2025: set date_format in the mapping)",
    "bool": "yes/no",
}


def q(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: object) -> str:
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def source_text(
    spec: SourceSpec, col: Column, positions: dict[str, int | None], row_prefix: str | None
) -> str:
    """The SQL text of a canonical column: its source column, the mapping's constant, a
    number from the partition and row (``row_prefix`` || ``_row``) for an id the file
    lacks, or NULL."""
    pos = positions.get(col.name)
    if pos is not None:
        return f"c{pos}"
    const = spec.constant(col)
    if const is not None:
        return lit(const)
    if row_prefix is not None and (spec.table, col.name) in SYNTHESIZED:
        return f"({lit(row_prefix)} || CAST(_row AS VARCHAR))"
    return "CAST(NULL AS VARCHAR)"


@dataclass(frozen=True)
class References:
    """Referenced key sets available as DuckDB tables: (table, column) -> SQL table name."""

    tables: dict[tuple[str, str], str]
    quarantined: dict[tuple[str, str], str] = field(default_factory=dict)


def _first(fast: str, slow: str) -> str:
    """``fast``, or ``slow`` where it is NULL.

    A CASE rather than ``coalesce``: DuckDB evaluates CASE branches only for the rows that
    reach them, while it may hoist ``coalesce`` arguments and compute them for every row
    (measured 5x slower on plain amounts).
    """
    return f"(CASE WHEN {fast} IS NOT NULL THEN {fast} ELSE {slow} END)"


def _strptime_any(text: str) -> str:
    """``try_strptime(text, DATE_FORMATS[1:])``, trying only the formats that can match.

    A format with a literal 年 or / matches only a text containing it (the other fields are
    digits), so the text's separator picks the family to try: the same result as trying the
    whole list, for a third of the cost (each failed format costs about 1 µs).
    """
    zh = [f for f in DATE_FORMATS[1:] if "年" in f]
    slash = [f for f in DATE_FORMATS[1:] if "/" in f and f not in zh]
    rest = [f for f in DATE_FORMATS[1:] if f not in zh and f not in slash]

    def attempt(fmts: list[str]) -> str:
        return f"try_strptime({text}, [{', '.join(lit(f) for f in fmts)}])"

    return (
        f"(CASE WHEN strpos({text}, '年') > 0 THEN {attempt(zh)} "
        f"WHEN strpos({text}, '/') > 0 THEN {attempt(slash)} ELSE {attempt(rest)} END)"
    )


def _parsed(col: Column, text: str, formats: tuple[str, ...] = ()) -> str:
    """The parse expression of a column; the cheap common case first, the slow fixes after.

    ``formats`` are the source's own date formats (``date_format`` in the mapping), tried
    before the usual ones: a day-first date is read only when the mapping says so.
    """
    if formats and col.type in ("date", "timestamp"):
        own = f"try_strptime(trim({text}), [{', '.join(lit(f) for f in formats)}])"
        usual = _parsed(col, text)
        cast = "DATE" if col.type == "date" else "TIMESTAMP"
        return _first(f"CAST({own} AS {cast})", usual)
    fw = "[" + FULL_WIDTH + "]"
    norm = (
        f"(CASE WHEN regexp_matches({text}, {lit(fw)}) "
        f"THEN translate({text}, {lit(FULL_WIDTH)}, {lit(HALF_WIDTH)}) ELSE {text} END)"
    )
    if col.type == "string":
        return text
    if col.type in ("int32", "int64"):
        # DuckDB's cast alone would round "1.5" to 2 and read "0x10" as 16: digits only.
        bare = f"replace({norm}, ',', '')"
        return _first(
            f"(CASE WHEN regexp_full_match({text}, '[+-]?[0-9]+') THEN TRY_CAST({text} AS BIGINT) END)",
            f"(CASE WHEN regexp_full_match({bare}, '\\s*[+-]?[0-9]+\\s*') "
            f"THEN TRY_CAST({bare} AS BIGINT) END)",
        )
    if col.type == "float64":
        return _first(
            f"TRY_CAST({text} AS DOUBLE)", f"TRY_CAST(replace({norm}, ',', '') AS DOUBLE)"
        )
    if col.type == "money":
        bare = f"regexp_replace({norm}, '[¥￥元\\s]|RMB|CNY', '', 'g')"
        # Thousands separators only in groups of three: "1,2,3.4" is not an amount.
        grouped = f"regexp_full_match({bare}, '-?[0-9]{{1,3}}(,[0-9]{{3}})+(\\.[0-9]+)?')"
        cleaned = (
            f"(CASE WHEN strpos({bare}, ',') = 0 OR {grouped} THEN replace({bare}, ',', '') END)"
        )
        return _first(f"TRY_CAST({text} AS DECIMAL(18,2))", f"TRY_CAST({cleaned} AS DECIMAL(18,2))")
    first = lit(DATE_FORMATS[0])
    spaced = f"regexp_replace(trim({norm}), '\\s+', ' ', 'g')"
    ts = _first(f"try_strptime({text}, {first})", _strptime_any(spaced))
    if col.type == "date":
        return _first(f"TRY_CAST({text} AS DATE)", f"CAST({_strptime_any(spaced)} AS DATE)")
    if col.type == "timestamp":
        return f"CAST({ts} AS TIMESTAMP)"
    if col.type == "bool":
        return (
            f"CASE WHEN lower({text}) IN ('true','1','y','yes','是') THEN TRUE "
            f"WHEN lower({text}) IN ('false','0','n','no','否') THEN FALSE END"
        )
    raise AssertionError(col.type)


def _problem(
    col: Column,
    text: str,
    value: str,
    encoding: str,
    mapping: Mapping,
    max_amount: Decimal | None,
    now: datetime,
    refs: References,
    table: str,
) -> str:
    """A CASE expression giving the column's first problem, or NULL."""
    lim = mapping.limits
    whens = [
        (
            f"strpos({text}, chr(65533)) > 0",
            lit(f"undecodable bytes: the text is not valid {encoding} (mixed encodings?)"),
        )
    ]
    if not col.nullable:
        whens.append((f"{text} IS NULL", lit("missing value")))
    if col.type != "string":
        whens.append((f"{text} IS NOT NULL AND {value} IS NULL", lit(f"not {_EXAMPLE[col.type]}")))
    if col.values:
        allowed = ", ".join(lit(v) for v in col.values)
        whens.append(
            (
                f"{value} IS NOT NULL AND {value} NOT IN ({allowed})",
                lit("not one of: " + ", ".join(col.values)),
            )
        )
    if col.type in ("int32", "int64", "float64", "money"):
        whens.append((f"{value} < 0", lit("negative value")))
    if col.type == "int32":
        whens.append((f"{value} > 2147483647", lit("too large for a 32-bit integer")))
    if col.type == "money":
        limit = max_amount if max_amount is not None else lim.max_amount
        whens.append((f"{value} > {limit}", lit(f"absurd amount: above {limit} yuan")))
    elif max_amount is not None and col.type in ("int32", "int64", "float64"):
        whens.append((f"{value} > {max_amount}", lit(f"absurd value: above {max_amount}")))
    if col.type in ("date", "timestamp"):
        latest = now + timedelta(days=lim.future_days)
        whens.append(
            (
                f"{value} > TIMESTAMP {lit(latest.strftime('%Y-%m-%d %H:%M:%S'))}",
                lit(f"in the future: after the load time {now:%Y-%m-%d %H:%M}"),
            )
        )
        whens.append(
            (
                f"{value} < DATE {lit(lim.earliest.isoformat())}",
                lit(f"implausibly old: before {lim.earliest.isoformat()}"),
            )
        )
    if col.references:
        rt, rc = col.references.split(".")
        qref = refs.quarantined.get((rt, rc))
        if qref is not None:
            whens.append(
                (
                    f"{value} IN (SELECT k FROM {qref})",
                    lit(f"its {rt} row is in quarantine (no {rt} row loaded with this {rc})"),
                )
            )
        ref = refs.tables.get((rt, rc))
        if ref is not None:
            whens.append(
                (
                    f"{value} IS NOT NULL AND {value} NOT IN (SELECT k FROM {ref})",
                    lit(f"orphan: no {rt} row has this {rc}"),
                )
            )
    body = " ".join(f"WHEN {w} THEN {r}" for w, r in whens)
    return f"CASE {body} END"


def validation_sql(
    spec: SourceSpec,
    mapping: Mapping,
    positions: dict[str, int | None],
    headers: list[str],
    *,
    encoding: str,
    now: datetime,
    refs: References,
    source_rel: str = "src",
    row_prefix: str | None = None,
) -> str:
    """The query turning a text batch into canonical columns plus ``_problems``.

    Run it on one batch at a time: the parsed values are materialized once per batch
    (``MATERIALIZED``), as every problem check reads them; without it DuckDB would parse each
    value again for each check (measured 3.5x slower).

    The result has the canonical columns (typed), ``_row``, ``_problems`` (NULL when the row is
    good), ``_column``, ``_value`` (first failing column and its text) and ``_raw`` (the source
    row as JSON, only for bad rows).
    """
    t = TABLES[spec.table]
    texts, values, problems = [], [], []
    for col in t.columns:
        raw = source_text(spec, col, positions, row_prefix)
        # Trim only the values that need it (trimming every value costs 4x).
        text_expr = (
            f"(CASE WHEN {raw} = '' THEN NULL WHEN starts_with({raw}, ' ') "
            f"OR ends_with({raw}, ' ') OR strpos({raw}, '\u3000') > 0 OR strpos({raw}, '\t') > 0 "
            f"OR strpos({raw}, '\r') > 0 THEN nullif(trim({raw}, ' \t\r\n\u3000'), '') "
            f"ELSE {raw} END)"
        )
        recode = mapping.values_for(spec, col)
        if recode:
            cases = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in recode.items())
            text_expr = f"(CASE {text_expr} {cases} ELSE {text_expr} END)"
        texts.append(f"{text_expr} AS {q('t_' + col.name)}")
        text = q("t_" + col.name)
        if col.type != "string":  # a string's value is its text: no second copy
            values.append(f"{_parsed(col, text, spec.date_formats)} AS {q('v_' + col.name)}")
        value = text if col.type == "string" else q("v_" + col.name)
        cs = spec.column_spec(col)
        problems.append(
            (
                col.name,
                text,
                _problem(col, text, value, encoding, mapping, cs.max, now, refs, t.name),
            )
        )
    p_cols = [f"{expr} AS {q('p_' + name)}" for name, _, expr in problems]
    labelled = ", ".join(
        f"CASE WHEN {q('p_' + name)} IS NOT NULL THEN {lit(name + ': ')} || {q('p_' + name)} END"
        for name, _, _ in problems
    )
    first_col = ", ".join(
        f"CASE WHEN {q('p_' + name)} IS NOT NULL THEN {lit(name)} END" for name, _, _ in problems
    )
    first_val = ", ".join(
        f"CASE WHEN {q('p_' + name)} IS NOT NULL THEN coalesce({text}, '') END"
        for name, text, _ in problems
    )
    raw_json = "json_object(" + ", ".join(f"{lit(h)}, c{i}" for i, h in enumerate(headers)) + ")"
    canon = ", ".join(
        (
            f"CAST({q('v_' + c.name)} AS INTEGER) AS {q(c.name)}"
            if c.type == "int32"
            else f"{q(('t_' if c.type == 'string' else 'v_') + c.name)} AS {q(c.name)}"
        )
        for c in t.columns
    )
    return f"""
WITH t AS (SELECT *, {", ".join(texts)} FROM {source_rel}),
v AS MATERIALIZED (SELECT *{"".join(", " + v for v in values)} FROM t),
p AS (SELECT *, {", ".join(p_cols)} FROM v),
r AS (SELECT *, nullif(concat_ws('; ', {labelled}), '') AS _problems FROM p)
SELECT {canon}, _row, _problems, CASE WHEN _problems IS NOT NULL THEN {q("t_" + t.grain[0])} END AS _key,
       CASE WHEN _problems IS NOT NULL THEN coalesce({first_col}) END AS _column,
       CASE WHEN _problems IS NOT NULL THEN coalesce({first_val}) END AS _value,
       CASE WHEN _problems IS NOT NULL THEN CAST({raw_json} AS VARCHAR) END AS _raw
FROM r
"""


def _fast_value(col: Column, raw: str) -> str:
    """The value of a plain, well-formed text (the fast branch of :func:`_parsed`)."""
    if col.type == "string":
        return raw
    if col.type == "int32":
        return f"TRY_CAST(TRY_CAST({raw} AS BIGINT) AS INTEGER)"
    if col.type == "int64":
        return f"TRY_CAST({raw} AS BIGINT)"
    if col.type == "float64":
        return f"TRY_CAST({raw} AS DOUBLE)"
    if col.type == "money":
        return f"TRY_CAST({raw} AS DECIMAL(18,2))"
    if col.type == "date":
        return f"TRY_CAST({raw} AS DATE)"
    if col.type == "timestamp":
        # DuckDB's ISO cast is 3x faster than try_strptime; the shape guard keeps it to what
        # DATE_FORMATS[0] accepts (the cast alone also takes "24:00:00", fractions, "T").
        return (
            f"CASE WHEN {raw} LIKE '____-__-__ __:__:__' AND substr({raw}, 12, 2) < '24' "
            f"THEN TRY_CAST({raw} AS TIMESTAMP) END"
        )
    return "NULL"  # bool: always through the full query


def fast_sql(
    spec: SourceSpec,
    mapping: Mapping,
    positions: dict[str, int | None],
    *,
    now: datetime,
    refs: References,
    source_rel: str = "src",
    passthrough: str = "_row",
    row_prefix: str | None = None,
) -> str:
    """A cheap first pass: typed values and ``_ok`` for rows that need no repair at all.

    A row is ``_ok`` when every value is already in its plain form (no surrounding spaces, no
    full-width digits, no currency sign, ISO time, an allowed code) and passes every check of
    :func:`validation_sql`; it then has exactly the values the full query would give. Other
    rows (a few per cent in real exports) go through the full query, which repairs or
    rejects them. Most rows thus skip trimming, recoding and the problem bookkeeping.

    ``passthrough`` is the select list kept from ``source_rel`` besides the typed values
    (``_row`` for a batch; the text columns when the loader reads a whole file).
    """
    t = TABLES[spec.table]
    lim = mapping.limits
    values, conds = [], []
    for col in t.columns:
        raw = source_text(spec, col, positions, row_prefix)
        value = _fast_value(col, raw)
        values.append(f"{value} AS {q(col.name)}")
        if col.type == "bool":
            conds.append("FALSE")
            continue
        checks = [f"{value} IS NOT NULL"]
        if col.type == "string" and not col.values:
            # Only free text needs the look for spaces to trim and undecodable bytes: a typed
            # value that casts is the value of its trimmed text (DuckDB's casts skip spaces;
            # U+3000 and U+FFFD make them fail), and a coded value must match exactly.
            checks.insert(
                0,
                f"NOT (starts_with({raw}, ' ') OR ends_with({raw}, ' ') "
                f"OR strpos({raw}, '\t') > 0 OR strpos({raw}, '\r') > 0 "
                f"OR strpos({raw}, '\u3000') > 0 OR strpos({raw}, chr(65533)) > 0)",
            )
        if col.values:
            # list_contains, not IN: DuckDB 1.4 plans an IN list inside AND as a join, and a
            # join in the whole-file first pass loses the file order its row numbers need.
            checks.append(f"list_contains([{', '.join(lit(v) for v in col.values)}], {raw})")
        if col.type in ("int32", "int64"):
            # Plain digits only (the cast alone takes "1.5" and "0x10"); others: full query.
            checks.append(f"CAST({value} AS VARCHAR) = {raw}")
        if col.type in ("int32", "int64", "float64", "money"):
            checks.append(f"{value} >= 0")
            limit = spec.column_spec(col).max
            if col.type == "money":
                checks.append(f"{value} <= {limit if limit is not None else lim.max_amount}")
            elif limit is not None:
                checks.append(f"{value} <= {limit}")
        if col.type in ("date", "timestamp"):
            latest = now + timedelta(days=lim.future_days)
            checks.append(f"{value} <= TIMESTAMP {lit(latest.strftime('%Y-%m-%d %H:%M:%S'))}")
            checks.append(f"{value} >= DATE {lit(lim.earliest.isoformat())}")
        if col.references:
            rt, rc = col.references.split(".")
            ref = refs.tables.get((rt, rc))
            if ref is not None:
                checks.append(f"{value} IN (SELECT k FROM {ref})")
        cond = "(" + " AND ".join(checks) + ")"
        if col.nullable:
            cond = f"({raw} IS NULL OR {cond})"
        conds.append(cond)
    ok = " AND ".join(f"coalesce({c}, FALSE)" for c in conds)
    return f"SELECT {passthrough}, {', '.join(values)}, {ok} AS _ok FROM {source_rel}"

"""The data-quality report of an ingest or clean run, as JSON and HTML (R-DAT-4)."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any


def write_report(data: dict[str, Any], folder: Path, stem: str) -> tuple[Path, Path]:
    """Write ``<stem>.json`` and ``<stem>.html`` into ``folder``; return both paths.

    Parameters
    ----------
    data:
        The report: ``title``, ``summary`` (name -> number or text), and ``sections``, each
        ``{"title": str, "rows": list[dict]}`` rendered as a table, plus anything else (kept in
        the JSON only).
    folder, stem:
        Where to write and the file name without extension.
    """
    folder.mkdir(parents=True, exist_ok=True)
    js = folder / f"{stem}.json"
    js.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    page = folder / f"{stem}.html"
    page.write_text(render_html(data), encoding="utf-8")
    return js, page


def _cell(v: Any) -> str:
    if isinstance(v, dict):
        return "<br>".join(f"{html.escape(str(k))}: {html.escape(str(x))}" for k, x in v.items())
    if isinstance(v, list):
        return "<br>".join(html.escape(str(x)) for x in v)
    return html.escape(str(v))


def render_html(data: dict[str, Any]) -> str:
    """A self-contained HTML page of the report (no scripts, no external assets)."""
    title = html.escape(str(data.get("title", "Data-quality report")))
    parts = [
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>",
        f"<title>{title}</title><style>body{{font-family:sans-serif;margin:2em}}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
        "padding:4px 8px;text-align:left;vertical-align:top}th{background:#f4f4f4}</style>",
        f"</head><body><h1>{title}</h1>",
    ]
    summary = data.get("summary", {})
    if summary:
        parts.append("<table>")
        parts += [f"<tr><th>{_cell(k)}</th><td>{_cell(v)}</td></tr>" for k, v in summary.items()]
        parts.append("</table>")
    for section in data.get("sections", []):
        parts.append(f"<h2>{html.escape(str(section['title']))}</h2>")
        rows = section.get("rows", [])
        if not rows:
            parts.append("<p>none</p>")
            continue
        cols = list(dict.fromkeys(k for r in rows for k in r))
        parts.append("<table><tr>" + "".join(f"<th>{_cell(c)}</th>" for c in cols) + "</tr>")
        for r in rows:
            parts.append(
                "<tr>" + "".join(f"<td>{_cell(r.get(c, ''))}</td>" for c in cols) + "</tr>"
            )
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)


def ingest_report(run: Any, *, source: str, raw: Path, home: Path) -> dict[str, Any]:
    """The report of an :class:`~tierwise.ingest.run.IngestRun`."""
    loads = [r.to_json() for r in run.loads]
    return {
        "title": "Tierwise ingest: data-quality report",
        "summary": {
            "source": source,
            "raw lake": str(raw),
            "quarantine": str(home / "quarantine"),
            "rows read": run.rows_in,
            "rows loaded": run.rows_loaded,
            "rows quarantined": run.rows_quarantined,
            "files expected but missing": ", ".join(run.missing) or "none",
        },
        "sections": [
            {
                "title": "Loads",
                "rows": [
                    {
                        "table": r["table"],
                        "source": r["source"],
                        "status": r["status"],
                        "encoding": r["encoding"],
                        "rows in": r["rows_in"],
                        "loaded": r["rows_loaded"],
                        "quarantined": r["rows_quarantined"],
                        "notes": r["notes"],
                    }
                    for r in loads
                ],
            },
            {
                "title": "Why rows were quarantined",
                "rows": [
                    {"table": r["table"], "problem": k, "rows": v}
                    for r in loads
                    for k, v in r["problems"].items()
                ],
            },
            {
                "title": "Examples of quarantined rows",
                "rows": [{"table": r["table"], **e} for r in loads for e in r["examples"]],
            },
        ],
        "loads": loads,
    }

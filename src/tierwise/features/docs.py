"""Render ``docs/features.md`` from the feature catalog (a test keeps it in sync).

Regenerate with ``uv run python -m tierwise.features.docs > docs/features.md``.
"""

from __future__ import annotations

from tierwise.features.build import GROUP_TABLES
from tierwise.features.catalog import FEATURES, NOTES


def render_features() -> str:
    """The feature catalog as Markdown."""
    lines = [
        "# Feature catalog",
        "",
        "<!-- Generated from src/tierwise/features/catalog.py; do not edit. -->",
        "",
        "One row per customer (outlet) or account as of a date (R-FEA-1..8). Rule",
        "expressions in policies use these names. *Group* is the computation that fills the",
        "feature; a grading run computes only the groups its policy needs.",
        "",
        "| feature | meaning | unit | window | group (tables read) |",
        "|---|---|---|---|---|",
    ]
    for f in FEATURES:
        tables = ", ".join(GROUP_TABLES[f.group])
        kind = " (text)" if f.kind == "text" else ""
        cells = [f"`{f.name}`{kind}", f.meaning, f.unit, f.window, f"{f.group} ({tables})"]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    lines += ["", "## Notes", ""]
    lines += [f"{i}. {n}" for i, n in enumerate(NOTES, 1)]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(render_features(), end="")

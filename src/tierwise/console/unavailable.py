"""The 360° page's "not computed for this book" block (issue 19): the features a book lacks
the inputs for (a transaction log alone has no signup dates, invoices or tickets), each with
its missing inputs, in the page's language.

The run records them (``unavailable_features`` of run.json, see
``tierwise.features.availability``) as ``table (not in the lake)`` or ``table.column (no
values)``; a Chinese page names the tables and columns by their Chinese headers.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from tierwise.api.views import unavailable_of
from tierwise.explain.terms import feature_name
from tierwise.model.tables import TABLES

if TYPE_CHECKING:
    from tierwise.console.web import Page

_INPUT = re.compile(
    r"^(?P<table>\w+)(?:\.(?P<column>\w+))? \((?P<why>not in the lake|no values)\)$"
)
_WHY_ZH = {"not in the lake": "未导入", "no values": "无数据"}


def input_text(text: str, lang: str) -> str:
    """One missing input in ``lang`` (English as recorded; Chinese by the model's headers)."""
    m = _INPUT.match(text)
    if lang != "zh" or m is None or m["table"] not in TABLES:
        return text
    t = TABLES[m["table"]]
    name = t.zh
    if m["column"]:
        col = next((c for c in t.columns if c.name == m["column"]), None)
        name += f"·{col.zh if col else m['column']}"
    return f"{name}（{_WHY_ZH[m['why']]}）"


def unavailable_block(page: Page, row: dict[str, Any]) -> dict[str, Any]:
    """What templates/_unavailable.html shows: (feature, its missing inputs) pairs."""
    found = unavailable_of(page.ctx.settings.runs_dir, row.get("run_id"), page.ctx.cache)
    return {
        "unavailable": [
            (
                feature_name(name, page.lang),
                "、".join(input_text(x, page.lang) for x in inputs)
                if page.lang == "zh"
                else ", ".join(inputs),
            )
            for name, inputs in found.items()
        ]
    }

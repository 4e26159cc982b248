"""Message content: templates with known variables, one variant per preference level.

A template is text with ``{variable}`` fields (Python's format syntax, plain names only: no
attribute, index, conversion or format spec, so a template can read nothing but the values
given). Variables: ``name`` (the outlet's name), ``tier`` (its tier label), ``progress``
(what it still needs for the next tier), ``categories`` (its preferred categories) and
``products`` (its recommended products, when recommendations exist). Anything else is
refused when the campaign is saved. A survey wave's sending (docs/surveys.md) adds ``link``
(the customer's personal answer link), known only to that send. Copy is written in Chinese
first.

``layer`` names a preference layer of the grading run (``customer_profiles.layers``); the
customer's level in it picks the variant, ``default`` otherwise.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

VARIABLES = ("name", "tier", "progress", "categories", "products")
DEFAULT = "default"
MAX_LEN = 500  # characters of one rendered message (an SMS of several parts at most)


def fields_of(text: str) -> list[str]:
    """The field names of ``text``; a malformed or non-plain field raises ``ValueError``."""
    names = []
    for _, name, spec, conv in string.Formatter().parse(text):
        if name is None:
            continue
        if not name.isidentifier() or spec or conv:
            raise ValueError(f"field {{{name}}} is not a plain {{variable}}")
        names.append(name)
    return names


def unknown_variables(text: str, extra: Sequence[str] = ()) -> list[str]:
    """The fields of ``text`` that are no known variable (malformed ones included);
    ``extra``: variables the caller adds (``link`` for a survey's sending)."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as err:  # an unmatched brace
        return [f"malformed template: {err}"]
    bad = set()
    for _, name, spec, conv in parsed:
        if name is None:
            continue
        if not name.isidentifier() or spec or conv:
            bad.add(f"{{{name}}} is not a plain {{variable}}")
        elif name not in VARIABLES and name not in extra:
            bad.add(name)
    return sorted(bad)


class Content(BaseModel):
    """``variants``: preference level (or ``default``) → template; ``layer``: the layer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    layer: str | None = Field(default=None, min_length=1, max_length=40)
    variants: dict[str, str] = Field(min_length=1)

    @field_validator("variants")
    @classmethod
    def _known(cls, v: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        # a survey's sending adds {link} (validated with context {"variables": ["link"]})
        extra = tuple((info.context or {}).get("variables", ()))
        if DEFAULT not in v:
            raise ValueError("a `default` variant is required (customers at no listed level)")
        problems = []
        for key, text in v.items():
            if not text.strip():
                problems.append(f"{key}: empty text")
            elif len(text) > MAX_LEN:
                problems.append(f"{key}: longer than {MAX_LEN} characters")
            bad = unknown_variables(text, extra)
            if bad:
                problems.append(f"{key}: unknown variable(s) {bad}; known: {', '.join(VARIABLES)}")
        if problems:
            raise ValueError("; ".join(problems))
        return v

    def variant_for(self, layers: Mapping[str, Any] | None) -> str:
        """The variant of a customer with preference ``layers`` (level per layer)."""
        if self.layer and layers:
            level = layers.get(self.layer)
            if isinstance(level, dict):  # a profile may keep {"level": ..., ...}
                level = level.get("level")
            if level is not None and str(level) in self.variants:
                return str(level)
        return DEFAULT


def render(template: str, values: Mapping[str, str]) -> str:
    """``template`` with its variables filled in (a missing value renders empty)."""
    return template.format_map({k: values.get(k, "") for k in fields_of(template)})


def progress_text(upgrade: Mapping[str, Any] | None, labels: Mapping[str, str]) -> str:
    """Progress to the next tier from a profile's ``upgrade`` (``next_tier``, ``needs``):
    e.g. ``距黄金还差 1200 元消费`` (empty for a top-tier customer or without a path)."""
    up = upgrade or {}
    nxt = up.get("next_tier")
    if not nxt:
        return ""
    label = labels.get(str(nxt), str(nxt))
    needs = up.get("needs") or {}
    spend = next((v for k, v in needs.items() if "spend" in k and v), None)
    orders = next((v for k, v in needs.items() if "orders" in k and v), None)
    if spend is not None and float(spend) > 0:
        return f"距{label}还差 {float(spend):,.0f} 元消费"
    if orders is not None and float(orders) > 0:
        return f"距{label}还差 {float(orders):.0f} 单"
    return f"距{label}更近一步"


def values_of(profile: Mapping[str, Any], labels: Mapping[str, str], *,
              products: list[str] | None = None) -> dict[str, str]:  # fmt: skip
    """The variables of one customer from their profile row (``customer_profiles``)."""
    tier = profile.get("tier")
    layers = profile.get("layers") or {}
    cats = [str(v) for k, v in layers.items() if "categor" in k or "cuisine" in k]
    if not cats and profile.get("cuisine"):
        cats = [str(profile["cuisine"])]
    return {
        "name": str(profile.get("name") or ""),
        "tier": labels.get(str(tier), str(tier)) if tier else "",
        "progress": progress_text(profile.get("upgrade"), labels),
        "categories": "、".join(cats),
        "products": "、".join((products or [])[:3]),
    }


SAMPLE = {
    "name": "川味小馆(示例)",
    "tier": "黄金",
    "progress": "距铂金还差 1,200 元消费",
    "categories": "火锅、川菜",
    "products": "郫县豆瓣、干辣椒、花椒油",
}


def preview(content: Content, values: Mapping[str, str] | None = None) -> dict[str, str]:
    """Each variant rendered for ``values`` (a sample customer by default)."""
    v = values or SAMPLE
    return {key: render(text, v) for key, text in content.variants.items()}

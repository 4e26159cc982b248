"""Checks the pydantic schema cannot express: rules, feature names, level order, benefits.

They walk the raw YAML data, tolerating structural errors, so that a policy with a typo in a
key *and* an unknown feature in a rule reports both at once.
"""

from __future__ import annotations

from typing import Any

from tierwise.features.catalog import CATALOG
from tierwise.policy.names import RESERVED, Stage, name_types
from tierwise.policy.parsed import rule
from tierwise.policy.presets import PRESETS
from tierwise.policy.rules import RuleError, did_you_mean

Problem = tuple[str, str]  # (key path, message)


def check_raw(data: dict[str, Any]) -> list[Problem]:
    """Every semantic problem of a raw policy mapping, as (key path, message) pairs."""
    out: list[Problem] = []
    preds = _predictions(out, data.get("predictions"))
    elig = data.get("eligibility")
    if isinstance(elig, dict):
        _rule(out, "eligibility.when", elig.get("when"), "eligibility")
    score = data.get("score")
    if isinstance(score, dict):
        _score(out, score)
    tiers = data.get("tiers")
    codes: list[str] = []
    if isinstance(tiers, dict):
        codes = _levels(out, "tiers.levels", tiers.get("levels"), "score", tiers.get("method"))
    layers = data.get("layers")
    if isinstance(layers, dict):
        for name, layer in layers.items():
            if isinstance(layer, dict):
                path = f"layers.{name}.levels"
                _levels(out, path, layer.get("levels"), "labels", "threshold", preds)
    seg = data.get("segments")
    if isinstance(seg, dict):
        _levels(out, "segments.levels", seg.get("levels"), "labels", "threshold", preds)
    for i, tag in enumerate(data.get("tags") or []):
        if isinstance(tag, dict):
            _rule(out, f"tags[{i}].when", tag.get("when"), "labels", preds)
    retention = data.get("retention")
    if isinstance(retention, dict):
        tag_codes = [t.get("code") for t in data.get("tags") or [] if isinstance(t, dict)]
        tag = retention.get("tag", "churn_warning")
        if tag not in tag_codes:
            known = ", ".join(str(c) for c in tag_codes) or "none"
            out.append(("retention.tag", f"{tag!r} is not a tag of this policy ({known})"))
    if isinstance(tiers, dict) and isinstance(tiers.get("levels"), list):
        for i, level in enumerate(tiers["levels"]):
            _benefit_codes(out, i, level.get("benefits") if isinstance(level, dict) else None)
    benefits = data.get("benefits")
    if isinstance(benefits, dict) and codes:
        for key in benefits:
            if key not in codes:
                out.append((f"benefits.{key}", f"{key!r} is not a tier code ({', '.join(codes)})"))
    return out


def _benefit_codes(out: list[Problem], i: int, specs: Any) -> None:
    """A tier gives each benefit code once (a customer holds one grant per code)."""
    if not isinstance(specs, list):
        return
    seen: set[str] = set()
    for spec in specs:
        if not isinstance(spec, dict):
            continue
        code = spec.get("code") or spec.get("kind")
        if isinstance(code, str) and code in seen:
            out.append(
                (
                    f"tiers.levels[{i}].benefits",
                    f"code {code!r} appears twice in this tier; give one of them a code",
                )
            )
        elif isinstance(code, str):
            seen.add(code)


_OUTPUT_PREFIXES = ("contrib_", "tag_", "layer_", "need_", "_")
_OUTPUT_NAMES = {"pct_position", "segment", "rfm_segment"}


def _predictions(out: list[Problem], preds: Any) -> list[str]:
    """The declared prediction columns; a column that shadows another name is a problem."""
    if not isinstance(preds, dict) or not isinstance(preds.get("columns"), list):
        return []
    cols = [c for c in preds["columns"] if isinstance(c, str)]
    taken = set(name_types("labels")) | RESERVED | _OUTPUT_NAMES
    for i, col in enumerate(preds["columns"]):
        if not isinstance(col, str):
            continue
        if col in taken or col.startswith(_OUTPUT_PREFIXES):
            out.append(
                (f"predictions.columns[{i}]", f"{col!r} is already a feature or output name")
            )
        elif cols.count(col) > 1:
            out.append((f"predictions.columns[{i}]", f"{col!r} appears more than once"))
    return cols


def _rule(
    out: list[Problem], path: str, text: Any, stage: Stage, preds: list[str] | None = None
) -> None:
    if not isinstance(text, str):
        return
    try:
        rule(text, stage, preds or ())
    except RuleError as err:
        out.append((path, str(err)))


def _feature(out: list[Problem], path: str, name: Any) -> None:
    if not isinstance(name, str):
        return
    f = CATALOG.get(name)
    if f is None:
        out.append((path, f"unknown feature {name!r}{did_you_mean(name, CATALOG)}"))
    elif f.kind != "number":
        out.append((path, f"feature {name!r} is text; a score needs a number"))


def _score(out: list[Problem], score: dict[str, Any]) -> None:
    method = score.get("method")
    if method in ("rfm_formula", "rfm_quantile"):
        for key in ("recency", "frequency", "monetary"):
            if key in score:
                _feature(out, f"score.{key}", score[key])
    if method == "rfm_quantile":
        _levels(out, "score.segments", score.get("segments"), "score", "threshold")
    if method == "weighted":
        weights = score.get("weights") or {}
        if isinstance(weights, dict):
            for name in weights:
                _feature(out, f"score.weights.{name}", name)
            if not weights and not score.get("preset"):
                out.append(
                    ("score.weights", "give weights or a preset (" + ", ".join(PRESETS) + ")")
                )


def _levels(
    out: list[Problem],
    path: str,
    levels: Any,
    stage: Stage,
    method: Any,
    preds: list[str] | None = None,
) -> list[str]:
    if not isinstance(levels, list):
        return []
    codes = [lv.get("code") for lv in levels if isinstance(lv, dict)]
    for code in {c for c in codes if codes.count(c) > 1}:
        out.append((path, f"level code {code!r} appears more than once"))
    last = len(levels) - 1
    prev_top = 0.0
    for i, lv in enumerate(levels):
        if not isinstance(lv, dict):
            continue
        p = f"{path}[{i}]"
        when, top = lv.get("when"), lv.get("top")
        rules = [when] if isinstance(when, str) else when if isinstance(when, list) else []
        for j, text in enumerate(rules):
            where = f"{p}.when" + (f"[{j}]" if isinstance(when, list) else "")
            _rule(out, where, text, stage, preds)
        if method == "percentile":
            if when is not None:
                out.append((f"{p}.when", "percentile tiers rank by score; use top, not when"))
            if i < last and not isinstance(top, int | float):
                out.append((f"{p}.top", "every level but the last needs top (cumulative share)"))
            elif i == last and top is not None:
                out.append((f"{p}.top", "the last level takes everybody else; remove top"))
            elif isinstance(top, int | float):
                if top <= prev_top:
                    out.append(
                        (f"{p}.top", f"top {top} must be above the level before ({prev_top})")
                    )
                prev_top = float(top)
        else:
            if top is not None:
                out.append((f"{p}.top", "top belongs to percentile tiers; use when"))
            if when is None and i < last:
                out.append((f"{p}.when", "this level needs a rule (only the last one may omit it)"))
            elif i == last and when is not None:
                out.append((f"{p}.when", "the last level catches everybody else; remove when"))
    return [c for c in codes if isinstance(c, str)]

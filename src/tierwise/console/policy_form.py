"""The policy page's form (issue 18 finding 6): weights and thresholds as fields beside the
YAML, and the check's problems in the page's language with their line.

Fields are read from the YAML text itself (:func:`tierwise.policy.source.scalars`): a field
is one number of the file — a score weight or step, a tier's ``top``, a number compared in a
rule (``orders_365d >= 6``), the look-back and the stability settings — and changing it
rewrites exactly those characters, so the YAML that is checked, dry-run and published is the
one beside the form, comments included. The YAML is the single source: the fields are
re-read from it after every edit of the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from tierwise.errors import UsageError
from tierwise.explain.terms import feature_name
from tierwise.policy.keys import path_parts
from tierwise.policy.source import Scalar, scalars, splice

#: ``name op number`` inside a rule, the number not the start of an arithmetic term
_COMPARE = re.compile(
    r"\b([A-Za-z_][A-Za-z0-9_]*)\s*(>=|<=|==|!=|>|<)\s*(-?\d+(?:\.\d+)?)(?!\s*[*/+\-]|\.?\d)"
)
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_GENERAL = (
    "lookback_days",
    "stability.downgrade_after_runs",
    "stability.downgrade_after_days",
    "stability.max_steps_down",
    "stability.stay_margin",
)
_RFM = ("R", "F", "M")
_STEPS = {"recency_step_days", "frequency_step", "monetary_step"}
_RULE_OWNERS = re.compile(
    r"^(eligibility|tiers\.levels\[\d+\]|layers\.[^.]+\.levels\[\d+\]|segments\.levels\[\d+\]"
    r"|tags\[\d+\])\.when(\[\d+\])?$"
)


@dataclass(frozen=True)
class FormField:
    """One number of the policy as a form field: ``id`` names it (a key path, or
    ``path#k`` for the k-th number compared in a rule); ``start``/``end`` locate it."""

    id: str
    group: str  # general | weights | tiers | rules
    label: str
    value: str
    start: int
    end: int
    line: int


def fields(text: str, lang: str) -> list[FormField]:
    """The form fields of a policy text, in file order within each group."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return []
    if not isinstance(data, dict):
        return []
    out: list[FormField] = []
    for s in scalars(text):
        out += _fields_of(s, text, data, lang)
    order = {"general": 0, "weights": 1, "tiers": 2, "rules": 3}
    return sorted(out, key=lambda f: (order[f.group], f.start))


def _fields_of(s: Scalar, text: str, data: dict[str, Any], lang: str) -> list[FormField]:
    zh = lang == "zh"
    parts = path_parts(s.path)
    if s.path in _GENERAL and _NUMBER.match(s.value):
        return [_field(s, "general", _GENERAL_LABELS[s.path][0 if zh else 1])]
    if parts[:2] == ["score", "weights"] and len(parts) == 3 and _NUMBER.match(s.value):
        key = parts[2]
        name = _RFM[key] if isinstance(key, int) and key < 3 else feature_name(str(key), lang)
        return [_field(s, "weights", name)]
    if parts[0] == "score" and len(parts) == 2 and parts[1] in _STEPS and _NUMBER.match(s.value):
        return [_field(s, "weights", _STEP_LABELS[str(parts[1])][0 if zh else 1])]
    if len(parts) == 4 and parts[:2] == ["tiers", "levels"] and parts[3] == "top":
        owner = _owner_label(data, parts[:3], lang)
        return [_field(s, "tiers", f"{owner} · {'累计占比' if zh else 'cumulative share'}")]
    if _RULE_OWNERS.match(s.path):
        owner = _owner_label(data, parts[: parts.index("when")], lang)
        raw = text[s.start : s.end]
        found: list[FormField] = []
        for k, m in enumerate(_COMPARE.finditer(raw)):
            label = f"{owner} · {feature_name(m.group(1), lang)} {m.group(2)}"
            start = s.start + m.start(3)
            end = start + len(m.group(3))
            found.append(FormField(f"{s.path}#{k}", "rules", label, m.group(3), start, end, s.line))
        return found
    return []


def _field(s: Scalar, group: str, label: str) -> FormField:
    return FormField(s.path, group, label, s.value, s.start, s.end, s.line)


def _owner_label(data: dict[str, Any], parts: list[str | int], lang: str) -> str:
    """The label of the level or tag at ``parts`` in ``lang`` (its code without one)."""
    if parts == ["eligibility"]:
        return "参与分级" if lang == "zh" else "Eligibility"
    node: Any = data
    for part in parts:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return str(parts[-1])
    label = node.get("label") if isinstance(node, dict) else None
    if isinstance(label, dict) and label.get(lang if lang == "zh" else "en"):
        return str(label[lang if lang == "zh" else "en"])
    return str(node.get("code", parts[-1])) if isinstance(node, dict) else str(parts[-1])


def apply(text: str, values: dict[str, str]) -> str:
    """``text`` with the fields named in ``values`` set to those numbers.

    A value that is not a number is refused (:class:`UsageError` naming the field); a field
    the text no longer has is ignored (the text was edited meanwhile and wins).
    """
    edits = []
    for f in fields(text, "en"):
        new = values.get(f.id)
        if new is None or new.strip() == f.value:
            continue
        new = new.strip()
        try:
            Decimal(new)
        except InvalidOperation:
            raise UsageError(f"{f.label}: {new!r} is not a number", field=f.id) from None
        if not _NUMBER.match(new):
            raise UsageError(f"{f.label}: {new!r} is not a number", field=f.id)
        edits.append((f.start, f.end, new))
    return splice(text, edits)


_GENERAL_LABELS = {
    "lookback_days": ("回看天数", "Look-back (days)"),
    "stability.downgrade_after_runs": (
        "连续几次运行低于等级才降级",
        "Runs below before a downgrade",
    ),
    "stability.downgrade_after_days": ("低于等级几天后降级", "Days below before a downgrade"),
    "stability.max_steps_down": ("每次最多降几级", "Most tiers down per run"),
    "stability.stay_margin": ("保级余量", "Stay margin"),
}
_STEP_LABELS = {
    "recency_step_days": ("R 每档天数", "R: days per step"),
    "frequency_step": ("F 每档订单数", "F: orders per step"),
    "monetary_step": ("M 每档金额（元）", "M: yuan per step"),
}


# pydantic's error kinds in Chinese ({...} from the error's ctx); the English is pydantic's own
_KINDS_ZH = {
    "missing": "缺少必填字段",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "应不小于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "应不大于 {le}",
    "literal_error": "应为以下之一：{expected}",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "string_type": "应为文本",
    "string_pattern_mismatch": "格式不符（应匹配 {pattern}）",
    "string_too_long": "太长（最多 {max_length} 个字符）",
    "too_short": "至少需要 {min_length} 项",
    "dict_type": "应为键值映射",
    "model_type": "应为键值映射",
    "model_attributes_type": "应为键值映射",
    "list_type": "应为列表",
    "tuple_type": "应为列表",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "union_tag_invalid": "{discriminator} 应为以下之一：{expected_tags}",
    "union_tag_not_found": "缺少 {discriminator}",
    "yaml": "YAML 语法错误（第 {column} 列）",
}
# the semantic checks' messages (tierwise.policy.check, rules) that read best in Chinese
_CHECKS_ZH = (
    (
        re.compile(r"^unknown (?:name|feature) '([^']+)'.*?(?:did you mean '([^']+)'.*)?$"),
        lambda m: f"未知特征 {m[1]}" + (f"，是否为 {m[2]}？" if m[2] else ""),
    ),
    (
        re.compile(r"^top (\S+) must be above the level before \((\S+)\)$"),
        lambda m: f"累计占比 {m[1]} 应大于上一级的 {m[2]}",
    ),
    (
        re.compile(r"^every level but the last needs top"),
        lambda m: "除最后一级外都需要 top（累计占比）",
    ),
    (
        re.compile(r"^the last level takes everybody else; remove top"),
        lambda m: "最后一级包含其余所有客户，请删除 top",
    ),
    (
        re.compile(r"^level code '([^']+)' appears more than once"),
        lambda m: f"等级代码 {m[1]} 重复",
    ),
    (re.compile(r"^'([^']+)' is not a tier code"), lambda m: f"{m[1]} 不是本策略的等级代码"),
    (re.compile(r"^cannot parse"), lambda m: "规则无法解析：" + m.string),
)


def problem_text(problem: dict[str, Any], lang: str) -> str:
    """One problem of :func:`tierwise.api.grading.check` as the page shows it:
    ``lookback_dayz：未知字段，是否为 lookback_days？`` (zh) or
    ``lookback_dayz: unknown key; did you mean lookback_days?`` (en)."""
    parts = [p for p in path_parts(str(problem.get("path", ""))) if isinstance(p, str)]
    key = parts[-1] if parts and not str(problem["path"]).startswith("(") else ""
    if lang != "zh":
        return f"{key}: {problem['message']}" if key else str(problem["message"])
    kind = problem.get("kind")
    if kind == "extra_forbidden":
        hint = problem.get("suggestion")
        msg = "未知字段" + (f"，是否为 {hint}？" if hint else "")
    elif kind in _KINDS_ZH:
        try:
            msg = _KINDS_ZH[str(kind)].format(**(problem.get("ctx") or {}))
        except (KeyError, IndexError):
            msg = str(problem["message"])
    else:
        msg = next(
            (f(m) for rx, f in _CHECKS_ZH if (m := rx.match(str(problem["message"])))),
            str(problem["message"]),
        )
    return f"{key}：{msg}" if key else msg

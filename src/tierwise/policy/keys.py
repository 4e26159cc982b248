"""The keys a policy allows at a key path, and the closest one to a mistyped key.

Read off the pydantic models of :mod:`tierwise.policy.schema`, so that a new field is known
here without a second list: ``lookback_dayz`` at the top suggests ``lookback_days``,
``score.weigths`` suggests ``weights`` (every scoring method's keys count), and a benefit's
``{zh, en}`` text suggests ``zh``/``en``.
"""

from __future__ import annotations

import difflib
import re
import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from tierwise.policy.schema import Policy

_PART = re.compile(r"\[(\d+)\]|([^.\[\]]+)")


def path_parts(path: str) -> list[str | int]:
    """``tiers.levels[2].top`` → ``["tiers", "levels", 2, "top"]``."""
    return [int(i) if i else name for i, name in _PART.findall(path)]


def _members(tp: Any) -> list[Any]:
    """``tp`` without ``Annotated``, ``Optional`` and unions: the types a value may have."""
    origin = get_origin(tp)
    if origin is Annotated:
        return _members(get_args(tp)[0])
    if origin is Union or isinstance(tp, types.UnionType):
        return [m for arg in get_args(tp) for m in _members(arg)]
    return [] if tp is type(None) else [tp]


def _step(tp: Any, part: str | int) -> list[Any]:
    """The types one level below ``tp`` at ``part`` (a key or a list index)."""
    out: list[Any] = []
    for m in _members(tp):
        origin = get_origin(m)
        if isinstance(part, int) and origin in (list, tuple):
            out += [a for a in get_args(m) if a is not Ellipsis]
        elif isinstance(part, str) and origin is dict:
            out.append(get_args(m)[1])
        elif isinstance(part, str) and isinstance(m, type) and issubclass(m, BaseModel):
            field = m.model_fields.get(part)
            if field is not None:
                out.append(field.annotation)
    return out


def known_keys(parent: str | list[str | int]) -> list[str]:
    """The keys the policy schema allows in the mapping at ``parent`` (``""``: the top)."""
    parts = path_parts(parent) if isinstance(parent, str) else parent
    current: list[Any] = [Policy]
    for part in parts:
        current = [t for tp in current for t in _step(tp, part)]
    keys: list[str] = []
    for tp in current:
        for m in _members(tp):
            if isinstance(m, type) and issubclass(m, BaseModel):
                keys += [k for k in m.model_fields if k not in keys]
    return keys


def suggest_key(path: str) -> str | None:
    """The allowed key closest to the last key of ``path`` (difflib), or None."""
    parts = path_parts(path)
    if not parts or not isinstance(parts[-1], str):
        return None
    close = difflib.get_close_matches(parts[-1], known_keys(parts[:-1]), n=1, cutoff=0.6)
    return close[0] if close else None

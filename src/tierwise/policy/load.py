"""Load a policy file: YAML → validated :class:`Policy`, every problem reported at once."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from tierwise.errors import PolicyError
from tierwise.policy.benefits import KINDS
from tierwise.policy.check import check_raw
from tierwise.policy.keys import suggest_key
from tierwise.policy.schema import Policy


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("rfm_formula", "rfm_quantile", "weighted", "model"):
            continue  # the discriminator tag pydantic adds to the path
        elif part in KINDS:
            continue  # the discriminator tag of a structured benefit (policy.benefits)
        elif part in ("benefit_label", "benefit_plain"):
            continue  # the tag of a benefit value's kind (schema.BenefitValue)
        else:
            out += ("." if out else "") + str(part)
    return out or "(top)"


def parse_policy(data: Any, *, source: str = "<policy>") -> Policy:
    """Validate raw policy data; raise one :class:`PolicyError` listing every problem."""
    if not isinstance(data, dict):
        raise PolicyError(f"{source}: a policy is a mapping of keys", file=source, problems=[])
    problems: list[dict[str, Any]] = []
    policy: Policy | None = None
    try:
        policy = Policy.model_validate(data)
    except ValidationError as err:
        for e in err.errors():
            problems.append(_problem(_loc(e["loc"]), e["type"], e["msg"], e.get("ctx")))
    problems += [{"path": p, "message": m} for p, m in check_raw(data)]
    if problems or policy is None:
        listing = "; ".join(f"{p['path']}: {p['message']}" for p in problems)
        raise PolicyError(
            f"{source}: {len(problems)} problem(s): {listing}",
            hint="see docs/policy.md",
            file=source,
            problems=problems,
        )
    return policy


def _problem(path: str, kind: str, msg: str, ctx: dict[str, Any] | None) -> dict[str, Any]:
    """One schema problem: the key path, the message, pydantic's error ``kind`` and its
    ``ctx`` (for translations), and for an unknown key the closest allowed key."""
    out: dict[str, Any] = {"path": path, "message": msg, "kind": kind}
    if ctx:
        out["ctx"] = {k: v if isinstance(v, int | float | str) else str(v) for k, v in ctx.items()}
    if kind == "extra_forbidden":
        out["message"] = "unknown key"
        close = suggest_key(path)
        if close:
            out["suggestion"] = close
            out["message"] = f"unknown key; did you mean {close}?"
    return out


def read_yaml(path: Path, *, what: str = "") -> Any:
    """The YAML document at ``path``; one :class:`PolicyError` naming the file (and the line
    and column of a syntax error) when it cannot be read or parsed. Every policy file (the
    grading policy and the operations modules' policies) is read through here."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise PolicyError(f"cannot read {what}{path}: {err.strerror}", file=str(path)) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise PolicyError(f"{path}: not valid YAML{where}", file=str(path)) from None


M = TypeVar("M", bound=BaseModel)


def parse_module_policy(
    model: type[M],
    data: Any,
    *,
    source: str,
    what: str,
    hint: str,
    message: Callable[[ErrorDetails], str | None] = lambda e: None,
    more: Callable[[Any, list[tuple[str, str]]], None] = lambda data, problems: None,
    bare_top: bool = False,
) -> M:
    """An operations module's policy (``what``: "visit policy", ...) from raw ``data``, or one
    :class:`PolicyError` listing every problem with its key path (``(top)`` for the whole).

    The one validation of the modules' policies (visits, surveys, credit, recommendations);
    :func:`read_yaml` is their one reader. Each pydantic error reads "unknown key" for a key
    the model forbids, a validator's own message for a ``ValueError``, or ``message(error)``
    when that gives one. ``more(data, problems)`` may add problems after a failed validation
    (checks across keys). ``bare_top``: a ``(top)`` problem is listed without its path.
    """
    if not isinstance(data, dict):
        raise PolicyError(f"{source}: a {what} is a mapping of keys", file=source)
    try:
        return model.model_validate(data)
    except ValidationError as err:
        problems: list[tuple[str, str]] = []
        for e in err.errors():
            msg = "unknown key" if e["type"] == "extra_forbidden" else e["msg"]
            if e["type"] == "value_error" and "ctx" in e:
                msg = str(e["ctx"]["error"])
            msg = message(e) or msg
            problems.append((".".join(str(p) for p in e["loc"]) or "(top)", msg))
        more(data, problems)
        listing = "; ".join(m if bare_top and p == "(top)" else f"{p}: {m}" for p, m in problems)
        raise PolicyError(
            f"{source}: {len(problems)} problem(s): {listing}",
            hint=hint,
            file=source,
            problems=[{"path": p, "message": m} for p, m in problems],
        ) from None


def load_policy(path: Path) -> Policy:
    """Read and validate the policy file at ``path``."""
    return parse_policy(read_yaml(path, what="policy "), source=str(path))


def policy_hash(policy: Policy) -> str:
    """SHA-256 of the policy's canonical JSON: the same rules give the same hash."""
    data = policy.model_dump(mode="json")
    # keys added after policies were first hashed are left out while unused, so that a
    # policy that does not use them keeps the hash its published runs carry
    for level in data["tiers"]["levels"]:
        if not level.get("benefits"):
            level.pop("benefits", None)
    if not data["stability"].get("benefit_grace_days"):
        data["stability"].pop("benefit_grace_days", None)
    if data.get("review") is None:
        data.pop("review", None)
    elif not data["review"].get("four_eyes"):
        data["review"].pop("four_eyes", None)
    blob = json.dumps(data, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()

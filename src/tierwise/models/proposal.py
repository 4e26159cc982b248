"""Learned weights offered as a proposed policy (R-GRD-8, R-GRD-12).

The proposal is the current policy with its ``score`` replaced by a ``weighted`` score on the
learned weights (``normalize: percentile``, the normalization the weights were fitted under,
see :mod:`tierwise.models.weights`); tiers, layers, tags, benefits and stability stay. It is
validated like any policy file, written as YAML, and reviewed with the dry-run diff
(:func:`tierwise.pipeline.diff.policy_diff`) before anybody publishes it.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy import Engine

from tierwise.errors import DataError, NotFoundError, PolicyError, UsageError
from tierwise.policy.load import parse_policy
from tierwise.policy.parsed import rules_of
from tierwise.policy.schema import Policy

_SUFFIX = "-learned"
_RFM_COMPONENTS = frozenset({"r_score", "f_score", "m_score"})


def proposed_policy(current: Policy, weights: dict[str, float]) -> Policy:
    """``current`` scored by the learned ``weights`` instead of its own score."""
    if not weights:
        raise DataError("no learned weights to propose", hint="fit them on more history")
    data = current.model_dump(mode="json", exclude_defaults=True)
    base = current.name.removesuffix(_SUFFIX)
    data["name"] = (base[: 80 - len(_SUFFIX)] + _SUFFIX) if base else "learned"
    data["score"] = {
        "method": "weighted",
        "normalize": "percentile",
        "weights": {k: round(float(v), 6) for k, v in weights.items()},
    }
    data["description"] = (
        f"{current.name} with learned weights (tierwise model weights): " + current.description
    ).strip()
    # r_score / f_score / m_score exist only under an RFM score (the policy check lets them
    # through at any stage, the grading would fail): refuse such a proposal here, clearly.
    used = rules_of(current).names
    rfm_only = sorted(used & _RFM_COMPONENTS)
    if rfm_only:
        raise UsageError(
            f"the learned weights cannot replace the score of policy {current.name!r}: its "
            f"rules use {', '.join(rfm_only)}, which only an RFM score has",
            hint="edit those rules or start from another policy (--policy)",
        )
    try:
        return parse_policy(data, source=f"<proposal from {current.name}>")
    except PolicyError as err:
        raise UsageError(
            f"the learned weights cannot replace the score of policy {current.name!r}: {err}",
            hint="edit the policy or start from another one (--policy)",
        ) from err


def policy_yaml(policy: Policy, note: str = "") -> str:
    """The policy as a YAML file (defaults left out), with a comment on top."""
    head = "".join(f"# {line}\n" for line in note.splitlines()) if note else ""
    body = yaml.safe_dump(
        policy.model_dump(mode="json", exclude_defaults=True),
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )
    return head + body


def write_policy(policy: Policy, path: Path, note: str = "") -> Path:
    """Write ``policy`` as YAML to ``path`` (folders created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(policy_yaml(policy, note), encoding="utf-8")
    return path


def published_policy(engine: Engine, runs: Path) -> Policy:
    """The policy of the current published run (as recorded in its ``run.json``)."""
    from tierwise.grading.handoff import read_run
    from tierwise.store.runs import RunStore

    current = RunStore(engine).current_run()
    if current is None or not (runs / current.id).is_dir():
        raise NotFoundError(
            "no published run to take the current policy from",
            hint="grade and publish first (`tierwise grade --publish`) or pass --policy",
        )
    return read_run(runs / current.id).policy

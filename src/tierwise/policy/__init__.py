"""Grading policies: schema, loading, rule expressions, and the grading engine.

The loaders are imported on first use (PEP 562): importing a submodule such as
``tierwise.policy.names`` runs this file first, and a command's ``--help`` should not pay
for the policy machinery (issue 19 item 7).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tierwise.lazy import lazy_exports

if TYPE_CHECKING:
    from tierwise.policy.load import load_policy, parse_policy, policy_hash
    from tierwise.policy.schema import Policy

#: the shipped example policies (a source checkout's ``policies/`` folder)
POLICIES_DIR = Path(__file__).resolve().parents[3] / "policies"
DEFAULT_POLICY = POLICIES_DIR / "kuailv-tuned.yaml"

__all__ = ["DEFAULT_POLICY", "POLICIES_DIR", "Policy", "load_policy", "parse_policy", "policy_hash"]

_LAZY = {
    "load_policy": "tierwise.policy.load",
    "parse_policy": "tierwise.policy.load",
    "policy_hash": "tierwise.policy.load",
    "Policy": "tierwise.policy.schema",
}

__getattr__ = lazy_exports(__name__, globals(), _LAZY)

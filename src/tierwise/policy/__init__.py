"""Grading policies: schema, loading, rule expressions, and the grading engine."""

from pathlib import Path

from tierwise.policy.load import load_policy, parse_policy, policy_hash
from tierwise.policy.schema import Policy

#: the shipped example policies (a source checkout's ``policies/`` folder)
POLICIES_DIR = Path(__file__).resolve().parents[3] / "policies"
DEFAULT_POLICY = POLICIES_DIR / "kuailv-tuned.yaml"

__all__ = ["DEFAULT_POLICY", "POLICIES_DIR", "Policy", "load_policy", "parse_policy", "policy_hash"]

"""Grading policies: schema, loading, rule expressions, and the grading engine."""

from tierwise.policy.load import load_policy, parse_policy, policy_hash
from tierwise.policy.schema import Policy

__all__ = ["Policy", "load_policy", "parse_policy", "policy_hash"]

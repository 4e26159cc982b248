"""Explanations: structured reason codes for every grading, rendered in zh-CN or English."""

from tierwise.explain.reasons import Reason, explain
from tierwise.explain.render import render

__all__ = ["Reason", "explain", "render"]

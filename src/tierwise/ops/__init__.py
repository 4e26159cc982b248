"""Tiered operations (R-OPS-*): what the grading drives."""

"""Grading runs: execute a policy on a lake as of a date and write the result."""

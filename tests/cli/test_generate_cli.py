"""How `tierwise demo` prints a registered model's metrics."""

from __future__ import annotations

import pytest

from tierwise.cli.generate import _metric


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (2000.0, "2,000"),  # a count, not "2e+03"
        (-59_812.4, "-59,812"),  # a log-likelihood, not "-6e+04"
        (5873.2, "5,873"),
        (0.9712, "0.971"),
        (0.0165, "0.0165"),
        (0.05, "0.05"),
    ],
)
def test_metrics_read_as_numbers_not_scientific_notation(value: float, shown: str) -> None:
    assert _metric(value) == shown

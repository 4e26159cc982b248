"""The world: a generated book run forward under a plan, with the true effects written down.

``simulate(book, plan, out)`` runs the book's customers forward from the day after the book
under a plan (arms of customers and treatments), computes each customer's outcome with and
without its treatment using common random numbers, and writes the assigned world's lake and
exports plus ``truth/`` (effects.parquet, assignment, latent parameters, staples). See
docs/generator.md for the plan schema, the response models and the truth files.
"""

from __future__ import annotations

from tierwise.world.plan import KINDS, Arm, Plan, load_plan, parse_plan
from tierwise.world.run import METRICS, SimulationResult, simulate

__all__ = [
    "KINDS",
    "METRICS",
    "Arm",
    "Plan",
    "SimulationResult",
    "load_plan",
    "parse_plan",
    "simulate",
]

"""Satisfaction surveys (R-OPS-8): NPS by tier with its interval, weighted for non-response.

- :mod:`.nps`: the pure estimate (answers + the surveyed population → NPS per tier).

Sending, answer storage and the follow-up of detractors are not yet built (docs/visits.md).
"""

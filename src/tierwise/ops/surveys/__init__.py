"""Satisfaction surveys (R-OPS-8): NPS by tier with its interval, weighted for non-response.

- :mod:`.nps`: the pure estimate (answers + the surveyed population → NPS per tier).
- :mod:`.policy`, :mod:`.sample`: the survey policy, the stratified sample, answer rows checked.
- :mod:`.service`: waves, answers, detractor follow-ups in the store; the report
  (docs/surveys.md).
"""

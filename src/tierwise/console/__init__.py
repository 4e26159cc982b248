"""The web console (R-INT-2, R-INT-3, R-ANA-1..3): server-rendered pages on the API's service.

Pages reuse the API's repositories, :func:`tierwise.api.access.decide` and the masking of
:mod:`tierwise.api.views`; nothing here queries the store on its own.
"""

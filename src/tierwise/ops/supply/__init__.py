"""Supply chain by tier (R-OPS-9, issue 27): demand forecasts per SKU × warehouse × tier,
reconciled in a hierarchy, and the inventory policy that follows from them.

- :mod:`.series`: the weekly demand series from the lake's order lines and the customers'
  held tiers (a tier change moves the customer's later demand to the new tier's series).
- :mod:`.hierarchy`: total → category → SKU, by warehouse and tier (hierarchicalforecast).
- :mod:`.forecast`: statsforecast (AutoETS, AutoTheta, TSB), mlforecast + LightGBM with a
  calendar (春节), reconciled with MinT (shrink).
- :mod:`.metrics`, :mod:`.backtest`: WRMSSE and MASE per level on rolling origins.

The forecasting libraries are imported inside the functions that use them (they take seconds
to import), so ``tierwise --help`` and the other commands stay light. See docs/supply.md.
"""

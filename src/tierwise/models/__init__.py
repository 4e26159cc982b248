"""Statistical and machine-learning models: CLV (BG/NBD + Gamma-Gamma), churn, value (R-GRD-8).

Every estimator follows scikit-learn's contract: ``__init__`` stores parameters only, ``fit``
returns ``self``, learned attributes end in ``_``, and using an unfitted model raises
:class:`sklearn.exceptions.NotFittedError`.
"""

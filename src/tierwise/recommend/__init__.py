"""Product recommendations (R-OPS-7): buy again and new to you, backtest, serving.

See docs/recommendations.md.
"""

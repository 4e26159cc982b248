"""The operational store: runs, current tiers, change history, overrides (SQLAlchemy 2)."""

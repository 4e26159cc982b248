"""The benefits ledger (R-OPS-2): grants that follow tier state, and their use (docs/benefits.md)."""

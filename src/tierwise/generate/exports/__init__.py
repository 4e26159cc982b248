"""Source-style exports with injected dirt (R-DAT-2, R-DAT-3), and the record of that dirt."""

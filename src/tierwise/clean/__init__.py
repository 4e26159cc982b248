"""Cleaning: standard names and addresses, customer de-duplication, outlier flags (R-DAT-3)."""

"""Ingestion: readers, mappings, row validation, quarantine and safe loads (R-DAT-2, R-DAT-4)."""

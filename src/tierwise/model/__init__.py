"""The canonical data model: every lake table declared once (R-DAT-1)."""

from tierwise.model.tables import TABLES, Column, Table, table

__all__ = ["TABLES", "Column", "Table", "table"]

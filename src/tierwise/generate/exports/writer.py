"""The exports writer: source-style files beside the lake, and the manifest of their dirt.

Layout of ``exports/`` (headers are the model's Chinese ``zh`` labels):

=================  ==========  ==============================================
file               encoding    dirt
=================  ==========  ==============================================
customers.xlsx     xlsx        sheet 客户档案; duplicate customers at the end
orders.csv         GBK         formats, malformed rows, duplicates, misattributed
order_lines.csv    GBK         amount formats, malformed rows, duplicates, orphans
returns.csv        UTF-8 BOM   formats, malformed rows
others (.csv)      UTF-8       clean (ISO dates, plain amounts); the inventory
                              files (snapshots, purchase orders, receipts) too
=================  ==========  ==============================================
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from tierwise.generate.book import BatchSink, stream
from tierwise.generate.config import GenerateConfig
from tierwise.generate.exports.customers import FILE as CUSTOMERS_FILE
from tierwise.generate.exports.customers import SHEET, duplicate_customers, write_customers
from tierwise.generate.exports.files import append_csv, as_text, zh_headers
from tierwise.generate.exports.lines import dirty_lines, dirty_returns
from tierwise.generate.exports.orders import dirty_orders
from tierwise.generate.population import Population

FILES: dict[str, tuple[str, str]] = {  # file -> (canonical table, encoding)
    "orders.csv": ("orders", "gbk"),
    "order_lines.csv": ("order_lines", "gbk"),
    "returns.csv": ("returns", "utf-8-sig"),
    "invoices.csv": ("invoices", "utf-8"),
    "payments.csv": ("payments", "utf-8"),
    "tickets.csv": ("tickets", "utf-8"),
    "activity.csv": ("activity", "utf-8"),
    "credit.csv": ("credit", "utf-8"),
    "products.csv": ("products", "utf-8"),
    "regions.csv": ("regions", "utf-8"),
    "price_rules.csv": ("price_rules", "utf-8"),
    "account_managers.csv": ("account_managers", "utf-8"),
    "outlet_locations.csv": ("outlet_locations", "utf-8"),
    "coupons.csv": ("coupons", "utf-8"),
    "rebate_accruals.csv": ("rebate_accruals", "utf-8"),
    "campaign_touches.csv": ("campaign_touches", "utf-8"),
    "visits.csv": ("visits", "utf-8"),
    "survey_answers.csv": ("survey_answers", "utf-8"),
    "inventory_snapshots.csv": ("inventory_snapshots", "utf-8"),
    "purchase_orders.csv": ("purchase_orders", "utf-8"),
    "receipts.csv": ("receipts", "utf-8"),
    "benefit_grants.csv": ("benefit_grants", "utf-8"),
    "benefit_redemptions.csv": ("benefit_redemptions", "utf-8"),
}
INVENTORY = ("inventory_snapshots", "purchase_orders", "receipts")
OPERATIONS = (
    "coupons", "rebate_accruals", "campaign_touches", "visits", "survey_answers",
    "benefit_grants", "benefit_redemptions",
)  # fmt: skip
GBK_YEN = "￥"  # U+00A5 is not in GBK; Chinese systems write the full-width sign


class ExportWriter(BatchSink):
    """Writes ``out/exports`` batch by batch and collects every injected defect."""

    def __init__(self, cfg: GenerateConfig, out: Path) -> None:
        self.cfg = cfg
        self.dir = out / "exports"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.rows: Counter[str] = Counter()
        self.defects: list[dict[str, Any]] = []
        self.duplicates: list[dict[str, Any]] = []
        self.formats: dict[str, dict[str, Counter[str]]] = {}
        self.dup_from = np.zeros(0, np.int64)
        self.dup_ids: dict[int, str] = {}
        self.orphans = 0

    def master(self, tables: dict[str, pa.Table], pop: Population) -> None:
        """customers.xlsx with its duplicates, products.csv and regions.csv."""
        customers = tables["customers"]
        end = self.cfg.first_day + self.cfg.book_days - 1
        pairs, self.dup_from, dup_rows = duplicate_customers(customers, end, stream(self.cfg, 21))
        self.dup_ids = {int(p["true_id"][1:]) - 1: p["dup_id"] for p in pairs}
        self.rows[CUSTOMERS_FILE] = write_customers(self.dir / CUSTOMERS_FILE, customers, dup_rows)
        self.duplicates = pairs
        for p in pairs:
            self.defects.append(
                {"kind": "duplicate_customer", "file": CUSTOMERS_FILE, "row": p["row"], "id": p["dup_id"],
                 "true_value": p["true_id"], "variants": p["variants"]}
            )  # fmt: skip
        for name in ("products", "regions", "price_rules", "account_managers", "outlet_locations"):
            self._plain(f"{name}.csv", tables[name])

    def batch(self, index: int, tables: dict[str, pa.Table]) -> None:
        """Append one batch to every export file."""
        rng = stream(self.cfg, 20, index)
        self._dirty(
            "orders.csv", *dirty_orders(tables["orders"], rng, self.dup_from, self.dup_ids, GBK_YEN)
        )
        lines = dirty_lines(tables["order_lines"], rng, self.orphans, GBK_YEN)
        self.orphans += sum(1 for e in lines[1] if e["kind"] == "orphan_line")
        self._dirty("order_lines.csv", *lines)
        self._dirty("returns.csv", *dirty_returns(tables["returns"], rng))
        for name in ("invoices", "payments", "tickets", "activity", "credit", *OPERATIONS):
            self._plain(f"{name}.csv", tables[name])

    def after(self, tables: dict[str, pa.Table]) -> None:
        """inventory_snapshots.csv, purchase_orders.csv, receipts.csv."""
        for name in INVENTORY:
            self._plain(f"{name}.csv", tables[name])

    def _plain(self, file: str, tbl: pa.Table) -> None:
        name, encoding = FILES[file]
        if name in (*OPERATIONS, *INVENTORY) and tbl.num_rows == 0:
            return  # a short book may have no survey or rebate yet: no file rather than an empty one
        self.rows[file] += append_csv(
            self.dir / file, as_text(tbl), zh_headers(name, tbl.column_names), encoding
        )

    def _dirty(
        self,
        file: str,
        tbl: pa.Table,
        entries: list[dict[str, Any]],
        formats: dict[str, dict[str, int]],
    ) -> None:
        name, encoding = FILES[file]
        offset = self.rows[file]
        for e in entries:  # chunk positions (0-based) to file rows (1 = first data row)
            for key in ("row", "original_row", "copied_row"):
                if key in e:
                    e[key] = offset + int(e[key]) + 1
        self.defects.extend(entries)
        for column, counts in formats.items():
            self.formats.setdefault(file, {}).setdefault(column, Counter()).update(counts)
        self.rows[file] += append_csv(
            self.dir / file, tbl, zh_headers(name, _canonical_names(tbl)), encoding
        )

    def manifest(self) -> dict[str, Any]:
        """The exports part of the manifest: files, defects, duplicates and format counts."""
        files: dict[str, Any] = {
            CUSTOMERS_FILE: {
                "table": "customers",
                "format": "xlsx",
                "sheet": SHEET,
                "rows": self.rows[CUSTOMERS_FILE],
            }
        }
        for file, (name, encoding) in FILES.items():
            if name in (*OPERATIONS, *INVENTORY) and not (self.dir / file).exists():
                continue
            files[file] = {
                "table": name,
                "format": "csv",
                "encoding": encoding,
                "rows": self.rows[file],
            }
        return {
            "files": files,
            "duplicate_customers": self.duplicates,
            "defects": self.defects,
            "defect_counts": dict(sorted(Counter(e["kind"] for e in self.defects).items())),
            "format_variants": {
                f: {c: dict(v) for c, v in cols.items()} for f, cols in self.formats.items()
            },
        }


def _canonical_names(tbl: pa.Table) -> list[str]:
    return list(tbl.column_names)

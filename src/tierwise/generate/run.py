"""Run a whole generation: lake, exports and truth, with one progress callback."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tierwise.generate.book import ProgressFn, generate_book, no_progress
from tierwise.generate.config import GenerateConfig, prepare_out
from tierwise.generate.exports.writer import ExportWriter
from tierwise.lake import write_parquet_atomic


@dataclass
class GenerateResult:
    """Where the book was written and what it holds."""

    out: Path
    rows: dict[str, int]
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def lake(self) -> Path:
        return self.out / "lake"


def generate(cfg: GenerateConfig, out: Path, progress: ProgressFn = no_progress) -> GenerateResult:
    """Generate the book ``cfg`` into ``out`` (lake/, exports/ when asked, truth/).

    Parameters
    ----------
    cfg:
        Size, seed and span of the book.
    out:
        Output folder (created; must be writable).
    progress:
        Called as ``progress(stage, done, total)`` while the work goes on.

    Returns
    -------
    GenerateResult
        Row counts per lake table and the ground-truth manifest.
    """
    prepare_out(out)
    for owned in ("lake", "exports", "truth"):  # stale parts of a bigger book must not linger
        shutil.rmtree(out / owned, ignore_errors=True)
    exports = ExportWriter(cfg, out) if cfg.exports else None
    book, _pop, truth = generate_book(cfg, out, exports, progress)
    truth_dir = out / "truth"
    write_parquet_atomic(truth.table(), truth_dir / "customers.parquet")
    manifest: dict[str, Any] = {
        "generator": {
            "customers": cfg.customers,
            "months": cfg.months,
            "seed": cfg.seed,
            **truth.horizon(),
        },
        "conventions": {
            "row": "1-based data row number in the export file (header excluded; Excel row = row + 1)",
            "id": "the row's own id (order_id, return_id, customer_id of a duplicate); null if unknown",
            "true_value": "what the value should have been (ISO time, plain amount, true id)",
        },
        "lake_rows": book.rows,
        "refund_spikes": truth.refund_spikes,
        "order_brushing": truth.brushing,
        **(
            exports.manifest()
            if exports
            else {
                "files": {},
                "duplicate_customers": [],
                "defects": [],
                "defect_counts": {},
                "format_variants": {},
            }
        ),
    }
    (truth_dir / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return GenerateResult(out, book.rows, manifest)

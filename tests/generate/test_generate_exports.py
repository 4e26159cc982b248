"""Every defect the manifest lists is really in the exports, where it says (R-DAT-2, R-DAT-3)."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from python_calamine import CalamineWorkbook

from tierwise.generate import GenerateResult
from tierwise.model import TABLES


def _csv(path: Path, encoding: str) -> list[list[str]]:
    with open(path, encoding=encoding, newline="") as fh:
        return list(csv.reader(fh))


@pytest.fixture(scope="module")
def files(book: GenerateResult, manifest: dict[str, Any]) -> dict[str, list[list[Any]]]:
    out: dict[str, list[list[Any]]] = {}
    for name, meta in manifest["files"].items():
        path = book.out / "exports" / name
        if meta["format"] == "xlsx":
            out[name] = (
                CalamineWorkbook.from_path(str(path)).get_sheet_by_name(meta["sheet"]).to_python()
            )
        else:
            out[name] = _csv(
                path, "utf-8-sig" if meta["encoding"] == "utf-8-sig" else meta["encoding"]
            )
    return out


def test_encodings_are_what_the_manifest_says(book: GenerateResult) -> None:
    exports = book.out / "exports"
    for name in ("orders.csv", "order_lines.csv"):
        raw = (exports / name).read_bytes()
        raw.decode("gbk")
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
    assert (exports / "returns.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert not (exports / "invoices.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    (exports / "invoices.csv").read_bytes().decode("utf-8")


def test_headers_are_the_models_chinese_labels(
    files: dict[str, list[list[Any]]], manifest: dict[str, Any]
) -> None:
    for name, meta in manifest["files"].items():
        assert files[name][0] == [c.zh for c in TABLES[meta["table"]].columns], name
        assert len(files[name]) - 1 == meta["rows"], name


def test_every_defect_is_where_the_manifest_says(
    files: dict[str, list[list[Any]]], manifest: dict[str, Any], read: Callable[[str], pa.Table]
) -> None:
    kinds = Counter(e["kind"] for e in manifest["defects"])
    assert kinds == manifest["defect_counts"]
    expected_kinds = {"duplicate_customer", "duplicate_row", "misattributed_order", "bad_date", "bad_amount",
                      "orphan_line", "negative_amount", "future_date", "missing_id"}  # fmt: skip
    assert expected_kinds <= set(kinds)
    order_ids = set(read("orders")["order_id"].to_pylist())
    for e in manifest["defects"]:
        rows = files[e["file"]]
        header, row = rows[0], rows[e["row"]]
        if "column" in e:
            assert row[header.index(e["column"])] == e["value"], e
        if e["kind"] == "duplicate_row":
            assert row == rows[e["original_row"]], e
        elif e["kind"] == "orphan_line":
            assert row[0] == e["id"], e
            assert e["id"] not in order_ids, e
            assert row[1:] == rows[e["copied_row"]][1:], e
        elif e["kind"] == "duplicate_customer" or e["id"] is not None:
            assert row[0] == e["id"], e


def test_duplicate_customers_are_name_variants_with_their_own_ids(
    files: dict[str, list[list[Any]]], manifest: dict[str, Any]
) -> None:
    sheet = files["customers.xlsx"]
    by_id = {r[0]: r for r in sheet[1:]}
    assert manifest["duplicate_customers"]
    for pair in manifest["duplicate_customers"]:
        dup, true = by_id[pair["dup_id"]], by_id[pair["true_id"]]
        assert (dup[2], dup[3]) != (true[2], true[3]), pair
        assert (dup[5], dup[9]) == (true[5], true[9]), "same cuisine and district"
    mis = [e for e in manifest["defects"] if e["kind"] == "misattributed_order"]
    dup_of = {p["dup_id"]: p["true_id"] for p in manifest["duplicate_customers"]}
    assert mis
    assert all(dup_of[e["value"]] == e["true_value"] for e in mis)


def test_formats_are_mixed_as_counted(
    files: dict[str, list[list[Any]]], manifest: dict[str, Any]
) -> None:
    times = [r[2] for r in files["orders.csv"][1:]]
    assert any("年" in t for t in times)
    assert any("/" in t for t in times)
    assert any("-" in t for t in times)
    amounts = [r[4] for r in files["orders.csv"][1:]]
    assert any(a.startswith("￥") for a in amounts)
    assert any(a.endswith("元") for a in amounts)
    counted = manifest["format_variants"]["orders.csv"]["下单时间"]
    kinds = Counter(e["kind"] for e in manifest["defects"] if e["file"] == "orders.csv")
    clean_rows = len(times) - kinds["duplicate_row"] - kinds["bad_date"] - kinds["future_date"]
    assert sum(counted.values()) == clean_rows
    assert counted["iso"] > counted["chinese"] > 0


def test_anomalies_in_the_manifest_are_in_the_clean_lake(
    manifest: dict[str, Any], read: Callable[[str], pa.Table]
) -> None:
    returns = {r["return_id"]: r for r in read("returns").to_pylist()}
    orders = {r["order_id"]: r for r in read("orders").to_pylist()}
    for spike in manifest["refund_spikes"]:
        for rid, oid in zip(spike["return_ids"], spike["order_ids"], strict=True):
            assert returns[rid]["order_id"] == oid
            assert returns[rid]["amount"] >= orders[oid]["amount"] * 8 / 10 - 1
    for burst in manifest["order_brushing"]:
        assert len(burst["order_ids"]) >= 15
        assert all(orders[o]["customer_id"] == burst["customer_id"] for o in burst["order_ids"])

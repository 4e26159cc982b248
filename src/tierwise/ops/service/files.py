"""The warehouse's delivery-priority list as a file: CSV (UTF-8 with a byte-order mark) or
Excel, with Chinese headers (R-OPS-1). The records carry addresses and contacts as stored:
the API and the console mask them for roles that may not see personal data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tierwise.ops.benefits.rebate_files import csv_bytes, write_rows, xlsx_bytes
from tierwise.ops.service.decide import SLOT_ZH, DeliveryRow

#: (key, 中文表头)
DELIVERY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("position", "序号"),
    ("customer_id", "客户编号"),
    ("name", "客户名称"),
    ("district", "区"),
    ("address", "地址"),
    ("contact_name", "联系人"),
    ("phone", "电话"),
    ("tier", "等级"),
    ("priority", "配送优先级"),
    ("slot", "配送时段"),
    ("expedited", "加急物流"),
    ("orders", "订单数"),
    ("amount", "订单金额(元)"),
    ("first_order", "首单时间"),
)
TITLE = "配送优先级"
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _text(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, str):
        return "'" + v if v.startswith(_FORMULA) else v
    return v


def delivery_records(
    rows: Sequence[DeliveryRow], people: Mapping[str, Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """One record per row, the profile's fields beside the decision's (unmasked)."""
    out = []
    for r in rows:
        p = people.get(r.customer_id, {})
        rec = {
            "position": r.position, "customer_id": r.customer_id, "name": p.get("name"),
            "district": p.get("district"), "address": p.get("address"),
            "contact_name": p.get("contact_name"), "phone": p.get("phone"), "tier": r.tier,
            "priority": r.priority, "slot": r.slot, "expedited": r.expedited, "level": r.level,
            "orders": r.orders, "amount": r.amount, "first_order": r.first_order,
        }  # fmt: skip
        out.append(rec)
    return out


def delivery_table(records: Sequence[Mapping[str, Any]]) -> list[list[Any]]:
    """The header row (Chinese) and one row per record."""
    rows: list[list[Any]] = [[zh for _, zh in DELIVERY_COLUMNS]]
    for rec in records:
        row = []
        for key, _ in DELIVERY_COLUMNS:
            v = rec[key]
            if key == "slot":
                v = SLOT_ZH.get(str(v), v)
            elif key == "expedited":
                v = "是" if v else "否"
            elif key == "first_order":
                v = f"{v:%Y-%m-%d %H:%M:%S}"
            row.append(_text(v))
        rows.append(row)
    return rows


def delivery_bytes(records: Sequence[Mapping[str, Any]], fmt: str) -> bytes:
    """The list as ``csv`` or ``xlsx`` bytes."""
    table = delivery_table(records)
    return xlsx_bytes(table, TITLE) if fmt == "xlsx" else csv_bytes(table)


def write_delivery(path: Path, records: Sequence[Mapping[str, Any]]) -> Path:
    """Write the list to ``path`` (``.csv`` or ``.xlsx``; anything else is a UsageError)."""
    return write_rows(path, delivery_table(records), TITLE)

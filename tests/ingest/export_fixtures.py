"""A small, hand-made set of source exports like the generator's, with known dirt.

Written in tests (nothing large is committed): zh headers, customers.xlsx, GBK orders and
order lines, UTF-8-with-BOM returns, mixed date formats, money written with ￥/元/commas,
duplicate customers under name variants, a duplicated order row and a few bad rows.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from openpyxl import Workbook

from tierwise.model.tables import TABLES

REGIONS = [
    ("510107", "四川省", "成都市", "武侯区"),
    ("510104", "四川省", "成都市", "锦江区"),
    ("510105", "四川省", "成都市", "青羊区"),
    ("500103", "重庆市", "重庆市", "渝中区"),
]
BRANDS = [
    "蜀香",
    "老码头",
    "大龙燎",
    "川西坝子",
    "谭鸭血",
    "德庄",
    "刘一手",
    "秦妈",
    "红九格",
    "楠火锅",
]
STREETS = ["人民南路", "春熙路", "天府大道", "建设路", "玉林路", "科华北路", "红星路", "蜀都大道"]
VARIANTS = {  # name -> duplicate spelling (width, traditional, spaces, suffix, typo)
    0: lambda n: n.replace("(", "（").replace(")", "）"),
    1: lambda n: n.replace("蜀", "蜀").replace("龙", "龍").replace("锅", "鍋").replace("饭", "飯"),
    2: lambda n: n[:2] + " " + n[2:],
    3: lambda n: n + "有限公司",
}


@dataclass
class Truth:
    """What the exports contain: row counts per file and the dirt put in."""

    rows: dict[str, int] = field(default_factory=dict)
    duplicates: dict[str, str] = field(default_factory=dict)  # duplicate id -> original id
    bad_rows: dict[str, int] = field(default_factory=dict)
    duplicated_order_rows: int = 0
    orphan_lines: int = 0


def header(table: str) -> list[str]:
    return [c.zh for c in TABLES[table].columns]


def write_csv(path: Path, table: str, rows: list[list[object]], encoding: str = "utf-8") -> None:
    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        # Optional (nullable) columns at the end of a table are left out when the rows do not
        # carry them, as a distributor's older export would.
        w.writerow(header(table)[: max(len(r) for r in rows)] if rows else header(table))
        w.writerows(rows)


def fmt_time(t: datetime, k: int) -> str:
    return [
        t.strftime("%Y-%m-%d %H:%M:%S"),
        f"{t.year}/{t.month}/{t.day} {t:%H:%M}",
        f"{t.year}年{t.month}月{t.day}日 {t:%H:%M}",
    ][k % 3]


def make_exports(out: Path, n_customers: int = 40, n_dupes: int = 4, seed: int = 3) -> Truth:
    """Write the 11 exports into ``out`` and say what is in them."""
    rnd = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    truth = Truth()
    write_csv(out / "regions.csv", "regions", [[*r, "12.50", "0.4"] for r in REGIONS])
    products = [
        ["SKU1", "毛肚", "火锅食材", "kg", "30.00", "45.00"],
        ["SKU2", "郫县豆瓣", "川菜调料", "袋", "8.00", "12.00"],
        ["SKU3", "速冻汤圆", "速冻小吃", "袋", "6.00", "9.50"],
    ]
    write_csv(out / "products.csv", "products", products)
    start = datetime(2025, 1, 1, 9, 0)
    customers: list[list[object]] = []
    for i in range(n_customers):
        rid, p, c, d = REGIONS[i % len(REGIONS)]
        brand = BRANDS[i % len(BRANDS)]
        street = f"{STREETS[i % len(STREETS)]}{i + 1}号"
        name = f"{brand}火锅({STREETS[i % len(STREETS)]}店)" if i % 2 else f"{brand}小厨{i}"
        customers.append(
            [
                f"C{i:04d}",
                f"A{i:04d}",
                f"成都{brand}餐饮管理有限公司{i}",
                name,
                "chain" if i % 2 else "single",
                "火锅",
                "medium",
                p,
                c,
                d,
                street,
                rid,
                "online",
                (start - timedelta(days=400 - i)).date().isoformat(),
                "",
                "monthly",
                "50000",
                "AM1",
                "张" + "伟芳娜敏静强磊军"[i % 8],
                f"138{i:08d}",
                "",
            ]
        )
    for j in range(n_dupes):
        orig = customers[j * 3]
        dup = list(orig)
        dup[0] = f"D{j:04d}"
        dup[3] = VARIANTS[j % 4](str(orig[3]))
        customers.append(dup)
        truth.duplicates[str(dup[0])] = str(orig[0])
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "客户档案"
    ws.append(header("customers"))
    for r in customers:
        ws.append(r)
    wb.save(out / "customers.xlsx")
    truth.rows["customers"] = len(customers)

    orders: list[list[object]] = []
    lines: list[list[object]] = []
    ids = [str(r[0]) for r in customers]
    for k in range(n_customers * 5):
        cid = ids[k % len(ids)]
        t = start + timedelta(hours=7 * k + rnd.randint(0, 5))
        qty = rnd.randint(1, 5)
        amount = qty * 45
        oid = f"O{k:05d}"
        money = [f"{amount:.2f}", f"￥{amount:,.2f}", f"{amount}元"][k % 3]
        orders.append([oid, cid, fmt_time(t, k), "online", money])
        lines.append([oid, 1, "SKU1", "火锅食材", qty, "45.00", f"{amount:.2f}", f"{qty * 30:.2f}"])
    orders.append(list(orders[5]))  # a duplicated order row
    truth.duplicated_order_rows = 1
    bad_orders = [
        ["OBAD1", ids[0], "2025-02-30 10:00", "online", "100.00"],  # impossible date
        ["OBAD2", ids[1], "2025-03-01 10:00", "online", "一百元"],  # unparseable amount
        ["OBAD3", ids[2], "2025-03-01 10:00", "online", "-50.00"],  # negative
        ["", ids[3], "2025-03-01 10:00", "online", "50.00"],  # missing id
        ["OBAD5", ids[4], "2099-01-01 10:00", "online", "50.00"],  # future
        ["OBAD6", "NOSUCH", "2025-03-01 10:00", "online", "50.00"],  # unknown customer
    ]
    orders += bad_orders
    truth.bad_rows["orders"] = len(bad_orders)
    write_csv(out / "orders.csv", "orders", orders, encoding="gbk")
    truth.rows["orders"] = len(orders)
    lines.append(["ONOPE", 1, "SKU1", "火锅食材", 1, "45.00", "45.00", "30.00"])  # orphan line
    truth.orphan_lines = 1
    write_csv(out / "order_lines.csv", "order_lines", lines, encoding="gbk")
    truth.rows["order_lines"] = len(lines)

    returns = [
        [
            f"R{k:04d}",
            f"O{k * 7:05d}",
            ids[(k * 7) % len(ids)],
            fmt_time(start + timedelta(hours=7 * k * 7 + 30), k),
            "20.00",
            "quality",
        ]
        for k in range(10)
    ]
    write_csv(out / "returns.csv", "returns", returns, encoding="utf-8-sig")
    truth.rows["returns"] = len(returns)
    invoices = [[f"I{i:04d}", ids[i], "2025-02-01", "2025-03-01", "900.00"] for i in range(10)]
    write_csv(out / "invoices.csv", "invoices", invoices)
    payments = [[f"P{i:04d}", f"I{i:04d}", ids[i], "2025-02-20", "900.00"] for i in range(10)]
    write_csv(out / "payments.csv", "payments", payments)
    tickets = [
        [
            f"T{i:04d}",
            ids[i],
            "2025-02-03 10:00:00",
            "complaint",
            1,
            "delivery",
            "2025-02-04 10:00:00",
            "resolved",
        ]
        for i in range(5)
    ]
    write_csv(out / "tickets.csv", "tickets", tickets)
    activity = [[ids[i], "2025-02-01", 3, 1] for i in range(len(ids))]
    write_csv(out / "activity.csv", "activity", activity)
    credit = [[ids[i], "2025-01-15", "AA", 0] for i in range(len(ids))]
    write_csv(out / "credit.csv", "credit", credit)
    for name, rows in (
        ("invoices", invoices),
        ("payments", payments),
        ("tickets", tickets),
        ("activity", activity),
        ("credit", credit),
        ("regions", REGIONS),
        ("products", products),
    ):
        truth.rows[name] = len(rows)
    return truth

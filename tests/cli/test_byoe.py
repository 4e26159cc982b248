"""Bring your own export (issue 19, R-DAT-2, R-DAT-4): files no one here wrote, graded as a
user would: ``tierwise ingest FILES --infer``, ``tierwise ingest FILES --mapping``, then
``tierwise clean`` and ``tierwise grade`` with the shipped transaction-log RFM policy.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from tierwise.cli.main import run
from tierwise.grading import layout
from tierwise.settings import get_settings

ROOT = Path(__file__).resolve().parents[2]
RFM = str(ROOT / "policies" / "rfm-transactions.yaml")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("TIERWISE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "200")  # Rich tables unwrapped, so the output reads whole
    get_settings.cache_clear()
    yield tmp_path / "home"
    get_settings.cache_clear()


def cli(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["tierwise", *args])
    try:
        run()
    except SystemExit as e:
        return int(e.code or 0)
    return 0


def two_commands(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], files: list[Path]
) -> tuple[dict[str, object], str]:
    """The user's two commands: infer a mapping, then ingest with it. Returns the mapping and
    what the first command printed."""
    out = files[0].parent / "mapping.yaml"
    names = [str(f) for f in files]
    assert cli(monkeypatch, "ingest", *names, "--infer", "--out", str(out)) == 0
    shown = capsys.readouterr().out
    assert cli(monkeypatch, "ingest", *names, "--mapping", str(out)) == 0
    capsys.readouterr()
    return yaml.safe_load(out.read_text("utf-8")), shown


def grade(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], home: Path, as_of: str
) -> dict[str, int]:
    """clean, then grade with the transaction-log policy: the tier of each customer."""
    assert cli(monkeypatch, "clean") == 0
    assert cli(monkeypatch, "grade", "--as-of", as_of, "--policy", RFM) == 0
    capsys.readouterr()
    run_dir = layout.latest_run(home / "runs")
    assert run_dir is not None
    rows = pq.read_table(run_dir / layout.ASSIGNMENTS).to_pylist()
    return {r["entity_id"]: r["tier"] for r in rows}


def test_an_erp_export_in_gbk_with_a_total_row_and_a_crm_customer_list(
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    orders = tmp_path / "销售单据.csv"
    orders.write_bytes(
        (
            "单据编号,会员编号,单据日期,实付金额(元),订单来源,备注\n"
            'XS001,K01,2025/3/5,"￥1,234.50",小程序,\n'
            "XS002,K01,2025/4/5,￥800.00,门店,加急\n"
            "XS003,K02,2025/4/9,￥120.00,批发,\n"
            "XS004,K03,2025/5/1,￥99.00,团购,\n"
            "XS005,K02,2025/6/1,￥300.00,小程序,\n"
            '合计,,,"￥2,553.50",,\n'
        ).encode("gbk")
    )
    customers = tmp_path / "客户列表.csv"
    customers.write_text(
        "客户编码,客户名称,所在省,所在市,所在区县,结算方式,门店类型,手机号,开户日期,标签\n"
        "K01,蜀香小馆,四川省,成都市,武侯区,月结,单店,13800000001,2024-01-05,老客\n"
        "K02,老码头火锅(春熙路店),四川省,成都市,锦江区,现结,连锁,13800000002,2024-03-01,\n"
        "K03,川味面馆,四川省,成都市,青羊区,预付款,单店,13800000003,2024-06-01,\n",
        encoding="utf-8-sig",
    )
    mapping, shown = two_commands(monkeypatch, capsys, [orders, customers])
    by_table = {s["table"]: s for s in mapping["sources"]}  # type: ignore[index]
    assert [s["table"] for s in mapping["sources"]] == ["customers", "orders"]  # type: ignore[index]
    o, c = by_table["orders"], by_table["customers"]
    assert o["encoding"] == "gb18030"
    assert o["columns"]["order_id"] == "单据编号"
    assert o["columns"]["customer_id"] == "会员编号"
    assert o["columns"]["order_time"] == "单据日期"
    assert o["columns"]["amount"] == "实付金额(元)"
    assert o["columns"]["channel"] == {
        "source": "订单来源",
        "values": {"小程序": "online", "门店": "offline", "批发": "wholesale"},
    }
    assert c["columns"]["payment_terms"]["values"] == {
        "月结": "monthly",
        "现结": "cod",
        "预付款": "prepaid",
    }
    assert c["columns"]["business_type"]["values"] == {"单店": "single", "连锁": "chain"}
    assert c["columns"]["province"] == "所在省"
    # the table a user reads: unmapped headers, the unknown code, the formats
    assert "备注" in shown and "not mapped" in shown
    assert "团购" in shown and "no translation" in shown
    assert "%Y/%m/%d" in shown and "¥ sign" in shown
    # the 合计 row is recognized as a total (skipped with a note), not quarantined as a bad
    # row; the 团购 row (no translation) is in the quarantine with its reason
    q = pq.read_table(home / "quarantine" / "orders").to_pylist()
    reasons = {r["row"]: r["reason"] for r in q}
    assert set(reasons) == {5}
    assert "channel: not one of" in reasons[5]
    assert "row 7 is a total row ('合计')" in shown
    log = [json.loads(x) for x in (home / "raw" / "_loads.jsonl").read_text().splitlines()]
    notes = next(e["notes"] for e in log if e["table"] == "orders")
    assert any("row 7 is a total row ('合计') at the end of the file: skipped" in n for n in notes)
    assert pq.read_table(home / "raw" / "orders").num_rows == 4
    tiers = grade(monkeypatch, capsys, home, "2025-06-30")
    assert set(tiers) == {"K01", "K02", "K03"}
    assert tiers["K03"] is None  # its only order was quarantined: not eligible
    assert tiers["K01"] is not None and tiers["K02"] is not None


def test_excel_with_merged_title_rows_above_the_header_and_extra_columns(
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["某某食品有限公司 2025年订单明细"])
    ws.merge_cells("A1:F1")
    ws.append(["导出时间：2025-07-01 09:00"])
    ws.merge_cells("A2:F2")
    ws.append(["订单号", "客户ID", "下单时间", "金额", "配送员", "车牌号"])
    for i in range(1, 9):
        ws.append(
            [
                f"D{i:03d}",
                f"C{i % 4}",
                f"2025-0{1 + i % 6}-1{i} 10:00:00",
                100 * i,
                "王师傅",
                "川A12345",
            ]
        )
    ws.append([])
    ws.append(["合计:", None, None, 3600, None, None])  # a total row at the bottom
    f = tmp_path / "订单导出.xlsx"
    wb.save(f)
    mapping, shown = two_commands(monkeypatch, capsys, [f])
    (src,) = mapping["sources"]  # type: ignore[index]
    assert src["table"] == "orders" and src["header_row"] == 3
    assert set(src["columns"]) == {"order_id", "customer_id", "order_time", "amount"}
    assert "配送员" in shown and "车牌号" in shown
    assert "row 13 is a total row ('合计:')" in shown
    landed = pq.read_table(home / "raw" / "orders").to_pylist()
    assert len(landed) == 8
    q = pq.read_table(home / "quarantine" / "orders")
    assert q.num_rows == 0
    tiers = grade(monkeypatch, capsys, home, "2025-07-31")
    assert set(tiers) == {"C0", "C1", "C2", "C3"}  # customers taken from the orders
    assert all(t is not None for t in tiers.values())


def test_english_headers_and_only_the_three_columns_grading_needs(
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    f = tmp_path / "sales.csv"
    rows = [f"cust-{i % 5},2025-0{1 + i % 5}-0{1 + i % 9},{10 + i}.5" for i in range(40)]
    f.write_text("Customer No,Transaction Date,Total\n" + "\n".join(rows) + "\n", encoding="utf-8")
    mapping, shown = two_commands(monkeypatch, capsys, [f])
    (src,) = mapping["sources"]  # type: ignore[index]
    assert src["columns"] == {
        "customer_id": "Customer No",
        "order_time": "Transaction Date",
        "amount": "Total",
    }
    assert "absent" in shown and "channel" in shown
    orders = pq.read_table(home / "raw" / "orders")
    assert orders.num_rows == 40
    ids = orders.column("order_id").to_pylist()
    assert len(set(ids)) == 40 and "sales.csv#2" in ids  # numbered from file and row
    tiers = grade(monkeypatch, capsys, home, "2025-06-30")
    assert len(tiers) == 5
    # the default policy reads features this book lacks: refused, naming the missing inputs
    code = cli(monkeypatch, "grade", "--as-of", "2025-06-30")
    err = capsys.readouterr().err
    assert code != 0
    assert "uses features this book cannot compute" in err
    assert "tenure_days needs customers.signup_date (no values)" in err
    assert (
        "on_time_payment_rate needs invoices (not in the lake), payments (not in the lake)" in err
    )
    assert "Traceback" not in err


def test_one_error_lists_every_missing_column(
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    f = tmp_path / "orders.csv"
    f.write_text("客户,备注\nC1,x\n", encoding="utf-8")
    m = tmp_path / "m.yaml"
    m.write_text(
        "sources:\n  - {file: orders.csv, table: orders, columns: {customer_id: 客户}}\n",
        encoding="utf-8",
    )
    code = cli(monkeypatch, "ingest", str(f), "--mapping", str(m))
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert code != 0 and len(errors) == 1 and "Traceback" not in err  # one line for all
    assert "(for orders.order_time) is missing" in err
    assert "(for orders.amount) is missing" in err
    assert "'备注'" in err


def test_a_date_window_rejecting_every_row_is_an_error_with_the_fix(
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    f = tmp_path / "old.csv"
    f.write_text("customer_id,date,amount\nA,1985-01-02,10\nB,1986-02-03,12\n", encoding="utf-8")
    m = tmp_path / "m.yaml"
    m.write_text(
        "sources:\n  - {file: old.csv, table: orders, columns: {order_time: date}}\n",
        encoding="utf-8",
    )
    code = cli(monkeypatch, "ingest", str(f), "--mapping", str(m))
    err = capsys.readouterr().err
    assert code != 0
    assert "every one of its 2 rows would be quarantined" in err
    assert "implausibly old: before 1990-01-01" in err and "--earliest" in err
    assert not (home / "raw" / "orders").exists()
    assert cli(monkeypatch, "ingest", str(f), "--mapping", str(m), "--earliest", "1980-01-01") == 0
    assert pq.read_table(home / "raw" / "orders").num_rows == 2
    # --infer sees the old dates and sets the earliest date itself, with a warning
    assert cli(monkeypatch, "ingest", str(f), "--infer", "--out", str(tmp_path / "i.yaml")) == 0
    assert "warning" in capsys.readouterr().out
    inferred = yaml.safe_load((tmp_path / "i.yaml").read_text("utf-8"))
    assert str(inferred["limits"]["earliest"]) == "1984-01-01"


def test_a_constant_gives_a_column_the_file_lacks(
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    f = tmp_path / "o.csv"
    f.write_text("订单编号,客户编号,下单时间,订单金额\nO1,C1,2025-03-05,10\n", encoding="utf-8")
    m = tmp_path / "m.yaml"
    m.write_text(
        "sources:\n  - {file: o.csv, table: orders, columns: {channel: {value: 线下}}}\n"
        "recode: {channel: {线下: offline}}\n",
        encoding="utf-8",
    )
    assert cli(monkeypatch, "ingest", str(f), "--mapping", str(m)) == 0
    assert pq.read_table(home / "raw" / "orders").column("channel").to_pylist() == ["offline"]


def test_the_cdnow_log_is_graded_end_to_end(
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The public CDNOW log as the lifetimes wheel ships it (read from the package, not copied
    # into the repository): space-aligned columns, CRLF, no order number, dollars.
    # find_spec locates the package without importing it (its import warns under pandas 3)
    spec = importlib.util.find_spec("lifetimes")
    assert spec is not None and spec.submodule_search_locations
    src = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "CDNOW_master.txt"
    f = tmp_path / "CDNOW_master.txt"
    f.write_bytes(src.read_bytes())
    mapping, shown = two_commands(monkeypatch, capsys, [f])
    (spec,) = mapping["sources"]  # type: ignore[index]
    assert spec["delimiter"] == "whitespace" and spec["table"] == "orders"
    assert spec["columns"] == {
        "customer_id": "customer_id",
        "order_time": "date",
        "amount": "dollar_value",
    }
    assert "number_of_cds" in shown
    log = [json.loads(x) for x in (home / "raw" / "_loads.jsonl").read_text().splitlines()]
    assert log[-1]["rows_loaded"] == 69_659 and log[-1]["rows_quarantined"] == 0
    tiers = grade(monkeypatch, capsys, home, "1998-06-30")
    assert len(tiers) == 23_570  # every CDNOW customer
    graded = [t for t in tiers.values() if t is not None]
    assert {"platinum", "gold", "silver", "bronze"} <= set(graded)
    # explanations work on it
    some = next(k for k, v in tiers.items() if v == "platinum")
    assert cli(monkeypatch, "explain", some, "--lang", "en") == 0
    shown = capsys.readouterr().out
    assert "Platinum" in shown
    assert "not computed for this book" in shown and "tenure_days (customers.signup_date" in shown
    report = json.loads((home / "reports" / "clean.json").read_text("utf-8"))
    assert any(
        "features unavailable" in n and "order_lines" in n for n in report["result"]["notes"]
    )


def test_region_text_is_resolved_to_district_codes_without_a_regions_table(
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # R-DAT-3, issue 19 item 2: abbreviated, full-width and ambiguous region text
    customers = tmp_path / "客户列表.csv"
    customers.write_text(
        "客户编码,客户名称,省份,城市,区县\n"
        "K01,蜀香小馆,四川,成都,武侯\n"
        "K02,京味饭庄,北京市,北京市,朝阳区\n"
        "K03,春城烧烤,吉林省,长春,朝阳区\n"
        "K04,无名小店,,,朝阳区\n"
        "K05,海边餐厅,广东省,广州市,某某新区\n"
        "K06,全角小馆,四川省,成都市,锦江区　\n",
        encoding="utf-8",
    )
    orders = tmp_path / "订单.csv"
    orders.write_text(
        "客户编码,下单日期,金额\n"
        + "".join(f"K0{i},2025-05-0{i},{100 * i}\n" for i in range(1, 7)),
        encoding="utf-8",
    )
    two_commands(monkeypatch, capsys, [customers, orders])
    assert cli(monkeypatch, "clean") == 0
    capsys.readouterr()
    rows = {r["customer_id"]: r for r in pq.read_table(home / "lake" / "customers").to_pylist()}
    assert rows["K01"]["region_id"] == "510107"
    assert (rows["K01"]["province"], rows["K01"]["city"], rows["K01"]["district"]) == (
        "四川省",
        "成都市",
        "武侯区",
    )
    assert rows["K02"]["region_id"] == "110105"
    assert rows["K03"]["region_id"] == "220104"  # the city tells the two 朝阳区 apart
    assert rows["K04"]["region_id"] is None and rows["K04"]["district"] == "朝阳区"
    assert rows["K05"]["region_id"] is None and rows["K05"]["district"] == "某某新区"
    assert rows["K06"]["region_id"] == "510104"
    notes = json.loads((home / "reports" / "clean.json").read_text("utf-8"))["result"]["notes"]
    assert any("4 region codes resolved" in n and "GB/T 2260" in n for n in notes)
    assert any("2 customers' district text" in n and "朝阳区" in n for n in notes)


def test_a_gbk_csv_with_title_lines_above_the_header_and_a_total_row_below(
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # issue 19 tests: title lines, a blank line, then the header; 总计 and a blank row at the end
    f = tmp_path / "销售明细.csv"
    body = "".join(
        f"XS{i:03d},K{i % 3},2025/{1 + i % 5}/{1 + i % 27},{50 + i}.00\n" for i in range(1, 13)
    )
    f.write_bytes(
        (
            "成都某某冻品有限公司 销售明细表\n导出时间：2025-07-01 09:00\n\n"
            "单据编号,会员编号,单据日期,实付金额(元)\n" + body + ",,,\n总计,,,714.00\n"
        ).encode("gbk")
    )
    mapping, shown = two_commands(monkeypatch, capsys, [f])
    (src,) = mapping["sources"]  # type: ignore[index]
    assert src["header_row"] == 4 and src["encoding"] == "gb18030"
    assert "note: row 17 is blank, before the total row: skipped" in shown
    assert "note: row 18 is a total row ('总计')" in shown
    assert pq.read_table(home / "raw" / "orders").num_rows == 12
    q = pq.read_table(home / "quarantine" / "orders")
    assert q.num_rows == 0  # neither the blank row nor the total is a bad record
    rows = pq.read_table(home / "raw" / "orders").column("order_id").to_pylist()
    assert "XS001" in rows and "总计" not in rows
    tiers = grade(monkeypatch, capsys, home, "2025-06-30")
    assert set(tiers) == {"K0", "K1", "K2"}


def test_a_file_without_a_header_row_is_mapped_by_position(
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    f = tmp_path / "流水.csv"
    f.write_text(
        "".join(f"C{i % 4},2025-0{1 + i % 6}-1{i % 10},{10 + i}.5,{i % 3}\n" for i in range(30)),
        encoding="utf-8",
    )
    mapping, shown = two_commands(monkeypatch, capsys, [f])
    (src,) = mapping["sources"]  # type: ignore[index]
    assert src["header_row"] == 0 and src["table"] == "orders"
    assert src["columns"] == {
        "customer_id": "column 1",
        "order_time": "column 2",
        "amount": "column 3",
    }
    assert "has no header row" in shown
    orders = pq.read_table(home / "raw" / "orders").to_pylist()
    assert len(orders) == 30  # the first line is a record, not a header
    first = next(o for o in orders if o["order_id"] == "流水.csv#1")  # row 1 of the file
    assert first["customer_id"] == "C0" and str(first["amount"]) == "10.50"
    tiers = grade(monkeypatch, capsys, home, "2025-07-31")
    assert set(tiers) == {"C0", "C1", "C2", "C3"}
    # a hand-written mapping by position, for a table not guessed from values
    m = tmp_path / "m.yaml"
    m.write_text(
        "sources:\n  - file: 流水.csv\n    table: orders\n    header_row: 0\n"
        "    columns: {customer_id: column 1, order_time: column 2, amount: column 3}\n",
        encoding="utf-8",
    )
    assert cli(monkeypatch, "ingest", str(f), "--mapping", str(m), "--force") == 0


def test_day_first_dates_are_detected_and_read_by_the_mappings_date_format(
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    f = tmp_path / "orders.csv"
    f.write_text(
        "订单编号,客户编号,下单日期,金额\n"
        "O1,A,25/03/2025,10\nO2,B,05/04/2025,20\nO3,A,13/04/2025 14:30,30\n",
        encoding="utf-8",
    )
    mapping, shown = two_commands(monkeypatch, capsys, [f])
    (src,) = mapping["sources"]  # type: ignore[index]
    assert src["date_format"] == ["%d/%m/%Y %H:%M", "%d/%m/%Y"]  # 25/03: day first
    assert "day first" in shown
    got = {
        r["order_id"]: r["order_time"].date().isoformat()
        for r in pq.read_table(home / "raw" / "orders").to_pylist()
    }
    assert got == {"O1": "2025-03-25", "O2": "2025-04-05", "O3": "2025-04-13"}
    # no day above 12: day or month first cannot be told, so nothing is guessed
    g = tmp_path / "ambiguous.csv"
    g.write_text("客户编号,下单日期,金额\nA,05/04/2025,10\nB,06/04/2025,20\n", encoding="utf-8")
    out = tmp_path / "g.yaml"
    assert cli(monkeypatch, "ingest", str(g), "--infer", "--out", str(out)) == 0
    assert "no day above 12" in capsys.readouterr().out
    proposed = yaml.safe_load(out.read_text("utf-8"))
    assert "date_format" not in proposed["sources"][0]
    code = cli(monkeypatch, "ingest", str(g), "--mapping", str(out))
    err = capsys.readouterr().err
    assert code != 0  # every row quarantined: an error, with the fix
    assert "order_time: not a date-time" in err and "set date_format" in err
    q = pq.read_table(home / "quarantine" / "orders").to_pylist()
    assert {r["row"] for r in q} == {2, 3}
    # the user says which: date_format in the mapping
    proposed["sources"][0]["date_format"] = "%d/%m/%Y"
    out.write_text(yaml.safe_dump(proposed, allow_unicode=True), encoding="utf-8")
    assert cli(monkeypatch, "ingest", str(g), "--mapping", str(out), "--force") == 0
    got = {
        r["order_id"]: r["order_time"].date().isoformat()
        for r in pq.read_table(home / "raw" / "orders").to_pylist()
    }
    assert got["ambiguous.csv#2"] == "2025-04-05" and got["ambiguous.csv#3"] == "2025-04-06"


def test_a_date_format_without_a_day_is_refused_with_its_key_path(
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    f = tmp_path / "o.csv"
    f.write_text("customer_id,order_time,amount\nA,2025-01-01,1\n", encoding="utf-8")
    m = tmp_path / "m.yaml"
    m.write_text(
        "sources:\n  - {file: o.csv, table: orders, date_format: 'dd/mm/yyyy'}\n",
        encoding="utf-8",
    )
    code = cli(monkeypatch, "ingest", str(f), "--mapping", str(m))
    err = capsys.readouterr().err
    assert code != 0 and "Traceback" not in err
    assert "sources.0" in err and "date_format 'dd/mm/yyyy' is not a strptime format" in err

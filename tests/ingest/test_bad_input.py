"""Bad input: each case gives a clear message and loses no row (R-DAT-2, R-DAT-4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers_ingest import NOW, load_one

from tierwise.errors import DataError
from tierwise.ingest.mapping import default_mapping
from tierwise.ingest.run import ingest

ORDERS_HEAD = "订单编号,客户编号,下单时间,下单渠道,订单金额\n"


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_empty_file_is_refused_with_a_reason(home: Path, tmp_path: Path) -> None:
    f = write(tmp_path / "orders.csv", "")
    with pytest.raises(DataError, match=r"orders\.csv is empty \(0 bytes, no header row\)"):
        load_one(home, f)
    assert not (home / "raw" / "orders").exists()


def test_header_only_is_refused_unless_allowed(home: Path, tmp_path: Path) -> None:
    f = write(tmp_path / "orders.csv", ORDERS_HEAD)
    with pytest.raises(DataError, match="has a header row but no data rows"):
        load_one(home, f)
    landed = load_one(home, f, allow_empty=True)
    assert landed.result.rows_in == 0


def test_missing_required_column_names_what_exists_and_the_closest(
    home: Path, tmp_path: Path
) -> None:
    f = write(
        tmp_path / "orders.csv",
        "订单编号,客户编号,下单时间,下单渠道,订单金额额\nO1,C1,2025-01-01,online,1\n",
    )
    with pytest.raises(DataError) as err:
        load_one(home, f)
    msg = str(err.value)
    assert "required column '订单金额' / 'amount' (for orders.amount) is missing" in msg
    assert "'订单金额额'" in msg
    assert "closest match is '订单金额额'" in msg
    assert err.value.fields["available"] == [
        "订单编号",
        "客户编号",
        "下单时间",
        "下单渠道",
        "订单金额额",
    ]


def test_extra_and_duplicated_headers(home: Path, tmp_path: Path) -> None:
    extra = write(
        tmp_path / "orders.csv",
        "备注,订单编号,客户编号,下单时间,下单渠道,订单金额,备注\nx,O1,C1,2025-01-01,online,1,y\n",
    )
    landed = load_one(home, extra)
    assert landed.result.rows_loaded == 1
    assert any("extra columns ignored" in n for n in landed.result.notes)
    assert any("duplicated unmapped headers: '备注'" in n for n in landed.result.notes)
    dup = write(
        tmp_path / "orders.csv",
        ORDERS_HEAD.rstrip("\n") + ",订单金额\nO1,C1,2025-01-01,online,1,2\n",
    )
    with pytest.raises(DataError, match=r"header '订单金额' \(for orders.amount\) appears 2 times"):
        load_one(home, dup)


def test_unparseable_negative_absurd_and_future_values_are_quarantined(
    home: Path, tmp_path: Path
) -> None:
    rows = [
        'O1,C1,2025-03-05 14:03:00,online,"¥1,234.50"',  # good, ¥ and thousands separator
        "O2,C1,2025/3/5 14:03,online,1234.5元",  # good
        "O3,C1,2025年3月5日 14:03,线上,１２３．５",  # good: recoded channel, full-width digits
        "O4,C1,2025-02-30 10:00,online,10",  # impossible date
        "O5,C1,昨天,online,10",  # unparseable date
        "O6,C1,2025-03-05,online,一百",  # unparseable amount
        "O7,C1,2025-03-05,online,-10",  # negative
        "O8,C1,2025-03-05,online,99999999999",  # absurd
        "O9,C1,2030-01-01,online,10",  # future
        "O10,C1,1970-01-01,online,10",  # implausibly old
        ",C1,2025-03-05,online,10",  # missing id
        "O12,C1,2025-03-05,web,10",  # not an allowed channel
    ]
    f = write(tmp_path / "orders.csv", ORDERS_HEAD + "\n".join(rows) + "\n")
    landed = load_one(home, f)
    assert landed.lake.column("order_id").to_pylist() == ["O1", "O2", "O3"]
    assert [str(a) for a in landed.lake.column("amount").to_pylist()] == [
        "1234.50",
        "1234.50",
        "123.50",
    ]
    assert landed.lake.column("channel").to_pylist() == ["online"] * 3
    q = {r["row"]: r for r in landed.quarantine.to_pylist()}
    assert sorted(q) == list(range(5, 14))  # header is row 1; O4 is row 5
    assert q[5]["column"] == "order_time"
    assert q[5]["value"] == "2025-02-30 10:00"
    assert "not a date-time" in q[6]["reason"]
    assert q[7]["column"] == "amount"
    assert "not an amount in yuan" in q[7]["reason"]
    assert "negative value" in q[8]["reason"]
    assert "absurd amount" in q[9]["reason"]
    assert "in the future" in q[10]["reason"]
    assert "implausibly old" in q[11]["reason"]
    assert q[12]["column"] == "order_id"
    assert "missing value" in q[12]["reason"]
    assert "not one of: online, offline, wholesale, retail" in q[13]["reason"]
    raw = json.loads(q[13]["raw"])
    assert raw == {
        "订单编号": "O12",
        "客户编号": "C1",
        "下单时间": "2025-03-05",
        "下单渠道": "web",
        "订单金额": "10",
    }


def test_rows_with_the_wrong_number_of_fields_keep_their_line(home: Path, tmp_path: Path) -> None:
    f = write(
        tmp_path / "orders.csv",
        ORDERS_HEAD + "O1,C1,2025-03-05,online,1\nO2,C1\n"
        "O3,C1,2025-03-05,online,1,extra\nO4,C1,2025-03-05,online,1\n",
    )
    landed = load_one(home, f)
    assert landed.lake.column("order_id").to_pylist() == ["O1", "O4"]
    q = {r["row"]: r for r in landed.quarantine.to_pylist()}
    assert q[3]["raw"] == "O2,C1"
    assert "line has 2 fields, the header has 5" in q[3]["reason"]
    assert q[4]["raw"] == "O3,C1,2025-03-05,online,1,extra"


def test_wrong_encoding_given_fails_fast_on_the_header(home: Path, tmp_path: Path) -> None:
    f = write(tmp_path / "orders.csv", ORDERS_HEAD + "O1,C1,2025-03-05,online,1\n", "gbk")
    with pytest.raises(DataError, match="required column '客户编号'"):
        load_one(home, f, encoding="utf-8")


def test_mixed_encodings_quarantine_the_undecodable_rows(home: Path, tmp_path: Path) -> None:
    body = (ORDERS_HEAD + "O1,C1,2025-03-05,online,1\n").encode()
    body += "O2,客户二,2025-03-05,online,1\n".encode("gbk")
    body += "O3,客户三,2025-03-05,online,1\n".encode()
    f = tmp_path / "orders.csv"
    f.write_bytes(body)
    landed = load_one(home, f)
    assert landed.lake.column("order_id").to_pylist() == ["O1", "O3"]
    (bad,) = landed.quarantine.to_pylist()
    assert bad["row"] == 3
    assert "undecodable bytes: the text is not valid utf-8" in bad["reason"]


def test_order_lines_whose_order_does_not_exist(home: Path, tmp_path: Path) -> None:
    orders = write(tmp_path / "orders.csv", ORDERS_HEAD + "O1,C1,2025-03-05,online,90\n")
    lines = write(
        tmp_path / "order_lines.csv",
        "订单编号,行号,商品编码,品类,数量,单价,金额,成本\n"
        "O1,1,SKU1,火锅食材,2,45,90,60\nO404,1,SKU1,火锅食材,2,45,90,60\n",
    )
    load_one(home, orders)
    landed = load_one(home, lines)
    assert landed.lake.column("order_id").to_pylist() == ["O1"]
    (bad,) = landed.quarantine.to_pylist()
    assert bad["row"] == 3
    assert bad["value"] == "O404"
    assert "orphan: no orders row has this order_id" in bad["reason"]


def test_a_folder_without_mapped_files_says_what_it_expected(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    with pytest.raises(DataError, match=r"expected one of: regions\.csv"):
        ingest(tmp_path / "src", default_mapping(), raw=tmp_path / "raw", home=tmp_path, now=NOW)

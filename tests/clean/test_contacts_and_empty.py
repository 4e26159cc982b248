"""Issue 17, data no one here wrote (R-DAT-3, R-DAT-4): malformed contact fields are kept but
flagged and counted; an empty customers table is one line, not a DuckDB BinderException."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tierwise.clean.names import contact_name_problem, phone_problem
from tierwise.clean.report import clean_report
from tierwise.clean.run import CleanResult, _flag_contacts, clean
from tierwise.errors import DataError
from tierwise.model.arrow import arrow_schema
from tierwise.model.tables import TABLES


@pytest.mark.parametrize(
    ("phone", "problem"),
    [
        ("13812341234", None),
        ("+86 138-1234-1234", None),
        ("028-85551234", None),
        ("1381234123", "mobile number with 10 digits, not 11"),
        ("138123412345", "mobile number with 12 digits, not 11"),
        ("０２８８５５５", "landline with 7 digits"),
        ("abc", "no digits"),
        ("5551234", "neither a mobile (1…, 11 digits) nor a landline (0…): 7 digits"),
        (None, None),
        ("", None),
    ],
)
def test_phone_problems(phone: str | None, problem: str | None) -> None:
    assert phone_problem(phone) == problem


def test_contact_name_problems() -> None:
    assert contact_name_problem("王小明") is None and contact_name_problem(None) is None
    assert contact_name_problem("王1") == "digits in a contact name"
    assert contact_name_problem("--") == "no letters in a contact name"


def test_malformed_contacts_are_kept_flagged_and_in_the_report(tmp_path: Path) -> None:
    cust = pd.DataFrame(
        {"customer_id": ["c1", "c2", "c3"], "phone": ["13812341234", "1381234", "0288555123"],
         "contact_name": ["王小明", "李4", None]}
    )  # fmt: skip
    res = CleanResult()
    _flag_contacts(cust, res)
    assert res.flags == {"malformed_phone": 1, "malformed_contact_name": 1}
    assert any("c2: mobile number with 7 digits" in n for n in res.notes)
    report = clean_report(res, raw=tmp_path, lake=tmp_path)
    assert report["summary"]["flag malformed_phone"] == 1
    assert list(cust["phone"]) == ["13812341234", "1381234", "0288555123"]  # kept as given


def _raw_with_empty_customers(raw: Path) -> None:
    (raw / "customers").mkdir(parents=True)
    pq.write_table(arrow_schema(TABLES["customers"]).empty_table(), raw / "customers" / "p.parquet")
    orders = pa.schema([f.with_nullable(True) for f in arrow_schema(TABLES["orders"])])
    row: dict[str, list[object]] = {f.name: [None] for f in orders}
    row.update(order_id=["o1"], customer_id=["c1"], order_time=[dt.datetime(2025, 1, 2)],
               channel=["online"])  # fmt: skip
    (raw / "orders").mkdir()
    pq.write_table(pa.table(row, schema=orders), raw / "orders" / "p.parquet")


def test_an_empty_customers_table_is_one_clear_error(tmp_path: Path) -> None:
    _raw_with_empty_customers(tmp_path / "raw")
    with pytest.raises(DataError, match=r"customers table of the raw lake at .* is empty"):
        clean(tmp_path / "raw", tmp_path / "lake")
    env = {**os.environ, "TIERWISE_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "tierwise", "clean"], env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert done.returncode != 0
    lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "is empty" in lines[0], done.stderr

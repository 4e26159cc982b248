"""Exports open cleanly in Excel in Chinese (issue 18 finding 5): Chinese headers by default
(codes on request), tier, layer and tag names, money with two decimals, UTF-8 with BOM."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest

from .conftest import Site, login
from .test_browser import api

pytestmark = pytest.mark.browser


def test_the_export_reads_in_chinese_in_excel(new_page: Any, site: Site) -> None:
    page = new_page()
    login(page, site, "admin")
    page.goto(f"{site.url}/console/customers")
    with page.expect_download() as dl:
        page.click("#export")
    raw = Path(dl.value.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert list(rows[0])[:5] == ["编号", "名称", "等级", "分层", "标签"]
    by_id = {r["编号"]: r for r in rows}
    items = api(site, "admin", "/customers?limit=500")["items"]
    tiers = {"platinum": "铂金", "gold": "黄金", "silver": "白银", "bronze": "青铜"}
    for c in items:
        r = by_id[c["customer_id"]]
        assert r["等级"] == (tiers[c["tier"]] if c["tier"] else "未定级")
        if c["spend_365d"] is not None:
            assert re.fullmatch(r"-?\d+\.\d{2}", r["近一年采购额（元）"])
            assert abs(float(r["近一年采购额（元）"]) - c["spend_365d"]) < 0.006
        if "churn_warning" in c["tags"]:
            assert "流失预警" in r["标签"]
        for code in c["tags"]:
            assert code not in r["标签"]
        if c["layers"].get("preference") == "mixed":
            assert "品类偏好：综合型" in r["分层"]
    codes = page.request.get(f"{site.url}/console/customers.csv?codes=1").text()
    assert codes.lstrip("\ufeff").startswith("customer_id,name,tier,layers,tags")
    english = page.request.get(f"{site.url}/console/customers.csv?lang=en").text()
    assert english.lstrip("\ufeff").startswith("ID,Name,Tier,Layer,Tags")

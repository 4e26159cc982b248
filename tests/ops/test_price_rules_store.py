"""The price rules in the store (R-OPS-3, issue 21 item 2): a file's rules saved whole or not at
all, conflicts among a batch's own rules refused naming both rows, and the quote's in-process
index current after every save and delete (the one-row version read instead of a scan)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tierwise.errors import ConflictError
from tierwise.ops.benefits.price_rules import delete_rule, list_rules, quote, rule_index, save_rules
from tierwise.ops.benefits.pricing import Line, PriceRule
from tierwise.store.db import make_engine, sqlite_url
from tierwise.store.migrate import upgrade
from tierwise.store.schema import PriceRuleRow, PriceRuleVersion

D = dt.date(2026, 12, 1)
NOW = dt.datetime(2026, 12, 1, 9)


def rule(code: str, value: str, **kw: object) -> PriceRule:
    return PriceRule(None, code, "discount_pct", Decimal(value), dt.date(2026, 1, 1), **kw)  # type: ignore[arg-type]


def test_the_quote_index_follows_every_save_and_delete(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "s.db"))
    upgrade(engine)
    line = [Line("V1", "蔬菜", Decimal("10.00"))]
    assert quote(engine, "C1", None, D, line).lines[0].rule is None
    first = save_rules(engine, [rule("veg5", "5", category="蔬菜")], author="t", now=NOW)[0]
    assert quote(engine, "C1", None, D, line).lines[0].net_price == Decimal("9.50")
    before = rule_index(engine)
    assert rule_index(engine) is before  # nothing changed: the same index, no reload
    save_rules(engine, [rule("v1x", "20", sku="V1", priority=3)], author="t", now=NOW)
    assert quote(engine, "C1", None, D, line).lines[0].net_price == Decimal("8.00")
    delete_rule(engine, first.id or 0, now=NOW)  # not the newest rule: a scan of max(id) missed it
    assert [r.code for r in list_rules(engine)] == ["v1x"]
    assert rule_index(engine) is not before
    with engine.connect() as conn:
        assert conn.execute(select(PriceRuleVersion.version)).scalar_one() == 3


def test_a_batch_is_saved_whole_or_refused_naming_both_rows(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "s.db"))
    upgrade(engine)
    batch = [rule("a1", "5", category="蔬菜"), rule("b2", "3", tier="gold"),
             rule("c3", "8", sku="V1")]  # fmt: skip
    with pytest.raises(ConflictError) as err:
        save_rules(engine, batch, author="t", now=NOW, lines=[2, 3, 4])
    msg = str(err.value)
    assert "b2 (row 3) conflicts with a1 (row 2 of the file)" in msg, msg
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(PriceRuleRow)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(PriceRuleVersion)).scalar_one() == 0
    ok = save_rules(engine, [batch[0], rule("b2", "3", tier="gold", priority=1)], author="t",
                    now=NOW)  # fmt: skip
    assert [r.id for r in ok] == [1, 2]


def test_rules_from_excel_and_lines_from_a_gbk_file(tmp_path: Path) -> None:
    from openpyxl import Workbook

    from tierwise.ops.benefits.price_rule_files import read_lines, read_rules

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(
        [
            "规则编码",
            "类型",
            "数值",
            "生效日",
            "失效日",
            "优先级",
            "等级",
            "商品编码",
            "品类",
            "地区",
        ]
    )
    ws.append(["veg8", "折扣", 8, dt.datetime(2026, 12, 1), None, 5, "gold", None, "蔬菜", "不限"])
    ws.append(["v1", "净价", 3.5, dt.datetime(2026, 12, 1), dt.datetime(2027, 1, 1), 9, "全部",
               "V1", None, "广东省"])  # fmt: skip
    wb.save(tmp_path / "价格规则.xlsx")
    rules, rows = read_rules(tmp_path / "价格规则.xlsx")
    assert rows == [2, 3]
    assert (rules[0].code, rules[0].kind, rules[0].value, rules[0].tier, rules[0].region) == (
        "veg8", "discount_pct", Decimal("8.00"), "gold", None)  # fmt: skip
    assert (rules[1].kind, rules[1].value, rules[1].valid_until, rules[1].tier, rules[1].sku,
            rules[1].region) == ("net_price", Decimal("3.50"), dt.date(2027, 1, 1), None, "V1",
                                 "广东省")  # fmt: skip
    f = tmp_path / "明细.csv"
    f.write_bytes('商品编码,品类,数量,单价\nV1,蔬菜,2,12.50\nM1,,1,"1,020.00"\n'.encode("gbk"))
    lines = read_lines(f)
    assert [(ln.sku, ln.category, ln.quantity, ln.list_price) for ln in lines] == [
        ("V1", "蔬菜", Decimal(2), Decimal("12.50")), ("M1", None, Decimal(1), Decimal("1020.00"))]  # fmt: skip

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

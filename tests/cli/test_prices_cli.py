"""`tierwise prices list / add / import / quote` as a user runs them (R-OPS-3, issue 21 item 2):
a GBK file with Chinese headers saved whole, a conflicting file refused whole with both rules
and an example line, filters, and a quote that says per line which rule and why."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from tierwise.api.sample import seed
from tierwise.settings import Settings
from tierwise.store.db import make_engine
from tierwise.store.schema import CustomerProfile, CustomerTier, PriceRuleRow

from .test_runs import tierwise

CUSTOMER = "C0000003"


def _home(tmp: Path) -> tuple[str, str]:
    engine = make_engine(Settings(home=tmp).state_url)
    seed(engine, tmp, 20)
    with engine.connect() as conn:
        tier = conn.execute(
            select(CustomerTier.tier).where(CustomerTier.customer_id == CUSTOMER)
        ).scalar_one()
        province = conn.execute(
            select(CustomerProfile.province).where(CustomerProfile.customer_id == CUSTOMER)
        ).scalar_one()
    engine.dispose()
    return tier, province


def _count(tmp: Path) -> int:
    engine = make_engine(Settings(home=tmp).state_url)
    with engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(PriceRuleRow)).scalar_one()
    engine.dispose()
    return int(n)


def test_import_list_and_quote(tmp_path: Path) -> None:
    tier, province = _home(tmp_path)
    good = tmp_path / "价格规则.csv"
    good.write_bytes(
        (
            "规则编码,类型,数值,生效日,失效日,优先级,等级,商品编码,品类,地区\n"
            f"t_veg,折扣,8,2026-11-01,,5,{tier},,蔬菜,\n"
            f"v1_net,净价,3.50,2026-11-01,2027-01-01,9,,V1,,{province}\n"
            "all_1,折扣,1,2026-01-01,,0,全部,,,\n"
        ).encode("gbk")
    )
    out = tierwise("prices", "import", str(good), home=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "3 price rule(s) saved" in out.stdout
    assert _count(tmp_path) == 3

    # a file whose second row conflicts with a saved rule: refused whole, both rules named
    clash = tmp_path / "clash.csv"
    clash.write_text(
        "code,kind,value,valid_from,priority,category\n"
        "fruit,discount_pct,3,2026-12-01,5,水果\n"
        "veg2,discount_pct,9,2026-12-01,5,蔬菜\n",
        encoding="utf-8",
    )
    out = tierwise("prices", "import", str(clash), home=tmp_path)
    assert out.returncode != 0
    err = " ".join(out.stderr.split())
    assert "veg2 (row 3) conflicts with t_veg (id 1)" in err, err
    assert "a line of any sku of category 蔬菜" in err
    assert _count(tmp_path) == 3  # nothing of the file saved, not even its good first row

    # a bad row is named with its column and value; nothing saved
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "规则编码,类型,数值,生效日\nok,折扣,5,2026-12-01\nneg,净价,-2,2026-12-01\n"
        "pct,折扣,120,2026-12-01\nwhen,折扣,5,2026-13-01\n",
        encoding="utf-8",
    )
    out = tierwise("prices", "import", str(bad), home=tmp_path)
    err = " ".join(out.stderr.split())
    assert out.returncode != 0 and "3 bad row(s), nothing saved" in err, err
    assert "row 3, column 数值 (value): '-2'" in err and "row 5, column 生效日" in err
    assert _count(tmp_path) == 3

    # filters: a tier's rules, rules for every tier, rules valid on a day
    out = tierwise("prices", "list", "--tier", tier, home=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "t_veg" in out.stdout and "v1_net" not in out.stdout and "all_1" not in out.stdout
    out = tierwise("prices", "list", "--tier", "any", "--on", "2027-02-01", home=tmp_path)
    assert "all_1" in out.stdout and "v1_net" not in out.stdout and "t_veg" not in out.stdout

    # a one-rule add that conflicts: one line, nothing written
    out = tierwise(
        "prices", "add", "x", "--kind", "discount_pct", "--value", "2", "--from", "2026-12-01",
        "--category", "蔬菜", "--priority", "5", home=tmp_path,
    )  # fmt: skip
    assert out.returncode != 0 and "conflicts with t_veg (id 1)" in " ".join(out.stderr.split())
    assert _count(tmp_path) == 3

    out = tierwise(
        "prices", "quote", CUSTOMER, "--day", "2026-12-01", "--line", "V1,蔬菜,2,5.00",
        "--line", "C9,蔬菜,1,10.00", "--line", "M1,鲜肉,3,20.00", home=tmp_path,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    rows = {ln.split("│")[1].strip(): ln for ln in out.stdout.splitlines() if ln.count("│") > 5}
    assert "3.50" in rows["V1"] and "v1_net" in rows["V1"]  # the net price wins by priority
    assert "9.20" in rows["C9"] and "t_veg" in rows["C9"]  # 8 % off 10.00
    assert "19.80" in rows["M1"] and "all_1" in rows["M1"]  # 1 % off 20.00
    assert "total 75.60 yuan" in out.stdout  # 7.00 + 9.20 + 59.40

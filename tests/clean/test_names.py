"""Standard names, phones and addresses (R-DAT-3)."""

from __future__ import annotations

import pytest

from tierwise.clean.address import Gazetteer, split_address
from tierwise.clean.names import normalize_name, normalize_phone

TRUE = "川味道快餐(文化路店)"


@pytest.mark.parametrize(
    "variant",
    [
        "川味道快餐（文化路店）",  # full width brackets
        "川味 道快餐(文化路店)  ",  # spaces
        "川味道快餐(文化路店)有限公司",  # company suffix added
        "川味道快餐(文化路店)(有限公司)",  # bracketed suffix
        "川味道快餐(文化路店)",  # already standard
    ],
)
def test_name_variants_share_one_standard_form(variant: str) -> None:
    assert normalize_name(variant) == normalize_name(TRUE)


def test_traditional_and_full_width_letters() -> None:
    assert normalize_name("廣州匯源餐飲服務有限公司") == normalize_name("广州汇源餐饮服务有限公司")
    assert normalize_name("ＡＢＣ火锅") == "abc火锅"


def test_branches_of_a_chain_stay_apart() -> None:
    assert normalize_name("红牛人家常菜(长江路店)") != normalize_name("红牛人家常菜(长江路二店)")


def test_phone_digits_only() -> None:
    assert normalize_phone("+86 138-0000-1234") == "13800001234"
    assert normalize_phone("１３８００００１２３４") == "13800001234"
    assert normalize_phone(None) == ""


def test_address_into_province_city_district() -> None:
    a = split_address("四川省成都市武侯区 人民南路四段 1 号")
    assert (a.province, a.city, a.district, a.street) == (
        "四川省",
        "成都市",
        "武侯区",
        "人民南路四段1号",
    )


def test_abbreviated_address_with_a_gazetteer() -> None:
    g = Gazetteer([("四川省", "成都市", "武侯区"), ("北京市", "北京市", "朝阳区")])
    a = split_address("四川成都武侯区人民南路", gazetteer=g)
    assert (a.province, a.city, a.district, a.street) == ("四川省", "成都市", "武侯区", "人民南路")
    b = split_address("北京朝阳区建国路1号", gazetteer=g)
    assert (b.province, b.city, b.district, b.street) == ("北京市", "北京市", "朝阳区", "建国路1号")
    c = split_address("人民南路3号", "四川", "成都", "武侯", gazetteer=g)
    assert (c.province, c.city, c.district, c.street) == (
        "四川省",
        "成都市",
        "武侯区",
        "人民南路3号",
    )

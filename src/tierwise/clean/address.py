"""Addresses into 省/市/区 plus street (R-DAT-3).

Source addresses come with or without the province, city and district in front, with
abbreviated names (四川 for 四川省, 成都 for 成都市), full-width characters and spaces. The
standard form is the official province, city and district names (from the regions table when
one is given) and the street part below the district.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tierwise.clean.names import fold_width, to_simplified

_ADDR = re.compile(
    r"^(?P<province>[^省市区县]{2,7}?(?:省|自治区|特别行政区)|北京市?|上海市?|天津市?|重庆市?)?"
    r"(?P<city>[^省市区县]{2,9}?(?:市|自治州|地区|盟))?"
    r"(?P<district>[^省市区县]{1,9}?(?:区|县|旗|市))?"
    r"(?P<street>.*)$"
)
_MUNICIPALITIES = ("北京", "上海", "天津", "重庆")


@dataclass(frozen=True)
class Address:
    """An address split into its administrative parts and the street."""

    province: str
    city: str
    district: str
    street: str


def _clean(text: str | None) -> str:
    if not isinstance(text, str) or not text:
        return ""
    return re.sub(r"\s+", "", to_simplified(fold_width(text)))


def short_place(name: str) -> str:
    """A place name without its level suffix (四川省 -> 四川, 成都市 -> 成都), for matching."""
    for suffix in ("特别行政区", "自治区", "自治州", "省", "市", "地区", "区", "县"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


class Gazetteer:
    """Official names of provinces, cities and districts, looked up by short or full name.

    Parameters
    ----------
    places:
        ``(province, city, district)`` triples in their official form (the regions table).
    """

    def __init__(self, places: list[tuple[str, str, str]]) -> None:
        self.provinces = {short_place(p): p for p, _, _ in places}
        self.cities = {(short_place(p), short_place(c)): c for p, c, _ in places}
        self.districts = {(short_place(p), short_place(c), short_place(d)): d for p, c, d in places}
        self.by_city = {short_place(c): (p, c) for p, c, _ in places}

    def peel(self, text: str, p: str, c: str, d: str) -> tuple[str, str, str, str]:
        """Take known province, city and district names (full or short) off the front."""

        def take(names: dict[str, str], text: str) -> tuple[str, str]:
            for short, full in sorted(names.items(), key=lambda kv: -len(kv[0])):
                for form in (full, short):
                    if form and text.startswith(form):
                        return text[len(form) :], full
            return text, ""

        if not p:
            text, p = take(self.provinces, text)
        sp = short_place(p)
        if not c:
            text, c = take({k[1]: v for k, v in self.cities.items() if not sp or k[0] == sp}, text)
        sc = short_place(c)
        if not d:
            text, d = take(
                {k[2]: v for k, v in self.districts.items() if (not sc or k[1] == sc)}, text
            )
        return text, p, c, d

    def standard(self, province: str, city: str, district: str) -> tuple[str, str, str]:
        """Official names for possibly abbreviated ones (unknown names are kept)."""
        sp, sc, sd = short_place(province), short_place(city), short_place(district)
        if not sp and sc in self.by_city:
            province = self.by_city[sc][0]
            sp = short_place(province)
        p = self.provinces.get(sp, province)
        c = self.cities.get((sp, sc), city)
        d = self.districts.get((sp, sc, sd), district)
        return p, c, d


def split_address(
    address: str | None,
    province: str | None = None,
    city: str | None = None,
    district: str | None = None,
    gazetteer: Gazetteer | None = None,
) -> Address:
    """Split an address into 省/市/区 and street; given parts win over parsed ones.

    Examples
    --------
    >>> split_address("四川省成都市武侯区 人民南路四段 1 号")
    Address(province='四川省', city='成都市', district='武侯区', street='人民南路四段1号')
    """
    text = _clean(address)
    p0, c0, d0 = _clean(province), _clean(city), _clean(district)
    # Drop the parts the caller gave when the address repeats them.
    for part in (p0, c0, d0):
        for form in (part, short_place(part)):
            if form and text.startswith(form):
                text = text[len(form) :]
                break
    if gazetteer is not None:
        text, p0, c0, d0 = gazetteer.peel(text, p0, c0, d0)
    m = _ADDR.match(text)
    assert m is not None  # the pattern matches any string
    p = p0 or (m.group("province") or "")
    c = c0 or (m.group("city") or "")
    d = d0 or (m.group("district") or "")
    street = m.group("street") if not (p0 and c0 and d0) else text
    if p0 and c0 and d0:
        street = text
    if short_place(p) in _MUNICIPALITIES and not c:
        c = p if p.endswith("市") else p + "市"
    if gazetteer is not None:
        p, c, d = gazetteer.standard(p, c, d)
    return Address(p, c, d, street or "")

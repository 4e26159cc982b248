"""Masking of personal data (R-INT-4): one pure function, the same everywhere."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tierwise.api.masking import mask_address, mask_name, mask_phone, mask_record


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("13812341234", "138****1234"),
        (" 13812341234 ", "138****1234"),
        ("028-85551234", "028*****1234"),
        ("85551234", "******34"),
        ("12", "**"),
        ("", ""),
    ],
)
def test_phone(raw: str, masked: str) -> None:
    assert mask_phone(raw) == masked


@pytest.mark.parametrize(
    ("raw", "masked"), [("王小明", "王**"), ("欧阳", "欧*"), ("李", "李"), ("Li Lei", "L*****")]
)
def test_contact_name_keeps_the_family_name(raw: str, masked: str) -> None:
    assert mask_name(raw) == masked


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("人民南路289号", "人民南路***"),
        ("迎宾大道143号2层", "迎宾大道***"),
        ("88号", "***"),
        ("春熙路", "***"),
    ],
)
def test_address_keeps_only_the_road(raw: str, masked: str) -> None:
    assert mask_address(raw) == masked


@given(st.from_regex(r"1[3-9]\d{9}", fullmatch=True))
def test_a_masked_mobile_never_shows_the_middle_digits(phone: str) -> None:
    out = mask_phone(phone)
    assert out is not None and out[3:7] == "****" and out[:3] == phone[:3]
    assert out[-4:] == phone[-4:] and len(out) == 11


def test_record_is_copied_and_other_fields_kept() -> None:
    rec = {"phone": "13812341234", "contact_name": "王小明", "address": "人民路1号", "name": "店"}
    assert mask_record(rec, unmasked=True) == rec
    out = mask_record(rec, unmasked=False)
    assert out == {
        "phone": "138****1234",
        "contact_name": "王**",
        "address": "人民路***",
        "name": "店",
    }
    assert rec["phone"] == "13812341234"  # not changed in place
    assert mask_record({"phone": None}, unmasked=False) == {"phone": None}

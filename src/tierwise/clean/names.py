"""Standard forms of customer and company names (R-DAT-3).

A name is compared in one form: full-width characters folded to half width (NFKC), traditional
characters turned simplified (OpenCC), lower case, no spaces or punctuation, and the legal-form
suffix of a company (有限公司, 有限责任公司 ...) removed. Branch markers in brackets stay: they
tell the outlets of a chain apart.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from opencc import OpenCC

_T2S = OpenCC("t2s")

# Longest first, so 有限责任公司 is removed whole rather than leaving 有限责任.
COMPANY_SUFFIXES = (
    "股份有限公司",
    "有限责任公司",
    "餐饮管理有限公司",
    "有限公司",
    "责任公司",
    "股份公司",
    "集团公司",
    "公司",
    "co.,ltd.",
    "co.,ltd",
    "co.ltd",
    "ltd.",
    "ltd",
)

_PUNCT = re.compile(r"[\s·.,，。、'\"“”‘’`~!！?？:：;；\-—_/\\|]+")
_BRACKETED_SUFFIX = re.compile(r"\((?:股份有限公司|有限责任公司|有限公司|责任公司|公司)\)$")
_BRACKETS = str.maketrans({"（": "(", "）": ")", "【": "(", "】": ")", "[": "(", "]": ")"})


def fold_width(text: str) -> str:
    """Full-width letters, digits and punctuation to half width (NFKC)."""
    return unicodedata.normalize("NFKC", text)


@lru_cache(maxsize=1_000_000)
def to_simplified(text: str) -> str:
    """Traditional Chinese characters to simplified."""
    return str(_T2S.convert(text))


def strip_company_suffix(name: str) -> str:
    """The name without a trailing legal-form suffix (成都蜀香餐饮有限公司 -> 成都蜀香餐饮)."""
    for suffix in COMPANY_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def normalize_name(name: str | None) -> str:
    """The comparison form of a customer or company name.

    Examples
    --------
    >>> normalize_name("成都 蜀香餐飲有限公司")
    '成都蜀香餐饮'
    >>> normalize_name("ＡＢＣ火锅（春熙路店）")
    'abc火锅(春熙路店)'
    """
    if not isinstance(name, str) or not name:
        return ""
    s = to_simplified(fold_width(name)).lower().translate(_BRACKETS)
    s = _PUNCT.sub("", s)
    s = _BRACKETED_SUFFIX.sub("", s)
    s = strip_company_suffix(s)
    return s


def display_name(name: str | None) -> str:
    """A cleaned display form: half width, simplified, single spaces, suffix kept."""
    if not isinstance(name, str) or not name:
        return ""
    s = to_simplified(fold_width(name)).translate(_BRACKETS)
    return re.sub(r"\s+", " ", s).strip()


def normalize_phone(phone: str | None) -> str:
    """Digits only, without a +86/0086 prefix (a mobile number has 11 digits)."""
    if not isinstance(phone, str) or not phone:
        return ""
    digits = re.sub(r"\D", "", fold_width(phone))
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    elif len(digits) == 15 and digits.startswith("0086"):
        digits = digits[4:]
    return digits


def phone_problem(phone: str | None) -> str | None:
    """Why a (normalized) phone is malformed, or ``None``: a mainland mobile has 11 digits
    starting with 1; a landline is an area code starting with 0 and 10-12 digits in all."""
    if phone is None or not isinstance(phone, str) or not phone.strip():
        return None  # missing is not malformed (the column is optional)
    digits = normalize_phone(phone)
    if not digits:
        return "no digits"
    if digits.startswith("1"):
        return None if len(digits) == 11 else f"mobile number with {len(digits)} digits, not 11"
    if digits.startswith("0"):
        return None if 10 <= len(digits) <= 12 else f"landline with {len(digits)} digits"
    return f"neither a mobile (1…, 11 digits) nor a landline (0…): {len(digits)} digits"


def contact_name_problem(name: str | None) -> str | None:
    """Why a contact name is malformed (digits or only punctuation in it), or ``None``."""
    if name is None or not isinstance(name, str) or not name.strip():
        return None
    if re.search(r"\d", fold_width(name)):
        return "digits in a contact name"
    if not re.search(r"\w", name):
        return "no letters in a contact name"
    return None

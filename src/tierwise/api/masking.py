"""Masking of personal data (R-INT-4): one pure function used by JSON, exports and the console.

* phone ``13812341234`` → ``138****1234`` (first three and last four digits kept)
* contact name ``王小明`` → ``王**`` (family name kept)
* address: the district is kept in its own column; the street address below it becomes
  ``***`` except for a leading road name up to its first number (``人民南路***``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

PERSONAL = ("contact_name", "phone", "address")
_DIGITS = re.compile(r"\d")


def mask_phone(phone: str | None) -> str | None:
    """``13812341234`` → ``138****1234``; numbers shorter than 11 keep only their last two."""
    if phone is None:
        return None
    p = phone.strip()
    if len(p) >= 11:
        return p[:3] + "*" * (len(p) - 7) + p[-4:]
    return "*" * (len(p) - 2) + p[-2:] if len(p) > 2 else "*" * len(p)


def mask_name(name: str | None) -> str | None:
    """``王小明`` → ``王**``; ``Li Lei`` → ``L*****``."""
    if name is None:
        return None
    n = name.strip()
    return n[:1] + "*" * (len(n) - 1) if n else n


def mask_address(address: str | None) -> str | None:
    """Keep the road name up to its first digit, mask the rest (``人民南路***``)."""
    if address is None:
        return None
    m = _DIGITS.search(address)
    head = address[: m.start()] if m else ""
    return f"{head}***" if head and len(head) < len(address) else "***"


_MASKERS = {"phone": mask_phone, "contact_name": mask_name, "address": mask_address}


def mask_record(record: Mapping[str, Any], *, unmasked: bool) -> dict[str, Any]:
    """``record`` with its personal fields masked unless ``unmasked`` (a copy, never in place)."""
    out = dict(record)
    if unmasked:
        return out
    for col, fn in _MASKERS.items():
        if col in out and out[col] is not None:
            out[col] = fn(str(out[col]))
    return out

"""Name variants under which a customer gets registered twice (the duplicates to find).

Each function turns a clean name into the kind of variant real exports carry: full-width
characters (（春熙路店）), another company suffix (有限责任公司), stray spaces, a typo by a
similar-sounding character, or traditional characters (餐飲).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from opencc import OpenCC

_S2T = OpenCC("s2t")
# Characters typed by mistake for one another with a pinyin input method (same sound).
_HOMOPHONES = {
    "码": "马", "锅": "过", "餐": "参", "饮": "隐", "管": "官", "理": "里", "限": "线",
    "司": "思", "川": "穿", "香": "乡", "店": "点", "味": "未", "记": "纪", "老": "劳",
    "小": "晓", "大": "达", "火": "伙", "鲜": "先", "食": "实", "品": "聘", "城": "成",
}  # fmt: skip
_SUFFIXES = (
    ("有限公司", "有限责任公司"),
    ("有限公司", ""),
    ("有限公司", "(有限公司)"),
    ("餐饮管理有限公司", "餐饮管理公司"),
)


def fullwidth(text: str, rng: np.random.Generator) -> str:
    """ASCII letters, digits and brackets to their full-width forms (（春熙路店）)."""
    out = "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)
    return out if out != text else text + "\u3000"  # nothing to widen: a full-width space


def suffix(text: str, rng: np.random.Generator) -> str:
    """Another legal-form suffix, or none (有限公司 → 有限责任公司 / 公司 / dropped)."""
    options = [(a, b) for a, b in _SUFFIXES if a in text]
    if not options:
        return text + "有限公司"
    a, b = options[int(rng.integers(0, len(options)))]
    return text.replace(a, b, 1)


def spaces(text: str, rng: np.random.Generator) -> str:
    """A space inside the name and sometimes one at an end."""
    if len(text) < 2:
        return text + " "
    cut = int(rng.integers(1, len(text)))
    ends = ("", " ", "  ")[int(rng.integers(0, 3))]
    return text[:cut] + " " + text[cut:] + ends


def typo(text: str, rng: np.random.Generator) -> str:
    """One character replaced by a same-sounding one (or dropped when none fits)."""
    spots = [i for i, ch in enumerate(text) if ch in _HOMOPHONES]
    if spots:
        i = spots[int(rng.integers(0, len(spots)))]
        return text[:i] + _HOMOPHONES[text[i]] + text[i + 1 :]
    i = int(rng.integers(0, len(text)))
    return text[:i] + text[i + 1 :] if len(text) > 2 else text + text[-1]


def traditional(text: str, rng: np.random.Generator) -> str:
    """Simplified to traditional characters (餐饮 → 餐飲)."""
    converted: str = _S2T.convert(text)
    return converted if converted != text else fullwidth(text, rng)


VARIANTS: dict[str, Callable[[str, np.random.Generator], str]] = {
    "fullwidth": fullwidth,
    "suffix": suffix,
    "spaces": spaces,
    "typo": typo,
    "traditional": traditional,
}

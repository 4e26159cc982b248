"""How source systems write times and amounts: mixed formats, built without Python loops.

Times come as ``2025-03-05 14:03:00`` (ISO), ``2025/3/5 14:03`` (Excel-style, no seconds) or
``2025年3月5日 14:03`` (Chinese); amounts as ``1234.50``, ``¥1,234.50`` or ``1234.5元``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tierwise.generate.arrowkit import US_PER_DAY

TIME_STYLES = ("iso", "slash", "chinese")
AMOUNT_STYLES = ("plain", "yen", "yuan_suffix")


def _s(values: np.ndarray, width: int = 0) -> pa.Array:
    text = pc.cast(pa.array(np.asarray(values, np.int64)), pa.string())
    return pc.utf8_lpad(text, width, "0") if width else text


def _join(*parts: pa.Array | str) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _mix(
    style: np.ndarray, plain: pa.Array, variant: Callable[[np.ndarray, np.ndarray], pa.Array]
) -> pa.Array:
    """``plain`` with the rows of a non-zero style replaced by ``variant(rows, style)``.

    Only the minority of rows in another style are formatted twice, which keeps a chunk of a
    million rows well under a second.
    """
    rows = np.flatnonzero(style)
    if len(rows) == 0:
        return plain
    mask = np.zeros(len(style), bool)
    mask[rows] = True
    values = variant(rows, style[rows])
    return pc.replace_with_mask(plain, pa.array(mask), values)


def _parts(us: np.ndarray) -> tuple[np.ndarray, ...]:
    day = us // US_PER_DAY
    d64 = day.astype("datetime64[D]")
    months = d64.astype("datetime64[M]")
    y = months.astype("datetime64[Y]").astype(np.int64) + 1970
    m = months.astype(np.int64) % 12 + 1
    d = (d64 - months).astype(np.int64) + 1
    secs = (us - day * US_PER_DAY) // 1_000_000
    return y, m, d, secs // 3600, secs // 60 % 60, secs % 60


def format_times(us: np.ndarray, style: np.ndarray) -> pa.Array:
    """Timestamps (microseconds) as strings, each in the style ``TIME_STYLES[style[i]]``."""
    us = np.asarray(us, np.int64)
    y, m, d, hh, mm, ss = _parts(us)
    iso = _join(_s(y), "-", _s(m, 2), "-", _s(d, 2), " ", _s(hh, 2), ":", _s(mm, 2), ":", _s(ss, 2))

    def variant(rows: np.ndarray, st: np.ndarray) -> pa.Array:
        y_, m_, d_, h_, mi_ = (_s(a[rows]) for a in (y, m, d, hh, mm))
        mi2 = pc.utf8_lpad(mi_, 2, "0")
        slash = _join(y_, "/", m_, "/", d_, " ", h_, ":", mi2)
        chinese = _join(y_, "年", m_, "月", d_, "日 ", pc.utf8_lpad(h_, 2, "0"), ":", mi2)
        return pc.if_else(pa.array(st == 1), slash, chinese)

    return _mix(np.asarray(style, np.int8), iso, variant)


def format_dates(days: np.ndarray) -> pa.Array:
    """Day numbers as ISO dates (2025-03-05)."""
    return pc.cast(pa.array(np.asarray(days, np.int32), pa.date32()), pa.string())


def format_amounts(fen: np.ndarray, style: np.ndarray, yen: str = "¥") -> pa.Array:
    """Amounts in fen as strings, each in the style ``AMOUNT_STYLES[style[i]]``.

    ``yen`` is the currency sign: GBK has no U+00A5, so GBK files use the full-width ``￥``.
    """
    fen = np.asarray(fen, np.int64)
    sign = np.where(fen < 0, "-", "")
    a = np.abs(fen)
    yuan, cents = a // 100, a % 100
    plain = _join(pa.array(sign), _s(yuan), ".", _s(cents, 2))

    def variant(rows: np.ndarray, st: np.ndarray) -> pa.Array:
        y, c, sg = yuan[rows], _s(cents[rows], 2), pa.array(sign[rows])
        # Thousands separators: three groups cover any amount a distributor sees.
        hi, mid, lo = y // 1_000_000, y // 1000 % 1000, y % 1000
        grouped = pc.choose(
            pa.array((y >= 1000).astype(np.int8) + (y >= 1_000_000)),
            _s(lo),
            _join(_s(y // 1000), ",", _s(lo, 3)),
            _join(_s(hi), ",", _s(mid, 3), ",", _s(lo, 3)),
        )
        with_yen = _join(sg, yen, grouped, ".", c)
        short = pc.utf8_rtrim(pc.utf8_rtrim(_join(_s(y), ".", c), "0"), ".")
        return pc.if_else(pa.array(st == 1), with_yen, _join(sg, short, "元"))

    return _mix(np.asarray(style, np.int8), plain, variant)


def pick_styles(rng: np.random.Generator, n: int, shares: tuple[float, ...]) -> np.ndarray:
    """A style index per row with the given shares."""
    return rng.choice(len(shares), n, p=shares).astype(np.int8)

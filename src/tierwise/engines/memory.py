"""One memory cap for every engine: ``2GB`` → DuckDB ``memory_limit``, Spark ``2g``."""

from __future__ import annotations

import re

from tierwise.errors import UsageError

_UNITS = {"": 1, "B": 1, "KB": 1000, "MB": 1000**2, "GB": 1000**3, "TB": 1000**4}
_UNITS |= {"KIB": 1024, "MIB": 1024**2, "GIB": 1024**3, "TIB": 1024**4}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?I?B?)\s*$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """Bytes in ``text`` (``2GB``, ``1.5GiB``, ``512MB``).

    Raises
    ------
    UsageError
        When the text is not a size.
    """
    m = _SIZE.match(text)
    unit = m.group(2).upper() if m else ""
    if unit in ("K", "M", "G", "T"):
        unit += "B"
    if m is None or unit not in _UNITS:
        raise UsageError(f"memory limit {text!r} is not a size", hint="write e.g. 2GB or 512MB")
    return int(float(m.group(1)) * _UNITS[unit])


def spark_memory(total: int) -> tuple[str, str]:
    """(JVM heap, off-heap overhead) so that heap + overhead stay within ``total`` bytes.

    The JVM needs room beyond its heap (metaspace, threads, network buffers): a quarter
    of the cap, at least 384 MiB, is kept for that, the rest is the heap.
    """
    mib = total // 1024**2
    overhead = max(384, mib // 4)
    heap = max(512, mib - overhead)
    return f"{heap}m", f"{overhead}m"

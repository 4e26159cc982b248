"""Text encodings of source files: detect UTF-8 (with or without BOM), GBK and GB18030, and
stream any of them to UTF-8 without loading the file whole (R-DAT-2).

GBK files are decoded as GB18030, its superset, so a GBK file with a rare GB18030 character
still reads. Bytes that do not decode become U+FFFD; the validator rejects any row holding one
(reason "undecodable bytes"), so a file with mixed encodings loses no row silently.
"""

from __future__ import annotations

import codecs
import io
from pathlib import Path
from typing import BinaryIO

from charset_normalizer import from_bytes

from tierwise.errors import DataError

SAMPLE_BYTES = 256 * 1024
CHUNK_BYTES = 8 * 1024 * 1024
REPLACEMENT = "\ufffd"

_ALIASES = {
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "utf_8": "utf-8",
    "utf-8-sig": "utf-8-sig",
    "utf_8_sig": "utf-8-sig",
    "gbk": "gb18030",
    "gb2312": "gb18030",
    "gb18030": "gb18030",
    "cp936": "gb18030",
    "ascii": "utf-8",
}


def normalize_encoding(name: str) -> str:
    """The codec Tierwise uses for an encoding name (``gbk`` and ``gb2312`` read as GB18030)."""
    key = name.strip().lower().replace(" ", "")
    if key in _ALIASES:
        return _ALIASES[key]
    try:
        return codecs.lookup(key).name
    except LookupError:
        raise DataError(
            f"unknown encoding {name!r}",
            hint="use utf-8, utf-8-sig, gbk or gb18030, or leave it out to detect it",
            value=name,
        ) from None


def _cut_at_char_boundary(sample: bytes, full: bool) -> bytes:
    if full:
        return sample
    cut = sample.rfind(b"\n")
    return sample[: cut + 1] if cut > 0 else sample


def detect_encoding(path: Path) -> str:
    """Detect a file's encoding from its first bytes.

    Parameters
    ----------
    path:
        The file.

    Returns
    -------
    str
        ``utf-8-sig`` (BOM present), ``utf-8``, ``gb18030`` or what charset-normalizer finds.
    """
    with open(path, "rb") as fh:
        raw = fh.read(SAMPLE_BYTES + 1)
    full = len(raw) <= SAMPLE_BYTES
    if raw.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    sample = _cut_at_char_boundary(raw[:SAMPLE_BYTES], full)
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        sample.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError:
        pass
    best = from_bytes(sample).best()
    if best is None:
        # Mostly UTF-8 with a few foreign bytes: read as UTF-8; bad rows go to quarantine.
        return "utf-8"
    return normalize_encoding(best.encoding)


class Utf8Stream(io.RawIOBase):
    """A read-only binary stream giving a file's text as UTF-8, decoded chunk by chunk.

    Memory use is bounded by the chunk size whatever the size of the file. UTF-8 chunks that
    decode cleanly pass through unchanged (no copy through ``str``).

    Parameters
    ----------
    path:
        The source file.
    encoding:
        A codec name from :func:`normalize_encoding`.
    chunk_bytes:
        How many bytes to read at a time.
    """

    def __init__(self, path: Path, encoding: str, chunk_bytes: int = CHUNK_BYTES) -> None:
        super().__init__()
        self._fh: BinaryIO = open(path, "rb")  # noqa: SIM115 - closed in close()
        self._encoding = "utf-8" if encoding == "utf-8-sig" else encoding
        self._skip_bom = encoding in ("utf-8-sig", "utf-8")
        self._decoder = codecs.getincrementaldecoder(self._encoding)(errors="replace")
        self._chunk = chunk_bytes
        self._buf = b""
        self._pos = 0
        self._eof = False
        self._first = True
        self.replaced = 0  # how many undecodable byte sequences were replaced

    def readable(self) -> bool:
        return True

    def _fill(self) -> None:
        raw = self._fh.read(self._chunk)
        final = not raw
        if self._first:
            self._first = False
            if self._skip_bom and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
        if self._encoding == "utf-8" and not final:
            # Fast path: pass clean UTF-8 through; hold back a split trailing character.
            pending = self._decoder.getstate()[0]
            if not pending:
                keep = 0
                for i in range(1, min(4, len(raw)) + 1):
                    b = raw[-i]
                    if b & 0xC0 == 0x80:
                        continue
                    if b >= 0xC0:
                        need = 2 if b < 0xE0 else 3 if b < 0xF0 else 4
                        keep = i if need > i else 0
                    break
                head = raw[: len(raw) - keep] if keep else raw
                try:
                    head.decode("utf-8")
                except UnicodeDecodeError:
                    pass
                else:
                    self._buf += head
                    if keep:
                        self._decoder.decode(raw[len(raw) - keep :])
                    return
        text = self._decoder.decode(raw, final=final)
        if final:
            self._eof = True
        self.replaced += text.count(REPLACEMENT)
        self._buf += text.encode("utf-8")

    def peek_data(self) -> bool:
        """Whether any bytes are left (reads ahead without consuming)."""
        while len(self._buf) - self._pos == 0 and not self._eof:
            self._fill()
        return len(self._buf) - self._pos > 0

    def _take(self, size: int) -> bytes:
        while len(self._buf) - self._pos < size and not self._eof:
            if self._pos:
                self._buf, self._pos = self._buf[self._pos :], 0
            self._fill()
        out = self._buf[self._pos : self._pos + size]
        self._pos += len(out)
        return out

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        out = self._take(len(b))
        b[: len(out)] = out
        return len(out)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            parts = []
            while chunk := self._take(self._chunk):
                parts.append(chunk)
            return b"".join(parts)
        return self._take(size)

    def close(self) -> None:
        self._fh.close()
        super().close()

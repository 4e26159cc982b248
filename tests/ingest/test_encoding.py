"""Encodings: UTF-8 with and without BOM, GBK and GB18030 detected and streamed (R-DAT-2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tierwise.errors import DataError
from tierwise.ingest.encoding import Utf8Stream, detect_encoding, normalize_encoding

TEXT = "客户编号,门店名称\nC1,蜀香火锅（春熙路店）\nC2,老码头 ¥12\n" * 50


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030"), ("gb18030", "gb18030")],
)
def test_detects_and_streams_each_encoding(tmp_path: Path, encoding: str, expected: str) -> None:
    text = TEXT if encoding.startswith("utf") else TEXT.replace("¥", "￥")
    path = tmp_path / "f.csv"
    path.write_bytes(text.encode(encoding))
    assert detect_encoding(path) == expected
    # Tiny chunks split multi-byte characters; the stream must still give the same text.
    with Utf8Stream(path, expected, chunk_bytes=7) as s:
        assert s.read().decode("utf-8") == text


def test_undecodable_bytes_become_replacement_characters(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(b"a,b\n" + "蜀香,1\n".encode("gbk") + "老码头,2\n".encode())
    with Utf8Stream(path, "utf-8", chunk_bytes=5) as s:
        out = s.read().decode("utf-8")
    assert "\ufffd" in out.splitlines()[1]
    assert out.splitlines()[2] == "老码头,2"


def test_unknown_encoding_is_a_clear_error() -> None:
    with pytest.raises(DataError, match="unknown encoding 'klingon'"):
        normalize_encoding("klingon")

"""Text encodings: detection, decoding, and the messages when nothing fits."""

from __future__ import annotations

from analysis.errors import DataError
from analysis.ingest import messages as M
from analysis.ingest.cells import list_numbers

ENCODINGS: dict[str, str] = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with BOM",
    "cp932": "Shift_JIS (CP932)",
    "utf-16": "UTF-16",
}
"""Encodings the reader accepts, with the label shown to users. CP932 is Windows' superset of Shift_JIS."""


def is_binary(sample: bytes) -> bool:
    """Mostly control bytes (NUL bytes are reported on their own: :func:`nul_byte_error`)."""
    if not sample:
        return False
    controls = sum(1 for b in sample if b < 32 and b not in (0, 9, 10, 13, 12))
    nuls = sample.count(0)
    return controls / len(sample) > 0.05 or nuls / len(sample) > 0.05


def utf16_without_bom(sample: bytes) -> str | None:
    """``utf-16-le`` or ``utf-16-be`` when the bytes look like UTF-16 text without a byte-order mark.

    ASCII-range text in UTF-16 has a NUL in every other byte: the odd bytes for
    little-endian, the even ones for big-endian.
    """
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    even, odd = sample[0 : 2 * pairs : 2].count(0), sample[1 : 2 * pairs : 2].count(0)
    if odd >= 0.3 * pairs and even <= 0.02 * pairs:
        return "utf-16-le"
    if even >= 0.3 * pairs and odd <= 0.02 * pairs:
        return "utf-16-be"
    return None


def nul_byte_error(data: bytes, source: str) -> DataError | None:
    """Where the first NUL byte is (byte offset and line), for a text file that has one."""
    offset = data.find(b"\x00")
    if offset < 0:
        return None
    line = data.count(b"\n", 0, offset) + 1
    return DataError.of(M.NUL_BYTE, source=repr(source), offset=f"{offset:,}", line=line)


def _private_use(text: str) -> bool:
    """CP932 decodes some stray bytes to user-defined (private-use) characters: a sign of a wrong guess."""
    return any("\ue000" <= ch <= "\uf8ff" for ch in text)


def _first_bad_line(data: bytes) -> int:
    for number, line in enumerate(data.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            return number
    return 1


def _mixed_encoding_error(data: bytes, source: str) -> DataError | None:
    """Names lines that are UTF-8 and lines that are not, when a file holds both."""
    utf8_lines: list[int] = []
    other_lines: list[int] = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8_lines.append(number)
        except UnicodeDecodeError:
            other_lines.append(number)
    if not utf8_lines or not other_lines:
        return None
    return DataError.of(M.MIXED_ENCODINGS, source=repr(source), utf8_lines=list_numbers(utf8_lines),
                        other_lines=list_numbers(other_lines))  # fmt: skip


def _decode_as(data: bytes, source: str, encoding: str) -> str:
    """``data`` in the chosen encoding (UTF-16 without a byte-order mark: the byte order its NULs show)."""
    if encoding not in ENCODINGS:
        raise DataError.of(M.UNKNOWN_ENCODING, encoding=repr(encoding), choices=", ".join(ENCODINGS))
    codec = encoding
    if encoding == "utf-16" and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        codec = utf16_without_bom(data[:8192]) or "utf-16-le"
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataError.of(M.NOT_IN_ENCODING, source=repr(source), encoding=ENCODINGS[encoding],
                           byte=f"0x{data[exc.start]:02x}", line=line) from exc  # fmt: skip
    return text.lstrip("\ufeff")


def decode_text(data: bytes, source: str, encoding: str | None = None) -> tuple[str, str, bool]:
    """Decode ``data``; returns (text, encoding used, detected?).

    Detection order: a UTF-16 or UTF-8 byte-order mark; UTF-16 without a mark
    (every other byte NUL, :func:`utf16_without_bom`); strict UTF-8; strict
    CP932 without private-use characters. A given ``encoding`` (one of
    :data:`ENCODINGS`) is used as is. Raises DataError naming the line when
    nothing fits, and says so when a file mixes UTF-8 and another encoding.
    """
    if encoding is not None:
        return _decode_as(data, source, encoding), encoding, False
    bomless = utf16_without_bom(data[:8192])
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or bomless:
        try:
            return data.decode(bomless or "utf-16").lstrip("\ufeff"), "utf-16", True
        except UnicodeDecodeError as exc:
            raise DataError.of(M.BAD_UTF16, source=repr(source)) from exc
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig", True
        except UnicodeDecodeError:
            pass  # a BOM followed by other bytes: fall through to the general checks
    try:
        return data.decode("utf-8"), "utf-8", True
    except UnicodeDecodeError:
        pass
    mixed = _mixed_encoding_error(data, source)
    if mixed is not None:
        raise mixed
    try:
        text = data.decode("cp932")
    except UnicodeDecodeError:
        text = ""
    if text and not _private_use(text):
        return text, "cp932", True
    raise DataError.of(M.NOT_UTF8_OR_SJIS, source=repr(source), line=_first_bad_line(data))

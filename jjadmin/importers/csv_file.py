"""CSV files: the encoding decided on the whole file (UTF-8 with or without BOM, or
GB18030/GBK), the delimiter sniffed from the header, rows numbered as Excel shows them."""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from jjadmin.errors import FileRejected
from jjadmin.importers.cells import (
    HEADER_SCAN_ROWS,
    CellValue,
    RawRow,
    Table,
    find_header,
    fit,
    is_blank,
    normalize_header,
    rows_exceeded,
)

MSG_ENCODING = "无法识别文件编码（既不是 UTF-8 也不是 GB18030/GBK），请另存为 UTF-8 CSV"
MSG_NUL = "文件中含有空字节（\\0），不是文本 CSV 文件，请另存为 UTF-8 CSV"

_DECODE_CHUNK = 1 << 20
_DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True)
class _Decoded:
    encoding: str
    lines: int


def _decode_whole(path: Path, encoding: str) -> _Decoded | None:
    """Strictly decode the whole file; None when it is not in `encoding`."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    lines = 0
    has_nul = False
    last = ""
    with path.open("rb") as handle:
        try:
            while chunk := handle.read(_DECODE_CHUNK):
                text = decoder.decode(chunk)
                lines += text.count("\n")
                has_nul = has_nul or "\x00" in text
                last = text[-1:] or last
            text = decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return None
    lines += text.count("\n")
    has_nul = has_nul or "\x00" in text
    last = text[-1:] or last
    if has_nul:
        raise FileRejected(MSG_NUL)
    if last and last != "\n":
        lines += 1
    return _Decoded(encoding, lines)


def _detect_encoding(path: Path) -> _Decoded:
    with path.open("rb") as handle:
        head = handle.read(4)
    if head.startswith(codecs.BOM_UTF8):
        order: tuple[str, ...] = ("utf-8-sig",)
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        order = ("utf-16",)
    else:
        order = ("utf-8", "gb18030")
    for encoding in order:
        decoded = _decode_whole(path, encoding)
        if decoded is not None:
            return decoded
    raise FileRejected(MSG_ENCODING)


def _sniff_delimiter(lines: Sequence[str], candidates: set[str]) -> str:
    first_line: str | None = None
    for line in lines:
        if not line.strip():
            continue
        if first_line is None:
            first_line = line
        if candidates:
            hits = {
                d: len(candidates.intersection(normalize_header(f) for f in line.split(d)))
                for d in _DELIMITERS
            }
            best = max(_DELIMITERS, key=lambda d: hits[d])
            if hits[best] > 0:
                return best
    if first_line is None:
        return ","
    counts = {d: first_line.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _csv_records(
    path: Path, encoding: str, delimiter: str
) -> Iterator[tuple[int, list[CellValue]]]:
    """Records numbered from 1 (blank records included, so numbers match what Excel shows)."""
    with path.open(encoding=encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        number = 0
        while True:
            try:
                record = next(reader, None)
            except (csv.Error, UnicodeDecodeError, OSError) as exc:
                raise FileRejected(
                    f"CSV 文件第 {number + 1} 行附近格式错误，无法读取：{exc}"
                ) from exc
            if record is None:
                return
            number += 1
            yield number, [field if field.strip() else None for field in record]


def open_csv(path: Path, max_rows: int, candidates: set[str]) -> Table:
    decoded = _detect_encoding(path)
    encoding = decoded.encoding
    with path.open(encoding=encoding, newline="") as handle:
        sample = [line for _, line in zip(range(HEADER_SCAN_ROWS), handle, strict=False)]
    delimiter = _sniff_delimiter(sample, candidates)
    header = find_header(_csv_records(path, encoding, delimiter), candidates)
    if header is None:
        raise FileRejected(f"文件的前 {HEADER_SCAN_ROWS} 行是空的，没有找到表头行")
    header_row, headers = header
    width = len(headers)

    if decoded.lines - header_row > max_rows:
        # Lines over-count records (quoted line breaks, blank lines): count exactly only then.
        count = 0
        for number, values in _csv_records(path, encoding, delimiter):
            if number > header_row and not is_blank(values[:width]):
                count += 1
                if count > max_rows:
                    raise rows_exceeded(max_rows)

    def rows() -> Iterator[RawRow]:
        count = 0
        for number, values in _csv_records(path, encoding, delimiter):
            if number <= header_row:
                continue
            fitted = fit(values, width)
            if is_blank(fitted):
                continue
            count += 1
            if count > max_rows:
                raise rows_exceeded(max_rows)
            yield RawRow(number, fitted)

    return Table(
        headers=headers,
        header_row=header_row,
        sheet_name=None,
        file_kind="csv",
        encoding=encoding,
        estimated_rows=max(decoded.lines - header_row, 0),
        rows=rows,
    )

"""Streaming, defensive reader of .xlsx / .csv files into raw rows (SPEC §5).

Nothing here trusts the file: the type is sniffed from the bytes, xlsx packages are checked
for zip bombs and XML entity tricks before openpyxl parses them, CSV encodings are decided on
the whole file, and every parser failure becomes one `FileRejected` with a Chinese message.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import os
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Literal, TypeAlias

from jjadmin.errors import FileRejected

__all__ = [
    "CellProblem",
    "CellValue",
    "RawRow",
    "Table",
    "ZipLimits",
    "file_sha256",
    "normalize_header",
    "open_table",
    "plain_text",
]

FileKind = Literal["xlsx", "csv"]

HEADER_SCAN_ROWS = 20
EXCEL_MAX_ROWS = 1_048_576
DEFAULT_MAX_ROWS = 1_000_000

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xltx", ".xltm"})

MSG_EMPTY = "文件是空的"
MSG_OLE2 = "文件是加密的工作簿或旧版 .xls 格式，请另存为 .xlsx 后再导入"
MSG_NOT_XLSX = "文件不是有效的 xlsx 工作簿（可能已损坏或被截断）"
MSG_LEGACY_XLS = "文件是旧版 .xls（或网页格式）的表格，请用 Excel 另存为 .xlsx 后再导入"
MSG_ENCODING = "无法识别文件编码（既不是 UTF-8 也不是 GB18030/GBK），请另存为 UTF-8 CSV"
MSG_NUL = "文件中含有空字节（\\0），不是文本 CSV 文件，请另存为 UTF-8 CSV"
MSG_XML_ENTITY = "工作簿的 XML 中含有 DOCTYPE/ENTITY 声明，出于安全原因拒绝导入"
MSG_CORRUPT = "工作簿内容已损坏，无法读取，请用 Excel 打开后另存为 .xlsx 再导入"


@dataclass(frozen=True)
class CellProblem:
    """A formula or error cell (#N/A…) where a value belongs; the caller makes it a row error."""

    kind: Literal["formula", "error"]
    text: str


CellValue: TypeAlias = str | int | float | bool | datetime | date | CellProblem | None


@dataclass(slots=True)
class RawRow:
    """One non-blank data row: the spreadsheet's own row number and one value per header."""

    number: int
    values: tuple[CellValue, ...]


@dataclass(frozen=True)
class ZipLimits:
    """Caps applied to an xlsx package before any XML is parsed (zip bombs, entity tricks)."""

    max_entries: int = 10_000
    max_total_bytes: int = 1 << 30
    max_ratio: float = 200.0
    ratio_min_bytes: int = 10 * 1024 * 1024
    xml_prolog_bytes: int = 4096

    @classmethod
    def from_env(cls) -> ZipLimits:
        raw = os.environ.get("JJADMIN_MAX_UNZIPPED_BYTES", "").strip()
        if raw.isdigit() and int(raw) > 0:
            return cls(max_total_bytes=int(raw))
        return cls()


_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)


def normalize_header(text: object) -> str:
    """Header text as matched against specs: NFKC, no whitespace, ASCII parens, no trailing '*'."""
    if text is None:
        return ""
    if isinstance(text, CellProblem):
        raw = text.text
    elif isinstance(text, str):
        raw = text
    else:
        raw = plain_text(text)
    # NFKC folds full-width parentheses, U+3000 and NBSP; the explicit replace keeps the rule
    # visible for readers who do not know NFKC by heart.
    folded = unicodedata.normalize("NFKC", raw).translate(_INVISIBLE)
    folded = folded.replace("（", "(").replace("）", ")")
    return "".join(folded.split()).rstrip("*")


def plain_text(value: object) -> str:
    """Text of a non-str cell value: 123.0 → '123', a midnight datetime → its ISO date."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes (recorded with every import batch)."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


class Table:
    """An opened sheet: normalized headers plus an iterator over its non-blank data rows."""

    def __init__(
        self,
        *,
        headers: list[str],
        header_row: int,
        sheet_name: str | None,
        file_kind: FileKind,
        encoding: str | None,
        estimated_rows: int | None,
        rows: Callable[[], Iterator[RawRow]],
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self.headers = headers
        self.header_row = header_row
        self.sheet_name = sheet_name
        self.file_kind: FileKind = file_kind
        self.encoding = encoding
        self.estimated_rows = estimated_rows
        self._rows = rows
        self._on_close = on_close

    def __iter__(self) -> Iterator[RawRow]:
        return self._rows()

    def close(self) -> None:
        if self._on_close is not None:
            closer, self._on_close = self._on_close, None
            closer()

    def __enter__(self) -> Table:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def open_table(
    path: Path,
    *,
    sheet: str | None = None,
    max_rows: int = DEFAULT_MAX_ROWS,
    header_candidates: Sequence[str] = (),
    limits: ZipLimits | None = None,
) -> Table:
    """Open an xlsx or csv file (type sniffed from its bytes) and locate its header row.

    `limits` exists for tests; by default the caps come from `ZipLimits.from_env()`.

    Raises:
        FileRejected: the file is empty, of the wrong type, unsafe, unreadable or too large.
    """
    path = Path(path)
    candidates = {normalize_header(c) for c in header_candidates} - {""}
    kind = _sniff(path)
    if kind == "xlsx":
        return _open_xlsx(path, sheet, max_rows, candidates, limits or ZipLimits.from_env())
    return _open_csv(path, max_rows, candidates)


def _sniff(path: Path) -> FileKind:
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(8)
    except FileNotFoundError as exc:
        raise FileRejected(f"找不到文件：{path}") from exc
    except OSError as exc:
        raise FileRejected(f"无法读取文件：{path}（{exc.strerror or exc}）") from exc
    if size == 0:
        raise FileRejected(MSG_EMPTY)
    if head.startswith(ZIP_MAGIC):
        return "xlsx"
    if head == OLE2_MAGIC:
        raise FileRejected(MSG_OLE2)
    suffix = path.suffix.lower()
    if suffix in XLSX_SUFFIXES:
        raise FileRejected(MSG_NOT_XLSX)
    if suffix == ".xls":
        raise FileRejected(MSG_LEGACY_XLS)
    return "csv"


def _rows_exceeded(max_rows: int) -> FileRejected:
    return FileRejected(f"数据行数超过上限 {max_rows} 行（JJADMIN_MAX_ROWS）")


def _is_blank(values: Iterable[CellValue]) -> bool:
    return all(v is None for v in values)


def _find_header(
    rows: Iterable[tuple[int, Sequence[CellValue]]], candidates: set[str]
) -> tuple[int, list[str]] | None:
    """First row (of the first 20) naming a candidate header; else the first non-blank row."""
    first: tuple[int, list[str]] | None = None
    for number, values in rows:
        if number > HEADER_SCAN_ROWS:
            break
        texts = [normalize_header(v) for v in values]
        if not any(texts):
            continue
        while texts and not texts[-1]:
            texts.pop()
        if first is None:
            first = (number, texts)
        if not candidates or candidates.intersection(texts):
            return number, texts
    return first


def _fit(values: Sequence[CellValue], width: int) -> tuple[CellValue, ...]:
    if len(values) == width:
        return tuple(values)
    if len(values) > width:
        return tuple(values[:width])
    return (*values, *([None] * (width - len(values))))


# ---------------------------------------------------------------------------------------------
# xlsx


def _check_package(zf: zipfile.ZipFile, limits: ZipLimits) -> None:
    infos = zf.infolist()
    if len(infos) > limits.max_entries:
        raise FileRejected(
            f"工作簿包含 {len(infos)} 个内部文件，超过上限 {limits.max_entries}，"
            "疑似压缩炸弹，已拒绝"
        )
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > limits.ratio_min_bytes and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            raise FileRejected("工作簿中的内容压缩比异常，疑似压缩炸弹，已拒绝")
    if total > limits.max_total_bytes:
        cap_mb = limits.max_total_bytes // (1024 * 1024)
        raise FileRejected(
            f"工作簿解压后超过 {cap_mb} MB 上限（JJADMIN_MAX_UNZIPPED_BYTES），疑似压缩炸弹，已拒绝"
        )
    for info in infos:
        if info.filename.lower().endswith((".xml", ".rels")):
            _check_xml_prolog(zf, info, limits.xml_prolog_bytes)


_ROOT_START = re.compile(r"<[A-Za-z_]")


def _check_xml_prolog(zf: zipfile.ZipFile, info: zipfile.ZipInfo, size: int) -> None:
    """Refuse DTDs: they may only sit in the prolog, which a genuine part keeps tiny."""
    with zf.open(info) as part:
        head = part.read(size)
    if head.startswith((codecs.BOM_UTF16_LE, b"<\x00")):
        text = head.decode("utf-16-le", errors="replace")
    elif head.startswith((codecs.BOM_UTF16_BE, b"\x00<")):
        text = head.decode("utf-16-be", errors="replace")
    else:
        text = head.decode("utf-8", errors="replace")
    upper = text.upper()
    if "<!DOCTYPE" in upper or "<!ENTITY" in upper:
        raise FileRejected(MSG_XML_ENTITY)
    if len(head) >= size and not _ROOT_START.search(text):
        # A prolog longer than the scanned window could hide a DOCTYPE further on.
        raise FileRejected(MSG_XML_ENTITY)


def _open_xlsx(
    path: Path, sheet: str | None, max_rows: int, candidates: set[str], limits: ZipLimits
) -> Table:
    handle = path.open("rb")
    try:
        return _open_xlsx_handle(handle, sheet, max_rows, candidates, limits)
    except BaseException:
        handle.close()
        raise


def _open_xlsx_handle(
    handle: IO[bytes], sheet: str | None, max_rows: int, candidates: set[str], limits: ZipLimits
) -> Table:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(handle) as zf:
            _check_package(zf, limits)
    except FileRejected:
        raise
    except Exception as exc:
        raise FileRejected(MSG_NOT_XLSX, data={"detail": str(exc)[:200]}) from exc
    handle.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = load_workbook(handle, read_only=True, data_only=False, keep_links=False)
    except Exception as exc:
        raise FileRejected(MSG_NOT_XLSX, data={"detail": str(exc)[:200]}) from exc

    def close() -> None:
        try:
            wb.close()
        finally:
            handle.close()

    try:
        ws = _choose_sheet(wb.worksheets, sheet)
        claimed_max_row = ws.max_row if isinstance(ws.max_row, int) else None
        ws.reset_dimensions()
        header = _guarded(lambda: _find_header(_xlsx_rows(ws, 1, None), candidates))
        if header is None:
            raise FileRejected(
                f"工作表“{ws.title}”的前 {HEADER_SCAN_ROWS} 行是空的，没有找到表头行"
            )
        header_row, headers = header
    except BaseException:
        close()
        raise
    width = len(headers)

    def rows() -> Iterator[RawRow]:
        return _xlsx_data_rows(ws, header_row, width, max_rows)

    estimated = None if claimed_max_row is None else max(claimed_max_row - header_row, 0)
    return Table(
        headers=headers,
        header_row=header_row,
        sheet_name=str(ws.title),
        file_kind="xlsx",
        encoding=None,
        estimated_rows=estimated,
        rows=rows,
        on_close=close,
    )


def _choose_sheet(worksheets: Sequence[Any], wanted: str | None) -> Any:
    titles = [str(ws.title) for ws in worksheets]
    if wanted is not None:
        for ws in worksheets:
            if ws.title == wanted:
                return ws
        key = normalize_header(wanted).casefold()
        for ws in worksheets:
            if normalize_header(ws.title).casefold() == key:
                return ws
        available = "、".join(titles) or "（无）"
        raise FileRejected(f"工作簿中没有名为“{wanted}”的工作表，可用的工作表：{available}")
    for ws in worksheets:
        if getattr(ws, "sheet_state", "visible") == "visible":
            return ws
    raise FileRejected("工作簿中没有可见的工作表")


def _guarded(action: Callable[[], Any]) -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return action()
    except FileRejected:
        raise
    except Exception as exc:
        raise FileRejected(MSG_CORRUPT, data={"detail": str(exc)[:200]}) from exc


def _xlsx_rows(ws: Any, min_row: int, max_col: int | None) -> Iterator[tuple[int, list[CellValue]]]:
    """Rows from `min_row` on with their own numbers; openpyxl pads gaps with empty rows."""
    number = min_row - 1
    for cells in ws.iter_rows(min_row=min_row, min_col=1, max_col=max_col):
        number += 1
        if number > EXCEL_MAX_ROWS:
            raise FileRejected(f"工作表的行号超出 Excel 上限 {EXCEL_MAX_ROWS} 行，文件可能已损坏")
        yield number, [_xlsx_value(cell) for cell in cells]


def _xlsx_value(cell: Any) -> CellValue:
    value = cell.value
    if value is None:
        return None
    kind = cell.data_type
    if kind == "f":
        return CellProblem("formula", value if isinstance(value, str) else str(value.text))
    if kind == "e":
        return CellProblem("error", str(value))
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, bool | int | float | datetime | date):
        return value
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def _xlsx_data_rows(ws: Any, header_row: int, width: int, max_rows: int) -> Iterator[RawRow]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        count = 0
        rows = _xlsx_rows(ws, header_row + 1, width)
        while True:
            try:
                item = next(rows, None)
            except FileRejected:
                raise
            except Exception as exc:
                raise FileRejected(MSG_CORRUPT, data={"detail": str(exc)[:200]}) from exc
            if item is None:
                return
            number, values = item
            if _is_blank(values):
                continue
            count += 1
            if count > max_rows:
                raise _rows_exceeded(max_rows)
            yield RawRow(number, _fit(values, width))


# ---------------------------------------------------------------------------------------------
# csv

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


def _open_csv(path: Path, max_rows: int, candidates: set[str]) -> Table:
    decoded = _detect_encoding(path)
    encoding = decoded.encoding
    with path.open(encoding=encoding, newline="") as handle:
        sample = [line for _, line in zip(range(HEADER_SCAN_ROWS), handle, strict=False)]
    delimiter = _sniff_delimiter(sample, candidates)
    header = _find_header(_csv_records(path, encoding, delimiter), candidates)
    if header is None:
        raise FileRejected(f"文件的前 {HEADER_SCAN_ROWS} 行是空的，没有找到表头行")
    header_row, headers = header
    width = len(headers)

    if decoded.lines - header_row > max_rows:
        # Lines over-count records (quoted line breaks, blank lines): count exactly only then.
        count = 0
        for number, values in _csv_records(path, encoding, delimiter):
            if number > header_row and not _is_blank(values[:width]):
                count += 1
                if count > max_rows:
                    raise _rows_exceeded(max_rows)

    def rows() -> Iterator[RawRow]:
        count = 0
        for number, values in _csv_records(path, encoding, delimiter):
            if number <= header_row:
                continue
            fitted = _fit(values, width)
            if _is_blank(fitted):
                continue
            count += 1
            if count > max_rows:
                raise _rows_exceeded(max_rows)
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

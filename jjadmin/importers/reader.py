"""Streaming, defensive reader of .xlsx / .csv files into raw rows (SPEC §5).

Nothing here trusts the file: the type is sniffed from the bytes, xlsx packages are checked
for zip bombs and XML entity tricks before openpyxl parses them, CSV encodings are decided on
the whole file, and every parser failure becomes one `FileRejected` with a Chinese message.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import math
import os
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import islice, repeat
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Literal, TypeAlias, TypeVar

from jjadmin.errors import FileRejected

__all__ = [
    "BLOCK_ROWS",
    "Block",
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
EXCEL_MAX_COLS = 16_384
# Rows per `Table.blocks()` block: big enough for per-column work to pay, small enough to
# keep a block's temporary columns a few MB.
BLOCK_ROWS = 4096
_XML_CHUNK = 1 << 16
# The lean expat reader below; False falls back to openpyxl's own (slower) row iterator.
USE_FAST_XLSX = True
USE_CALAMINE = os.environ.get("JJADMIN_XLSX_READER", "") != "expat"
DEFAULT_MAX_ROWS = 1_000_000
_T = TypeVar("_T")

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


@dataclass(slots=True)
class Block:
    """Consecutive non-blank data rows: their numbers, their cells (one tuple per row, as
    `RawRow.values`) and the same cells per column (`columns[i][k] is rows[k][i]`)."""

    numbers: list[int]
    rows: list[tuple[CellValue, ...]]
    columns: list[Sequence[CellValue]]


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
        blocks: Callable[[int], Iterator[Block]] | None = None,
    ) -> None:
        self.headers = headers
        self.header_row = header_row
        self.sheet_name = sheet_name
        self.file_kind: FileKind = file_kind
        self.encoding = encoding
        self.estimated_rows = estimated_rows
        self._rows = rows
        self._on_close = on_close
        self._blocks = blocks

    def __iter__(self) -> Iterator[RawRow]:
        return self._rows()

    def blocks(self, size: int = BLOCK_ROWS) -> Iterator[Block]:
        """The same rows as iterating the table, up to `size` at a time (same checks, same
        errors), for readers that can hand them over per column."""
        if self._blocks is not None:
            return self._blocks(size)
        return _row_blocks(self._rows(), size)

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
    meanwhile: Callable[[int | None], object] | None = None,
) -> Table:
    """Open an xlsx or csv file (type sniffed from its bytes) and locate its header row.

    `meanwhile(rows)` is called once, before the header is looked for, with the number of
    rows the sheet holds as far as is known then (None: unknown): on the python-calamine
    path the sheet is then being parsed in a thread that releases the GIL, so work done
    there (such as importing the database layer) costs no wall time. It runs on every
    path; whatever it raises closes the file and propagates.
    `limits` exists for tests; by default the caps come from `ZipLimits.from_env()`.

    Raises:
        FileRejected: the file is empty, of the wrong type, unsafe, unreadable or too large.
    """
    path = Path(path)
    candidates = {normalize_header(c) for c in header_candidates} - {""}
    kind = _sniff(path)
    if kind == "xlsx":
        return _open_xlsx(
            path, sheet, max_rows, candidates, limits or ZipLimits.from_env(), meanwhile
        )
    table = _open_csv(path, max_rows, candidates)
    if meanwhile is not None:
        try:
            meanwhile(table.estimated_rows)
        except BaseException:
            table.close()
            raise
    return table


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


def _row_blocks(rows: Iterator[RawRow], size: int) -> Iterator[Block]:
    while chunk := list(islice(rows, size)):
        cells = [r.values for r in chunk]
        yield Block([r.number for r in chunk], cells, list(zip(*cells, strict=True)))


def _block(numbers: list[int], columns: list[Sequence[CellValue]], width: int) -> Block | None:
    """A Block of the non-blank rows among `columns` (all of length len(numbers))."""
    rows = list(zip(*columns, strict=True))
    nones = list(map(tuple.count, rows, repeat(None)))
    if width not in nones:
        return Block(numbers, rows, columns)
    keep = [i for i, n in enumerate(nones) if n != width]
    if not keep:
        return None
    rows = [rows[i] for i in keep]
    return Block([numbers[i] for i in keep], rows, list(zip(*rows, strict=True)))


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
    path: Path,
    sheet: str | None,
    max_rows: int,
    candidates: set[str],
    limits: ZipLimits,
    meanwhile: Callable[[int | None], object] | None = None,
) -> Table:
    handle = path.open("rb")
    try:
        return _open_xlsx_handle(
            handle, sheet, max_rows, candidates, limits, path=path, meanwhile=meanwhile
        )
    except BaseException:
        handle.close()
        raise


def _open_xlsx_handle(
    handle: IO[bytes],
    sheet: str | None,
    max_rows: int,
    candidates: set[str],
    limits: ZipLimits,
    *,
    path: Path | None = None,
    meanwhile: Callable[[int | None], object] | None = None,
) -> Table:
    try:
        with zipfile.ZipFile(handle) as zf:
            _check_package(zf, limits)
    except FileRejected:
        raise
    except Exception as exc:
        raise FileRejected(MSG_NOT_XLSX, data={"detail": str(exc)[:200]}) from exc
    handle.seek(0)
    fast, ws = _calamine_book(handle, path, sheet)
    if fast is None:
        handle.seek(0)
        fast = _load_book(handle)
    book = fast
    wb = book.wb

    def close() -> None:
        try:
            if book.calamine is not None:
                book.calamine.close()
            wb.close()
        finally:
            handle.close()

    try:
        if ws is None:
            ws = _choose_sheet(wb.worksheets, sheet)
        claimed_max_row = ws.max_row if isinstance(ws.max_row, int) else None
        if book.fast and book.calamine is None:
            book.shared_strings = _guarded(lambda: _read_shared_strings(wb, book.strings_path))
        if meanwhile is not None:
            meanwhile(claimed_max_row)  # while calamine parses the sheet in its thread
        header = _guarded(lambda: _find_header(_sheet_rows(book, ws, None), candidates))
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
        return _xlsx_data_rows(book, ws, header_row, width, max_rows)

    def blocks(size: int) -> Iterator[Block]:
        return _calamine_blocks(book, header_row, width, max_rows, size)

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
        blocks=blocks if book.calamine is not None else None,
    )


@dataclass
class _Book:
    """An openpyxl read-only workbook plus what the lean reader needs besides it."""

    wb: Any
    fast: bool
    strings_path: str | None = None
    shared_strings: list[str] | None = None
    calamine: Any = None


def _try_calamine(path: Path, book: _Book, ws: Any) -> Any:
    """A CalamineSheet when the sheet is proven safe for python-calamine, else None."""
    from jjadmin.importers import calamine_path as cp

    with zipfile.ZipFile(path) as zf:
        if not cp.shared_strings_ok(zf, book.strings_path):
            return None
        scan = cp.scan_sheet(zf, str(ws._worksheet_path).lstrip("/"))
        if not scan.safe:
            return None
    if ws.max_row is None:  # a LightSheet: the rows the scan counted
        ws.max_row = scan.rows_present
    return cp.CalamineSheet(path, str(ws.title))


def _calamine_book(
    handle: IO[bytes], path: Path | None, sheet: str | None
) -> tuple[_Book | None, Any]:
    """The workbook and its chosen sheet, read without openpyxl, when python-calamine will
    read that sheet; else (None, None) and openpyxl opens the workbook for the expat reader.

    Only a workbook `light_workbook` can judge goes to calamine (a plain 1900-based one at
    xl/workbook.xml, the only place calamine looks), and only a sheet the scan proves safe.
    """
    if path is None or not USE_CALAMINE or not USE_FAST_XLSX:
        return None, None
    from jjadmin.importers import calamine_path as cp

    if not cp.calamine_available():
        return None, None

    try:
        with zipfile.ZipFile(handle) as zf:
            found = cp.light_workbook(zf)
    except Exception:  # noqa: BLE001 - a part it cannot parse: openpyxl judges (and words) it
        found = None
    if found is None:
        return None, None
    ws = _choose_sheet(found.worksheets, sheet)
    book = _Book(found, fast=True, strings_path=found.strings_path)
    book.calamine = _guarded(lambda: _try_calamine(path, book, ws))
    if book.calamine is None:
        return None, None
    return book, ws


def _skip() -> None:
    """Stands in for openpyxl's shared-string loading, which the lean reader replaces."""


def _load_book(handle: IO[bytes]) -> _Book:
    """Open the workbook with openpyxl (sheets, states, styles, epoch).

    On the fast path openpyxl's own shared-string loading (about half the time of a large
    file) is skipped; `_read_shared_strings` reads them later with expat.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if USE_FAST_XLSX:
                try:
                    from openpyxl.reader.excel import ExcelReader
                    from openpyxl.xml.constants import SHARED_STRINGS
                except ImportError:  # pragma: no cover - openpyxl moved its internals
                    pass
                else:
                    reader = ExcelReader(handle, read_only=True, keep_links=False)
                    reader.read_strings = _skip
                    reader.read()
                    wb = reader.wb
                    if _fast_reader_supported(wb):
                        part = reader.package.find(SHARED_STRINGS)
                        path = str(part.PartName).lstrip("/") if part is not None else None
                        return _Book(wb, fast=True, strings_path=path)
                    wb.close()
                    handle.seek(0)
            from openpyxl import load_workbook

            wb = load_workbook(handle, read_only=True, data_only=False, keep_links=False)
            return _Book(wb, fast=False)
    except Exception as exc:
        raise FileRejected(MSG_NOT_XLSX, data={"detail": str(exc)[:200]}) from exc


def _fast_reader_supported(wb: Any) -> bool:
    needed = ("_archive", "_date_formats", "_timedelta_formats", "epoch", "worksheets")
    if not all(hasattr(wb, a) for a in needed):
        return False
    return all(hasattr(ws, "_worksheet_path") for ws in wb.worksheets)


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


def _xlsx_rows(
    ws: Any, min_row: int, max_col: int | None
) -> Iterator[tuple[int, Sequence[CellValue]]]:
    """openpyxl's reader (fallback): rows from `min_row` on; it pads gaps with empty rows."""
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
    return _xlsx_plain(value)


def _xlsx_data_rows(
    book: _Book, ws: Any, header_row: int, width: int, max_rows: int
) -> Iterator[RawRow]:
    count = 0
    for number, values in _read_guarded(_sheet_rows(book, ws, width)):
        if number <= header_row or _is_blank(values):
            continue
        count += 1
        if count > max_rows:
            raise _rows_exceeded(max_rows)
        yield RawRow(number, _fit(values, width))


def _calamine_blocks(
    book: _Book, header_row: int, width: int, max_rows: int, size: int
) -> Iterator[Block]:
    """`_xlsx_data_rows` of a calamine sheet, per block and per column."""
    count = 0
    for first, columns in _read_guarded(book.calamine.column_blocks(header_row, width, size)):
        block = _block(list(range(first, first + len(columns[0]))), columns, width)
        if block is None:
            continue
        count += len(block.numbers)
        if count > max_rows:
            raise _rows_exceeded(max_rows)
        yield block


def _read_guarded(items: Iterator[_T]) -> Iterator[_T]:
    """`items` with the readers' warnings silenced; a reader's own failure (not a
    FileRejected) becomes FileRejected(MSG_CORRUPT)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        while True:
            try:
                item = next(items)
            except StopIteration:
                return
            except FileRejected:
                raise
            except Exception as exc:
                raise FileRejected(MSG_CORRUPT, data={"detail": str(exc)[:200]}) from exc
            yield item


def _sheet_rows(
    book: _Book, ws: Any, max_col: int | None
) -> Iterator[tuple[int, Sequence[CellValue]]]:
    """Rows of a sheet with their own numbers: the lean expat reader, else openpyxl's."""
    if book.calamine is not None:
        return book.calamine.rows(max_col)  # type: ignore[no-any-return]
    if book.fast:
        return _fast_sheet_rows(book, ws, max_col)
    ws.reset_dimensions()
    return _xlsx_rows(ws, 1, max_col)


def _fast_sheet_rows(
    book: _Book, ws: Any, max_col: int | None
) -> Iterator[tuple[int, Sequence[CellValue]]]:
    from openpyxl.utils.datetime import from_excel

    wb = book.wb
    parser = _SheetXml(
        shared_strings=book.shared_strings or [],
        date_styles=frozenset(wb._date_formats),
        timedelta_styles=frozenset(wb._timedelta_formats),
        epoch=wb.epoch,
        from_excel=from_excel,
        max_col=max_col or EXCEL_MAX_COLS,
    )
    with wb._archive.open(ws._worksheet_path) as source:
        while chunk := source.read(_XML_CHUNK):
            parser.feed(chunk)
            if parser.done:
                yield from parser.take()
        parser.finish()
        yield from parser.take()


_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescape(text: str) -> str:
    """Undo OOXML's _xHHHH_ escapes (Excel writes a CR as _x000D_, a literal '_x' as _x005F_)."""
    if "_x" not in text:
        return text
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text)


def _new_expat(owner: Any) -> Any:
    from xml.parsers import expat

    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = owner.start
    parser.EndElementHandler = owner.end
    parser.CharacterDataHandler = owner.text
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    return parser


def _refuse_dtd(*_args: object) -> None:
    raise FileRejected(MSG_XML_ENTITY)


def _local(names: dict[str, str], name: str) -> str:
    tag = names[name] = name.rpartition(":")[2]
    return tag


def _read_shared_strings(wb: Any, part: str | None) -> list[str]:
    if part is None:
        return []
    table = _SharedStrings()
    parser = _new_expat(table)
    with wb._archive.open(part) as source:
        while chunk := source.read(_XML_CHUNK):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    return table.strings


class _SharedStrings:
    """expat handler for sharedStrings.xml: plain text of each <si>, phonetic runs dropped."""

    def __init__(self) -> None:
        self.strings: list[str] = []
        self.parts: list[str] = []
        self.capture = False
        self.in_phonetic = False
        self.names: dict[str, str] = {}

    def start(self, name: str, attrs: dict[str, str]) -> None:
        tag = self.names.get(name) or _local(self.names, name)
        if tag == "t":
            self.capture = not self.in_phonetic
        elif tag == "si":
            self.parts = []
        elif tag == "rPh":
            self.in_phonetic = True

    def text(self, data: str) -> None:
        if self.capture:
            self.parts.append(data)

    def end(self, name: str) -> None:
        tag = self.names.get(name) or _local(self.names, name)
        if tag == "t":
            self.capture = False
        elif tag == "si":
            self.strings.append(_unescape("".join(self.parts)))
        elif tag == "rPh":
            self.in_phonetic = False


class _SheetXml:
    """Lean streaming reader of one worksheet part (expat), several times faster than openpyxl.

    It handles what a worksheet may hold in <sheetData>: numbers, shared/inline/rich strings,
    booleans, ISO dates, date-formatted serials (workbook epoch), errors and formulas. The
    sheet's <dimension> is never read: rows are whatever the XML contains.
    """

    def __init__(
        self,
        *,
        shared_strings: Sequence[Any],
        date_styles: frozenset[int],
        timedelta_styles: frozenset[int],
        epoch: datetime,
        from_excel: Callable[..., Any],
        max_col: int,
    ) -> None:
        self.shared = shared_strings
        self.date_styles = date_styles
        self.timedelta_styles = timedelta_styles
        self.epoch = epoch
        self.from_excel = from_excel
        self.max_col = max_col
        self.done: list[tuple[int, list[CellValue]]] = []
        self.row_number = 0
        self.cells: list[CellValue] | None = None
        self.col = 0
        self.kind = "n"
        self.style = 0
        self.formula = False
        self.parts: list[str] = []
        self.formula_parts: list[str] = []
        self.capture: list[str] | None = None
        self.in_inline = False
        self.in_phonetic = False
        self.names: dict[str, str] = {}
        self.columns: dict[str, int] = {}
        self.parser = _new_expat(self)

    def feed(self, chunk: bytes) -> None:
        self.parser.Parse(chunk, False)

    def finish(self) -> None:
        self.parser.Parse(b"", True)

    def take(self) -> list[tuple[int, list[CellValue]]]:
        done, self.done = self.done, []
        return done

    def column(self, ref: str) -> int:
        letters = ref.rstrip("0123456789")
        index = self.columns.get(letters)
        if index is None:
            index = 0
            for ch in letters.upper():
                if not "A" <= ch <= "Z":
                    raise FileRejected(MSG_CORRUPT, data={"detail": f"bad cell reference {ref}"})
                index = index * 26 + ord(ch) - 64
            if not letters or index > EXCEL_MAX_COLS:
                raise FileRejected(MSG_CORRUPT, data={"detail": f"bad cell reference {ref}"})
            self.columns[letters] = index
        return index

    def start(self, name: str, attrs: dict[str, str]) -> None:
        # Called for every element of a large file: keep the common paths short.
        tag = self.names.get(name) or _local(self.names, name)
        if tag == "c":
            ref = attrs.get("r")
            self.col = self.column(ref) if ref else self.col + 1
            self.kind = attrs.get("t", "n")
            style = attrs.get("s")
            self.style = int(style) if style else 0
            self.formula = False
            self.parts = []
            self.capture = None
        elif tag == "v":
            self.capture = self.parts
        elif tag == "f":
            self.formula = True
            self.formula_parts = []
            self.capture = self.formula_parts
        elif tag == "is":
            self.in_inline = True
        elif tag == "rPh":
            self.in_phonetic = True
        elif tag == "t":
            if self.in_inline and not self.in_phonetic:
                self.capture = self.parts
        elif tag == "row":
            ref = attrs.get("r")
            self.row_number = int(ref) if ref else self.row_number + 1
            if not 1 <= self.row_number <= EXCEL_MAX_ROWS:
                raise FileRejected(
                    f"工作表的行号超出 Excel 上限 {EXCEL_MAX_ROWS} 行，文件可能已损坏"
                )
            self.cells = []
            self.col = 0

    def text(self, data: str) -> None:
        if self.capture is not None:
            self.capture.append(data)

    def end(self, name: str) -> None:
        tag = self.names.get(name) or _local(self.names, name)
        if tag == "c":
            self.capture = None
            cells = self.cells
            col = self.col
            if cells is None or col > self.max_col:
                return
            value = self.value()
            if value is None:
                return
            if col > len(cells):
                cells.extend([None] * (col - len(cells)))
            cells[col - 1] = value
        elif tag in ("v", "f", "t"):
            self.capture = None
        elif tag == "is":
            self.in_inline = False
        elif tag == "rPh":
            self.in_phonetic = False
        elif tag == "row":
            if self.cells is not None:
                self.done.append((self.row_number, self.cells))
            self.cells = None

    def value(self) -> CellValue:
        if self.formula:
            return CellProblem("formula", "=" + "".join(self.formula_parts))
        kind = self.kind
        text = "".join(self.parts) if self.parts else None
        if text is None:
            return None
        if kind == "s":
            shared = self.shared[int(text)]
            if isinstance(shared, str):
                return shared if shared.strip() else None
            return _xlsx_plain(shared)
        if kind in ("inlineStr", "str"):
            return _unescape(text) if text.strip() else None
        if kind == "e":
            return CellProblem("error", text)
        if kind == "b":
            return text.strip() in ("1", "true")
        if kind == "d":
            from openpyxl.utils.datetime import from_ISO8601

            return _xlsx_plain(from_ISO8601(text.strip()))
        return self.number(text)

    def number(self, text: str) -> CellValue:
        try:
            number: int | float = int(text)
        except ValueError:
            number = float(text)
        if isinstance(number, float) and not math.isfinite(number):
            return CellProblem("error", "#NUM!")
        if self.style and self.style in self.date_styles:
            try:
                moment = self.from_excel(
                    number, self.epoch, timedelta=self.style in self.timedelta_styles
                )
            except (OverflowError, ValueError):
                return CellProblem("error", "#VALUE!")
            return _xlsx_plain(moment)
        return number


def _xlsx_plain(value: object) -> CellValue:
    """A parsed xlsx value as a CellValue (times and durations become text)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, bool | int | float | datetime | date):
        return value
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


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

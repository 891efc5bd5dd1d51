"""xlsx / xlsm workbooks: python-calamine on a sheet a scan has proven safe for it
(`calamine_path`), else the lean expat reader (`xlsx_stream`) over openpyxl's workbook, else
openpyxl's own rows. The package itself was checked by `sniff.check_package` first."""

from __future__ import annotations

import os
import warnings
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from jjadmin.errors import FileRejected
from jjadmin.importers.cells import (
    EXCEL_MAX_ROWS,
    HEADER_SCAN_ROWS,
    Block,
    CellProblem,
    CellValue,
    RawRow,
    Table,
    choose_sheet,
    column_block,
    find_header,
    fit,
    guarded,
    is_blank,
    plain_value,
    read_guarded,
    rows_exceeded,
)
from jjadmin.importers.contained import CalamineUnavailable, ContainedCalamineSheet
from jjadmin.importers.sniff import MSG_NOT_XLSX
from jjadmin.importers.xlsx_stream import fast_sheet_rows, read_shared_strings

# Sheets whose XML is at least this large go to calamine in a child process (`contained`);
# smaller ones are scanned and read by calamine in a thread here (no process to start).
CONTAINED_MIN_BYTES = 4 << 20
# The lean expat reader; False falls back to openpyxl's own (slower) row iterator.
USE_FAST_XLSX = True
USE_CALAMINE = os.environ.get("JJADMIN_XLSX_READER", "") != "expat"


def open_xlsx(
    path: Path,
    sheet: str | None,
    max_rows: int,
    candidates: set[str],
    meanwhile: Callable[[int | None], object] | None = None,
) -> Table:
    handle = path.open("rb")
    try:
        return _open_xlsx_handle(handle, sheet, max_rows, candidates, path, meanwhile)
    except BaseException:
        handle.close()
        raise


def _open_xlsx_handle(
    handle: IO[bytes],
    sheet: str | None,
    max_rows: int,
    candidates: set[str],
    path: Path,
    meanwhile: Callable[[int | None], object] | None = None,
) -> Table:
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
            ws = choose_sheet(wb.worksheets, sheet)
        claimed_max_row = ws.max_row if isinstance(ws.max_row, int) else None
        if book.fast and book.calamine is None:
            book.shared_strings = guarded(lambda: read_shared_strings(wb, book.strings_path))
        if meanwhile is not None:
            meanwhile(claimed_max_row)  # while calamine parses the sheet (thread or child)
        if isinstance(book.calamine, ContainedCalamineSheet):
            try:
                book.calamine.head()
            except CalamineUnavailable:  # the child failed: the expat reader judges the sheet
                book.calamine.close()
                handle.seek(0)
                book = _load_book(handle)
                wb = book.wb
                ws = choose_sheet(wb.worksheets, sheet)
                if book.fast:
                    book.shared_strings = guarded(
                        lambda: read_shared_strings(wb, book.strings_path)
                    )
        header = guarded(lambda: find_header(_sheet_rows(book, ws, None), candidates))
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

    member = str(ws._worksheet_path).lstrip("/")
    with zipfile.ZipFile(path) as zf:
        if zf.getinfo(member).file_size >= CONTAINED_MIN_BYTES:
            # a large sheet: calamine starts at once in a child with limits, meanwhile the
            # sheet is scanned only for what calamine would misreport (formulas, errors)
            contained = ContainedCalamineSheet(path, str(ws.title))
            try:
                scan = cp.scan_semantics(zf, member)
            except BaseException:
                contained.close()
                raise
            if not scan.safe:
                contained.close()
                return None
            if ws.max_row is None:
                ws.max_row = scan.rows_present
            return contained
        if not cp.shared_strings_ok(zf, book.strings_path):
            return None
        scan = cp.scan_sheet(zf, member)
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
    ws = choose_sheet(found.worksheets, sheet)
    book = _Book(found, fast=True, strings_path=found.strings_path)
    book.calamine = guarded(lambda: _try_calamine(path, book, ws))
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
    return plain_value(value)


def _xlsx_data_rows(
    book: _Book, ws: Any, header_row: int, width: int, max_rows: int
) -> Iterator[RawRow]:
    count = 0
    for number, values in read_guarded(_sheet_rows(book, ws, width)):
        if number <= header_row or is_blank(values):
            continue
        count += 1
        if count > max_rows:
            raise rows_exceeded(max_rows)
        yield RawRow(number, fit(values, width))


def _calamine_blocks(
    book: _Book, header_row: int, width: int, max_rows: int, size: int
) -> Iterator[Block]:
    """`_xlsx_data_rows` of a calamine sheet, per block and per column."""
    count = 0
    for first, columns in read_guarded(book.calamine.column_blocks(header_row, width, size)):
        block = column_block(list(range(first, first + len(columns[0]))), columns, width)
        if block is None:
            continue
        count += len(block.numbers)
        if count > max_rows:
            raise rows_exceeded(max_rows)
        yield block


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
    return fast_sheet_rows(book.wb, book.shared_strings or [], ws, max_col)

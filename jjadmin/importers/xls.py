"""Excel 97–2003 workbooks (.xls, BIFF8) through xlrd, run by `contained`.

xlrd is pure Python (a crafted file raises, it cannot abort the process) and reports what
SPEC §5 needs: error cells, date-formatted numbers with the workbook's epoch, text cells as
text (leading zeros kept), each sheet's visibility. It shows a formula cell as its cached
result, so the sheet's own records are walked once for FORMULA records (their cells become
`CellProblem("formula", …)`). The container is looked at first: an encrypted workbook (an
OOXML `EncryptedPackage`, or an .xls with a FILEPASS record) and a BIFF5 "Book" get their
own lines. A BIFF8 sheet holds at most 65,536 rows, so this reader never meets a large file.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jjadmin.errors import FileRejected
from jjadmin.importers.cells import CellProblem, CellValue, choose_sheet
from jjadmin.importers.sniff import MSG_BAD_OLE2, MSG_ENCRYPTED, MSG_NOT_XLS

MSG_BIFF5 = (
    "文件是 Excel 5.0/95 格式的旧 .xls 工作簿，无法读取：请用 Excel 或 WPS 另存为 .xlsx 后再导入"
)
MSG_NOT_WORKBOOK = (
    "文件是 Office 97–2003 文档，但不是 Excel 工作簿（可能是 Word 或 PowerPoint 文件）"
)

_FORMULA = 0x0006
_BOF = 0x0809
_EOF = 0x000A
_RECORD = struct.Struct("<HH")
_CELL = struct.Struct("<HH")


@dataclass
class _Sheet:
    """What `choose_sheet` needs of an xlrd sheet, before the sheet is loaded."""

    title: str
    sheet_state: str
    index: int


class XlsSheet:
    """The chosen sheet of an .xls: `title`, `estimated` (its rows) and `rows()`."""

    def __init__(self, path: Path, wanted: str | None) -> None:
        import xlrd

        data = path.read_bytes()
        _check_container(data)
        quiet = io.StringIO()
        try:
            book = xlrd.open_workbook(
                file_contents=data, on_demand=True, ragged_rows=True, logfile=quiet
            )
        except xlrd.XLRDError as exc:
            if "encrypted" in str(exc).lower():
                raise FileRejected(MSG_ENCRYPTED) from exc
            raise FileRejected(MSG_NOT_XLS, data={"detail": str(exc)[:200]}) from exc
        except Exception as exc:  # struct.error, IndexError…: a damaged or crafted file
            raise FileRejected(MSG_NOT_XLS, data={"detail": repr(exc)[:200]}) from exc
        if book.biff_version < 80:
            raise FileRejected(MSG_BIFF5)
        states = {0: "visible", 1: "hidden", 2: "veryHidden"}
        sheets = [
            _Sheet(str(name), states.get(visibility, "hidden"), i)
            for i, (name, visibility) in enumerate(
                zip(book.sheet_names(), book._sheet_visibility, strict=True)
            )
        ]
        chosen = choose_sheet(sheets, wanted)
        try:
            self._sheet = book.sheet_by_index(chosen.index)
            self._formulas = formula_cells(book.mem, book._sh_abs_posn[chosen.index])
        except Exception as exc:
            raise FileRejected(MSG_NOT_XLS, data={"detail": repr(exc)[:200]}) from exc
        self._datemode = book.datemode
        self.title = chosen.title
        self.estimated: int | None = self._sheet.nrows

    def rows(self) -> Iterator[tuple[int, list[CellValue], int]]:
        import xlrd

        sheet = self._sheet
        formulas = self._formulas
        for r in range(sheet.nrows):
            types = sheet.row_types(r)
            values = sheet.row_values(r)
            cells: list[CellValue] = [
                _value(xlrd, kind, value, self._datemode)
                for kind, value in zip(types, values, strict=True)
            ]
            if formulas:
                for c in formulas.get(r, ()):
                    if c < len(cells):
                        cells[c] = CellProblem("formula", _formula_text(cells[c]))
            while cells and cells[-1] is None:
                cells.pop()
            if cells:
                yield r + 1, cells, 1


def _check_container(data: bytes) -> None:
    from xlrd.compdoc import CompDoc

    try:
        names = {d.name.lower() for d in CompDoc(data, logfile=io.StringIO()).dirlist}
    except Exception as exc:  # CompDocError, struct.error…: truncated or fuzzed
        raise FileRejected(MSG_BAD_OLE2, data={"detail": repr(exc)[:200]}) from exc
    if "encryptedpackage" in names or "encryptioninfo" in names:
        raise FileRejected(MSG_ENCRYPTED)
    if "workbook" not in names:
        raise FileRejected(MSG_BIFF5 if "book" in names else MSG_NOT_WORKBOOK)


def formula_cells(mem: Any, start: int) -> dict[int, list[int]]:
    """The cells (row → columns, 0-based) of the FORMULA records of the sheet substream that
    starts at `start` (its BOF record); embedded substreams (charts) are passed over."""
    found: dict[int, list[int]] = {}
    end = len(mem)
    pos = start
    depth = 0
    while pos + 4 <= end:
        kind, length = _RECORD.unpack_from(mem, pos)
        pos += 4
        if kind == _FORMULA and length >= 4 and pos + 4 <= end:
            row, col = _CELL.unpack_from(mem, pos)
            found.setdefault(row, []).append(col)
        elif kind == _BOF:
            depth += 1
        elif kind == _EOF:
            depth -= 1
            if depth <= 0:
                break
        pos += length
    return found


def _formula_text(cached: CellValue) -> str:
    """What a formula cell shows (xlrd has its cached result, not the formula's text)."""
    if cached is None:
        return "="
    if isinstance(cached, CellProblem):
        return cached.text
    from jjadmin.importers.cells import plain_text

    return cached if isinstance(cached, str) else plain_text(cached)


def _value(xlrd: Any, kind: int, value: Any, datemode: int) -> CellValue:
    if kind == xlrd.XL_CELL_TEXT:
        return value if value.strip() else None
    if kind == xlrd.XL_CELL_NUMBER:
        if value != value or value in (float("inf"), float("-inf")):
            return CellProblem("error", "#NUM!")
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if kind == xlrd.XL_CELL_DATE:
        try:
            moment = xlrd.xldate_as_datetime(value, datemode)
            return moment.time().isoformat() if 0 <= value < 1 else moment  # as xlsx does
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return CellProblem("error", "#VALUE!")
    if kind == xlrd.XL_CELL_BOOLEAN:
        return bool(value)
    if kind == xlrd.XL_CELL_ERROR:
        return CellProblem("error", xlrd.error_text_from_code.get(value, "#VALUE!"))
    return None

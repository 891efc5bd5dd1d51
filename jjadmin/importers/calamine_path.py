"""The fastest xlsx path: python-calamine, used only on sheets proven safe for it.

python-calamine 0.9.1 aborts the whole process on two tiny malformed files (upstream calamine
issues 684 and 693): a far-away cell such as XFD1048576 (it allocates the whole rectangle) and
a sharedStrings `uniqueCount` in the billions. It also shows formula cells as their cached
values, which SPEC §5 wants reported. So before calamine sees a sheet we stream its XML once
and fall back to the expat reader on anything unusual: formulas, error cells, three-letter
columns, rows far beyond the rows present, an oversized claimed dimension or string count,
or a 1904-based workbook.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import islice
from pathlib import Path
from typing import Any

_CHUNK = 8 << 20
_OVERLAP = 256
_TAIL_REFS = 4096
MAX_SHARED_STRINGS = 5_000_000
MAX_CELLS = 60_000_000
SPARSE_ROW_SLACK = 10_000

_FORMULA = re.compile(rb"<(?:\w+:)?f[ >/]")
_COL3 = re.compile(rb""" r=["'][A-Z]{3}[0-9]""")
_COL2 = re.compile(rb""" r=["'][A-Z]{2}[0-9]""")
_COL23 = re.compile(rb""" r=["'][A-Z]{2}""")  # any two- or three-letter column
_CELL_ROW = re.compile(rb""" r=["'][A-Z]{1,3}([0-9]+)["']""")
_DIMENSION = re.compile(rb"""<(?:\w+:)?dimension\s+ref=["']([A-Z]*)(\d*)(?::([A-Z]+)(\d+))?["']""")
_COUNT = re.compile(rb"""(?:uniqueCount|count)=["'](\d+)["']""")


@dataclass
class ScanResult:
    safe: bool
    reason: str = ""
    rows_present: int = 0
    max_row: int = 0


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def _above(number: int) -> re.Pattern[bytes]:
    """A `_CELL_ROW` match whose row number is greater than `number` (leading zeros allowed)."""
    digits = str(number)
    options = [f"[1-9][0-9]{{{len(digits)},}}"]
    if number > 0:
        for i, ch in enumerate(digits):
            if ch != "9":
                rest = len(digits) - i - 1
                options.append(f"{digits[:i]}[{int(ch) + 1}-9][0-9]{{{rest}}}")
    else:
        options.append("[1-9][0-9]*")
    return re.compile(rf""" r=["'][A-Z]{{1,3}}0*(?:{"|".join(options)})["']""".encode())


def _max_row(data: bytes, known: int) -> int:
    """max(known, every `_CELL_ROW` number in data), mostly without listing them all.

    Rows come in order, so the highest number is usually near the end: take the numbers of
    the last few KB, then one search proves nothing above them (else count them all).
    """
    refs = _CELL_ROW.findall(data[-_TAIL_REFS:])
    top = max(known, *map(int, refs)) if refs else known
    if _above(top).search(data) is None:
        return top
    return max(top, *map(int, _CELL_ROW.findall(data)))


def scan_sheet(zf: zipfile.ZipFile, member: str) -> ScanResult:
    """Stream the sheet XML once and decide whether calamine may read it."""
    rows_present = 0
    max_row = 0
    dim_row = 0
    dim_col = 0
    wide = False
    tail = b""
    with zf.open(member) as src:
        first = True
        while chunk := src.read(_CHUNK):
            data = tail + chunk
            if first:
                m = _DIMENSION.search(data[:4096])
                if m and m.group(3):
                    dim_col, dim_row = _col_number(m.group(3)), int(m.group(4))
                first = False
            # one byte search first: text cells rarely hold an "f" at all
            if b"f" in data and (b"<f" in data or b":f" in data) and _FORMULA.search(data):
                return ScanResult(False, "formula")
            if b't="e"' in data or (b"'" in data and b"t='e'" in data):
                return ScanResult(False, "error-cell")
            if _COL23.search(data) is not None:  # one pass for the usual A–Z sheet
                if _COL3.search(data):
                    return ScanResult(False, "wide-column")
                wide = wide or _COL2.search(data) is not None
            rows_present += chunk.count(b"<row")
            if b":" in chunk:  # prefixed elements (x:row); a byte search skips most chunks
                rows_present += chunk.count(b":row")
            max_row = _max_row(data, max_row)
            tail = data[-_OVERLAP:]
    max_col = 702 if wide else 26
    if max_row > rows_present + SPARSE_ROW_SLACK:
        return ScanResult(False, "far-away-row", rows_present, max_row)
    if dim_row > max(max_row, rows_present) + SPARSE_ROW_SLACK or dim_col > 702:
        return ScanResult(False, "claimed-dimension", rows_present, max_row)
    if max(dim_row, max_row, rows_present) * max(dim_col, max_col) > MAX_CELLS:
        return ScanResult(False, "too-many-cells", rows_present, max_row)
    return ScanResult(True, "", rows_present, max_row)


def shared_strings_ok(zf: zipfile.ZipFile, member: str | None) -> bool:
    if member is None:
        return True
    try:
        with zf.open(member) as src:
            head = src.read(4096)
    except KeyError:
        return True
    return all(int(c) <= MAX_SHARED_STRINGS for c in _COUNT.findall(head))


def calamine_available() -> bool:
    try:
        import python_calamine  # noqa: F401
    except ImportError:
        return False
    return True


class CalamineSheet:
    """Rows of one sheet as (row number, values), blank cells as None, from column A."""

    def __init__(self, path: Path, title: str):
        from python_calamine import CalamineWorkbook

        self._wb = CalamineWorkbook.from_path(str(path))
        self._sheet = self._wb.get_sheet_by_name(title)

    def rows(self, max_col: int | None) -> Iterator[tuple[int, Sequence[Any]]]:
        start = self._sheet.start
        if start is None:
            return
        lead = [None] * int(start[1])
        for index, row in enumerate(self._sheet.iter_rows()):
            values: list[Any] = lead + [_value(v) for v in row]
            if max_col is not None:
                values = values[:max_col]
            yield index + 1, values

    def column_blocks(
        self, skip: int, width: int, size: int
    ) -> Iterator[tuple[int, list[Sequence[Any]]]]:
        """The rows after the first `skip`, `size` at a time, as `width` columns of the values
        `rows(width)` gives (column A first, blank cells None, short rows padded), each block
        with the number of its first row.

        Per column instead of per cell: a column of text cells (the usual roster) needs no
        Python call per cell.
        """
        start = self._sheet.start
        if start is None:
            return
        lead = int(start[1])
        rows = self._sheet.iter_rows()
        next(islice(rows, skip, skip), None)
        number = skip + 1
        while chunk := list(islice(rows, size)):
            count = len(chunk)
            lengths = set(map(len, chunk))
            if len(lengths) > 1:  # calamine gives equal rows; never rely on it
                longest = max(lengths)
                chunk = [[*row, *([""] * (longest - len(row)))] for row in chunk]
            span = list(zip(*chunk, strict=True))
            columns: list[Sequence[Any]] = []
            for index in range(width):
                at = index - lead
                if 0 <= at < len(span):
                    columns.append(_column_values(span[at]))
                else:
                    columns.append([None] * count)
            yield number, columns
            number += count

    def close(self) -> None:
        try:
            self._wb.close()
        except Exception:  # noqa: BLE001 - closing must never mask the real outcome
            pass


def _column_values(cells: Sequence[Any]) -> list[Any]:
    """`_value` of every cell of a column; text-only columns without a Python call per cell."""
    if set(map(type, cells)) == {str}:
        empty = cells.count("")
        if empty == len(cells):
            return [None] * empty
        # `not v.strip()` is `v == "" or v.isspace()`
        if any(map(str.isspace, cells)):
            return [None if not v or v.isspace() else v for v in cells]
        return [v or None for v in cells] if empty else list(cells)
    return list(map(_value, cells))


def _value(v: Any) -> Any:
    if isinstance(v, str) and not v.strip():
        return None
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return int(v)
    if isinstance(v, date) and not isinstance(v, datetime):
        return datetime(v.year, v.month, v.day)  # as openpyxl delivers date cells
    return v

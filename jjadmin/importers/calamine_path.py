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

import posixpath
import re
import threading
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


def scan_semantics(zf: zipfile.ZipFile, member: str) -> ScanResult:
    """What a contained calamine (see `contained.ContainedCalamineSheet`) still needs of a
    scan: whether the sheet holds formula or error cells (calamine would show their cached
    values, SPEC §5 wants them reported), and how many rows it has. The checks that keep
    calamine from aborting or allocating without bound are left to the child's limits."""
    rows_present = 0
    tail = b""
    with zf.open(member) as src:
        while chunk := src.read(_CHUNK):
            data = tail + chunk
            if b"f" in data and (b"<f" in data or b":f" in data) and _FORMULA.search(data):
                return ScanResult(False, "formula")
            if b't="e"' in data or (b"'" in data and b"t='e'" in data):
                return ScanResult(False, "error-cell")
            rows_present += chunk.count(b"<row")
            if b":" in chunk:
                rows_present += chunk.count(b":row")
            tail = data[-_OVERLAP:]
    return ScanResult(True, "", rows_present, rows_present)


CALAMINE_WORKBOOK = "xl/workbook.xml"
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_REL_TYPES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"


@dataclass
class LightSheet:
    """What the fast path needs of a worksheet (attribute names as openpyxl's)."""

    title: str
    sheet_state: str
    _worksheet_path: str
    max_row: int | None = None


@dataclass
class LightWorkbook:
    """The worksheets of a workbook read from its package parts alone, without openpyxl."""

    worksheets: list[LightSheet]
    strings_path: str | None

    def close(self) -> None:
        """Nothing to release: the parts were read whole."""


def light_workbook(zf: zipfile.ZipFile) -> LightWorkbook | None:
    """The worksheets (titles, states, part paths) and the shared-strings part of a plain
    1900-based workbook at xl/workbook.xml, from its relationships and workbook.xml; None
    for anything else (a workbook part elsewhere, a 1904-based or strict-namespace workbook,
    a part that is not where its relationship says), which openpyxl then reads for the
    expat reader. The package was checked (sizes, DTDs) beforehand.
    """
    from xml.etree import ElementTree

    names = set(zf.namelist())

    def rels(part: str) -> list[tuple[str, str, str]]:
        folder, _, name = part.rpartition("/")
        rels_part = f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels"
        if rels_part not in names:
            return []
        found = []
        for rel in ElementTree.fromstring(zf.read(rels_part)).iter(_PKG):
            target = rel.get("Target", "")
            if rel.get("TargetMode") == "External" or not target:
                continue
            path = (
                target.lstrip("/")
                if target.startswith("/")
                else posixpath.normpath(posixpath.join(folder, target))
            )
            found.append((rel.get("Id", ""), rel.get("Type", ""), path))
        return found

    book = [p for _, kind, p in rels("") if kind == _REL_TYPES + "officeDocument"]
    if book != [CALAMINE_WORKBOOK] or CALAMINE_WORKBOOK not in names:
        return None  # python-calamine reads xl/workbook.xml whatever the package says
    root = ElementTree.fromstring(zf.read(book[0]))
    if root.tag != f"{_MAIN}workbook":
        return None
    props = root.find(f"{_MAIN}workbookPr")
    if props is not None and props.get("date1904", "0").lower() in ("1", "true"):
        return None
    parts = rels(book[0])
    sheet_parts = {rid: p for rid, kind, p in parts if kind == _REL_TYPES + "worksheet"}
    strings = [p for _, kind, p in parts if kind == _REL_TYPES + "sharedStrings"]
    if len(strings) > 1 or any(p not in names for p in [*sheet_parts.values(), *strings]):
        return None
    sheets = []
    for node in root.iterfind(f"{_MAIN}sheets/{_MAIN}sheet"):
        part = sheet_parts.get(node.get(_REL_ID, ""))
        if part is not None:  # chartsheets and dialog sheets are no worksheets
            sheets.append(LightSheet(node.get("name", ""), node.get("state", "visible"), part))
    return LightWorkbook(sheets, strings[0] if strings else None)


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
    """Rows of one sheet as (row number, values), blank cells as None, from column A.

    The workbook is opened and the sheet parsed in a thread of its own: python-calamine
    releases the GIL while it does so (most of the time of reading a large sheet), so the
    caller can go on with other work until it first asks for rows. An error of the parse is
    raised on that first use.
    """

    def __init__(self, path: Path, title: str):
        self._wb: Any = None
        self._loaded: Any = None
        self._error: BaseException | None = None
        self._closed = False
        self._done = False
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = threading.Thread(
            target=self._load, args=(str(path), title), name="jjadmin-calamine", daemon=True
        )
        self._thread.start()

    def _load(self, path: str, title: str) -> None:
        from python_calamine import CalamineWorkbook

        try:
            self._wb = CalamineWorkbook.from_path(path)
            self._loaded = self._wb.get_sheet_by_name(title)
        except BaseException as exc:  # noqa: BLE001 - handed to the reading thread
            self._error = exc
        with self._lock:
            self._done = True
            if self._closed:  # closed while loading (the command failed meanwhile)
                self._release()

    def _join(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    @property
    def _sheet(self) -> Any:
        self._join()
        if self._error is not None:
            raise self._error
        return self._loaded

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
        """Close the workbook; one still loading is closed by its thread when done, so that a
        command failing meanwhile (not logged in, say) does not wait for the parse."""
        with self._lock:
            self._closed = True
            if not self._done:
                return
        self._release()

    def _release(self) -> None:
        self._loaded = None
        if self._wb is None:
            return
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

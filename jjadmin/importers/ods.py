"""OpenDocument spreadsheets (.ods): content.xml streamed through expat, run by `contained`.

No library reads ODS the way SPEC §5 needs (formula cells reported, hidden sheets skipped,
repeated rows never expanded), so this one is ours and small. Repeats are kept as counts:
`number-rows-repeated="1048576"` of empty rows costs nothing, a repeated non-empty row is
one row with a count (the row cap is applied to the count before anything is expanded),
and a row never grows past `EXCEL_MAX_COLS` cells. DTDs are refused as in xlsx parts.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from jjadmin.errors import FileRejected
from jjadmin.importers.cells import (
    EXCEL_MAX_COLS,
    EXCEL_MAX_ROWS,
    CellProblem,
    CellValue,
    normalize_header,
)
from jjadmin.importers.sniff import MSG_NOT_ODS
from jjadmin.importers.xlsx_stream import refuse_dtd

_CHUNK = 1 << 16
_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0 "
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0 "
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0 "
_STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0 "

T_TABLE = _TABLE + "table"
T_ROW = _TABLE + "table-row"
T_CELL = _TABLE + "table-cell"
T_COVERED = _TABLE + "covered-table-cell"
A_NAME = _TABLE + "name"
A_STYLE_NAME = _TABLE + "style-name"
A_ROWS_REPEATED = _TABLE + "number-rows-repeated"
A_COLS_REPEATED = _TABLE + "number-columns-repeated"
A_FORMULA = _TABLE + "formula"
A_DISPLAY = _TABLE + "display"
A_VALUE_TYPE = _OFFICE + "value-type"
A_VALUE = _OFFICE + "value"
A_DATE = _OFFICE + "date-value"
A_TIME = _OFFICE + "time-value"
A_BOOL = _OFFICE + "boolean-value"
A_STRING = _OFFICE + "string-value"
O_ANNOTATION = _OFFICE + "annotation"
X_P = _TEXT + "p"
X_S = _TEXT + "s"
X_TAB = _TEXT + "tab"
X_BREAK = _TEXT + "line-break"
S_STYLE = _STYLE + "style"
S_FAMILY = _STYLE + "family"
S_NAME = _STYLE + "name"
S_TABLE_PROPS = _STYLE + "table-properties"

# (row number, cells, how many times the row repeats)
OdsRow = tuple[int, list[CellValue], int]
_NAMESPACED = re.compile(r"^[A-Za-z][\w.-]*:(?==)")
_DURATION = re.compile(r"^-?P(?:(\d+)D)?T?(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$")


class OdsSheet:
    """The rows of one table of an .ods, read lazily (see `rows`).

    `title` is the chosen table's name once `rows` has reached it. The table is the one named
    `wanted` (exactly, else as `normalize_header` folds it) or the first visible one.
    """

    def __init__(self, path: Path, wanted: str | None) -> None:
        self.path = path
        self.wanted = wanted
        self.title: str | None = None
        self.estimated: int | None = None

    def rows(self) -> Iterator[OdsRow]:
        try:
            zf = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise FileRejected(MSG_NOT_ODS, data={"detail": str(exc)[:200]}) from exc
        with zf:
            try:
                source = zf.open("content.xml")
            except KeyError as exc:
                raise FileRejected(MSG_NOT_ODS, data={"detail": "no content.xml"}) from exc
            content = _Content(self.wanted)
            with source:
                while chunk := source.read(_CHUNK):
                    content.feed(chunk)
                    if content.title is not None:
                        self.title = content.title
                    if content.done:
                        yield from content.take()
                    if content.finished:
                        break
                else:
                    content.finish()
            if content.title is not None:
                self.title = content.title
            yield from content.take()
        if self.title is None:
            raise _no_sheet(self.wanted, content.names)


def _no_sheet(wanted: str | None, names: list[str]) -> FileRejected:
    if wanted is None:
        return FileRejected("工作簿中没有可见的工作表")
    available = "、".join(names) or "（无）"
    return FileRejected(f"工作簿中没有名为“{wanted}”的工作表，可用的工作表：{available}")


class _Content:
    """expat handlers for content.xml (namespace-aware: the prefixes are the file's own)."""

    def __init__(self, wanted: str | None) -> None:
        from xml.parsers import expat

        self.wanted = wanted
        self.wanted_key = None if wanted is None else normalize_header(wanted).casefold()
        self.names: list[str] = []
        self.hidden_styles: set[str] = set()
        self.style: str | None = None
        self.title: str | None = None
        self.finished = False  # the chosen table has ended
        self.reading = False
        self.depth = 0  # nesting of table:table (sub-tables in cells are skipped)
        self.done: list[OdsRow] = []
        self.row_number = 0
        self.cells: list[CellValue] | None = None
        self.pending_blanks = 0
        self.row_repeat = 1
        self.cell: dict[str, str] | None = None
        self.col_repeat = 1
        self.parts: list[str] | None = None
        self.paragraphs = 0
        self.annotation = 0
        parser = expat.ParserCreate(namespace_separator=" ")
        parser.buffer_text = True
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.CharacterDataHandler = self.text
        parser.StartDoctypeDeclHandler = refuse_dtd
        parser.EntityDeclHandler = refuse_dtd
        self.parser = parser

    def feed(self, chunk: bytes) -> None:
        self._parse(chunk, False)

    def finish(self) -> None:
        self._parse(b"", True)

    def _parse(self, chunk: bytes, final: bool) -> None:
        from xml.parsers import expat

        try:
            self.parser.Parse(chunk, final)
        except expat.ExpatError as exc:
            raise FileRejected(MSG_NOT_ODS, data={"detail": str(exc)[:200]}) from exc

    def take(self) -> list[OdsRow]:
        done, self.done = self.done, []
        return done

    def _chooses(self, name: str, hidden: bool) -> bool:
        if self.title is not None:
            return False
        if self.wanted is None:
            return not hidden
        return name == self.wanted or normalize_header(name).casefold() == self.wanted_key

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if name == T_TABLE:
            self._start_table(attrs)
            return
        if self.reading and self.depth == 1:
            if name == T_CELL or name == T_COVERED:
                self.cell = attrs
                self.col_repeat = _count(attrs.get(A_COLS_REPEATED))
                self.parts = None
                self.paragraphs = 0
                return
            if self.cell is not None:
                if name == O_ANNOTATION:
                    self.annotation += 1
                elif self.annotation:
                    return
                elif name == X_P:
                    if self.parts is None:
                        self.parts = []
                    elif self.paragraphs:
                        self.parts.append("\n")
                    self.paragraphs += 1
                elif name == X_S and self.parts is not None:
                    self.parts.append(" " * min(_count(attrs.get(_TEXT + "c")), 1024))
                elif name == X_TAB and self.parts is not None:
                    self.parts.append("\t")
                elif name == X_BREAK and self.parts is not None:
                    self.parts.append("\n")
                return
            if name == T_ROW:
                self.row_repeat = _count(attrs.get(A_ROWS_REPEATED))
                self.cells = []
                self.pending_blanks = 0
                return
        if name == S_STYLE:
            self.style = attrs.get(S_NAME) if attrs.get(S_FAMILY) == "table" else None
        elif name == S_TABLE_PROPS:
            if self.style is not None and attrs.get(A_DISPLAY) == "false":
                self.hidden_styles.add(self.style)

    def _start_table(self, attrs: dict[str, str]) -> None:
        self.depth += 1
        if self.depth == 1:
            table = attrs.get(A_NAME, "")
            self.names.append(table)
            hidden = attrs.get(A_STYLE_NAME) in self.hidden_styles
            if self._chooses(table, hidden):
                self.title = table
                self.reading = True
                self.row_number = 0

    def text(self, data: str) -> None:
        if self.parts is not None and self.cell is not None and not self.annotation:
            self.parts.append(data)

    def end(self, name: str) -> None:
        if name == T_TABLE:
            if self.depth == 1 and self.reading:
                self.reading = False
                self.finished = True
            self.depth -= 1
            return
        if not self.reading or self.depth != 1:
            return
        if self.cell is not None:
            if name == O_ANNOTATION:
                self.annotation -= 1
            elif name == T_CELL or name == T_COVERED:
                self._add_cell(_cell_value(self.cell, self.parts))
                self.cell = None
                self.parts = None
            return
        if name == T_ROW and self.cells is not None:
            cells = self.cells
            first = self.row_number + 1
            self.row_number += self.row_repeat
            if cells:
                if first > EXCEL_MAX_ROWS:
                    raise FileRejected(
                        f"工作表的行号超出 Excel 上限 {EXCEL_MAX_ROWS} 行，文件可能已损坏"
                    )
                self.done.append((first, cells, self.row_repeat))
            self.cells = None

    def _add_cell(self, value: CellValue) -> None:
        cells = self.cells
        if cells is None:
            return
        if value is None:
            self.pending_blanks += self.col_repeat
            return
        room = EXCEL_MAX_COLS - len(cells)
        if self.pending_blanks:
            blanks = min(self.pending_blanks, room)
            cells.extend([None] * blanks)
            room -= blanks
            self.pending_blanks = 0
        if room > 0:
            cells.extend([value] * min(self.col_repeat, room))


def _count(raw: str | None) -> int:
    if not raw:
        return 1
    try:
        count = int(raw)
    except ValueError:
        return 1
    return count if count > 0 else 1


def _cell_value(attrs: dict[str, str], parts: list[str] | None) -> CellValue:
    formula = attrs.get(A_FORMULA)
    if formula:
        text = _NAMESPACED.sub("", formula, count=1)  # "of:=SUM(..)" → "=SUM(..)"
        return CellProblem("formula", text if text.startswith("=") else "=" + text)
    kind = attrs.get(A_VALUE_TYPE)
    if kind is None:
        return None
    try:
        if kind in ("float", "percentage", "currency"):
            return _number(attrs.get(A_VALUE, ""))
        if kind == "date":
            return _date(attrs.get(A_DATE, ""))
        if kind == "time":
            return _duration(attrs.get(A_TIME, ""))
        if kind == "boolean":
            return attrs.get(A_BOOL, "").strip().lower() == "true"
    except ValueError:
        return CellProblem("error", "#VALUE!")
    given = attrs.get(A_STRING)
    text = given if given is not None else "".join(parts) if parts else ""
    return text if text.strip() else None


def _number(raw: str) -> int | float | CellProblem:
    value = float(raw)
    if value != value or value in (float("inf"), float("-inf")):
        return CellProblem("error", "#NUM!")
    if value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _date(raw: str) -> datetime:
    text = raw.strip()
    if len(text) == 10:
        return datetime.fromisoformat(text)
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=None)


def _duration(raw: str) -> str:
    match = _DURATION.match(raw.strip())
    if match is None:
        raise ValueError(raw)
    days, hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    total = int(round(((days * 24 + hours) * 60 + minutes) * 60 + seconds))
    return f"{total // 3600:02d}:{total // 60 % 60:02d}:{total % 60:02d}"


def open_ods(path: Path, wanted: str | None) -> Any:
    """The chosen table of the .ods at `path` (rows read when `rows()` is iterated)."""
    return OdsSheet(path, wanted)

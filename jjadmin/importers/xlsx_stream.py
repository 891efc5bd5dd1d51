"""The lean streaming xlsx reader (expat): a worksheet part and the shared strings, several
times faster than openpyxl's own iterator. Used when python-calamine may not read a sheet
(formulas, error cells, odd references…); openpyxl supplies the styles and the epoch."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

from jjadmin.errors import FileRejected
from jjadmin.importers.cells import (
    EXCEL_MAX_COLS,
    EXCEL_MAX_ROWS,
    MSG_CORRUPT,
    CellProblem,
    CellValue,
    plain_value,
)

_XML_CHUNK = 1 << 16
MSG_XML_ENTITY = "工作簿的 XML 中含有 DOCTYPE/ENTITY 声明，出于安全原因拒绝导入"


def fast_sheet_rows(
    wb: Any, shared_strings: Sequence[Any], ws: Any, max_col: int | None
) -> Iterator[tuple[int, Sequence[CellValue]]]:
    from openpyxl.utils.datetime import from_excel

    parser = _SheetXml(
        shared_strings=shared_strings,
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


def new_expat(owner: Any) -> Any:
    from xml.parsers import expat

    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = owner.start
    parser.EndElementHandler = owner.end
    parser.CharacterDataHandler = owner.text
    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    return parser


def refuse_dtd(*_args: object) -> None:
    raise FileRejected(MSG_XML_ENTITY)


def _local(names: dict[str, str], name: str) -> str:
    tag = names[name] = name.rpartition(":")[2]
    return tag


def read_shared_strings(wb: Any, part: str | None) -> list[str]:
    if part is None:
        return []
    table = _SharedStrings()
    parser = new_expat(table)
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
        self.parser = new_expat(self)

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
            return plain_value(shared)
        if kind in ("inlineStr", "str"):
            return _unescape(text) if text.strip() else None
        if kind == "e":
            return CellProblem("error", text)
        if kind == "b":
            return text.strip() in ("1", "true")
        if kind == "d":
            from openpyxl.utils.datetime import from_ISO8601

            return plain_value(from_ISO8601(text.strip()))
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
            return plain_value(moment)
        return number

"""What every format reader yields and shares: cell values, rows, blocks, the Table, the
header search and the row caps (SPEC §5). No format-specific code lives here."""

from __future__ import annotations

import unicodedata
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import islice, repeat
from types import TracebackType
from typing import Any, Literal, TypeAlias, TypeVar

from jjadmin.errors import FileRejected

FileKind = Literal["xlsx", "csv", "xls", "ods"]

HEADER_SCAN_ROWS = 20
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLS = 16_384
# Rows per `Table.blocks()` block: big enough for per-column work to pay, small enough to
# keep a block's temporary columns a few MB.
BLOCK_ROWS = 4096
DEFAULT_MAX_ROWS = 1_000_000
_T = TypeVar("_T")

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
        return row_blocks(self._rows(), size)

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


def rows_exceeded(max_rows: int) -> FileRejected:
    return FileRejected(f"数据行数超过上限 {max_rows} 行（JJADMIN_MAX_ROWS）")


def row_blocks(rows: Iterator[RawRow], size: int) -> Iterator[Block]:
    while chunk := list(islice(rows, size)):
        cells = [r.values for r in chunk]
        yield Block([r.number for r in chunk], cells, list(zip(*cells, strict=True)))


def column_block(
    numbers: list[int], columns: list[Sequence[CellValue]], width: int
) -> Block | None:
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


def is_blank(values: Iterable[CellValue]) -> bool:
    return all(v is None for v in values)


def find_header(
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


def fit(values: Sequence[CellValue], width: int) -> tuple[CellValue, ...]:
    if len(values) == width:
        return tuple(values)
    if len(values) > width:
        return tuple(values[:width])
    return (*values, *([None] * (width - len(values))))


def choose_sheet(worksheets: Sequence[Any], wanted: str | None) -> Any:
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


def guarded(action: Callable[[], Any]) -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return action()
    except FileRejected:
        raise
    except Exception as exc:
        raise FileRejected(MSG_CORRUPT, data={"detail": str(exc)[:200]}) from exc


def read_guarded(items: Iterator[_T]) -> Iterator[_T]:
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


def plain_value(value: object) -> CellValue:
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

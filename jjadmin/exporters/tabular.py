"""Fixed-column exports to .xlsx (XlsxWriter, streaming) or .csv (UTF-8 with BOM) (SPEC §5)."""

from __future__ import annotations

import csv
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from jjadmin.errors import InputRejected
from jjadmin.exporters.cells import XLSXWRITER_OPTIONS, as_text, safe_cell

__all__ = ["ExportColumn", "ExportFormat", "display_width", "sheet_title", "write_table"]

ExportFormat = Literal["xlsx", "csv"]
Row = Mapping[str, object] | Sequence[object]

XLSX_MAX_DATA_ROWS = 1_048_575


@dataclass(frozen=True)
class ExportColumn:
    """One exported column.

    `text` writes the value as text with format '@' (codes, IDs: leading zeros survive);
    `money` formats numbers as 0.00 — pass yuan as `Decimal`, never integer fen.
    """

    key: str
    header: str
    text: bool = False
    width: int | None = None
    money: bool = False


def display_width(text: str) -> int:
    """Approximate width in Excel columns: CJK characters count double."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def sheet_title(name: str | None, default: str = "Sheet1") -> str:
    """A legal Excel sheet name: no []:*?/\\ characters, at most 31 characters."""
    cleaned = re.sub(r"[\[\]:*?/\\]", "", name or "").strip().strip("'")[:31]
    return cleaned or default


def _resolve_format(path: Path, fmt: ExportFormat | None) -> ExportFormat:
    if fmt is not None:
        return fmt
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix == ".xlsx":
        return "xlsx"
    raise InputRejected(
        f"无法从文件名“{path.name}”判断导出格式，请使用 .xlsx 或 .csv 扩展名（或 --format）"
    )


def _cells(row: Row, columns: Sequence[ExportColumn]) -> list[object]:
    if isinstance(row, Mapping):
        return [row.get(column.key) for column in columns]
    values = list(row)
    if len(values) < len(columns):
        values.extend([None] * (len(columns) - len(values)))
    return values[: len(columns)]


def write_table(
    path: Path,
    columns: Sequence[ExportColumn],
    rows: Iterable[Row],
    *,
    fmt: ExportFormat | None = None,
    sheet_name: str = "Sheet1",
) -> int:
    """Write `rows` (mappings by column key, or sequences in column order); return the count.

    Raises:
        InputRejected: unknown format, unwritable path, or more rows than an xlsx sheet holds.
    """
    path = Path(path)
    kind = _resolve_format(path, fmt)
    try:
        if kind == "csv":
            return _write_csv(path, columns, rows)
        return _write_xlsx(path, columns, rows, sheet_name)
    except OSError as exc:
        raise InputRejected(f"无法写入文件 {path}：{exc.strerror or exc}") from exc


def _csv_value(value: object, column: ExportColumn) -> str:
    if value is None:
        return ""
    if column.money and isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        return f"{Decimal(str(value)):.2f}"
    if isinstance(value, float) and not value.is_integer():
        return repr(value)
    text = as_text(value) or ""
    if column.text and len(text) >= LONG_DIGITS and text.isdigit():
        # Excel reads a bare 18-digit ID as a number and keeps 15 digits (…000): a leading
        # tab makes it text; importers strip it (a digits-only cell can be no formula)
        return "\t" + text
    return str(safe_cell(text))


# a text column holding this many digits or more is written so Excel keeps it as text
LONG_DIGITS = 12


def _write_csv(path: Path, columns: Sequence[ExportColumn], rows: Iterable[Row]) -> int:
    count = 0
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([safe_cell(column.header) for column in columns])
        for row in rows:
            writer.writerow(
                [_csv_value(v, c) for v, c in zip(_cells(row, columns), columns, strict=True)]
            )
            count += 1
    return count


class _XlsxFormats:
    def __init__(self, workbook: Any) -> None:
        self.header = workbook.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1})
        self.text = workbook.add_format({"num_format": "@"})
        self.date = workbook.add_format({"num_format": "yyyy-mm-dd"})
        self.datetime = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        self.money = workbook.add_format({"num_format": "#,##0.00"})


def _write_xlsx(
    path: Path, columns: Sequence[ExportColumn], rows: Iterable[Row], sheet_name: str
) -> int:
    import xlsxwriter
    from xlsxwriter.exceptions import FileCreateError

    options: dict[str, object] = {
        "constant_memory": True,
        "remove_timezone": True,
        **XLSXWRITER_OPTIONS,
    }
    workbook = xlsxwriter.Workbook(str(path), options)
    count = 0
    try:
        sheet = workbook.add_worksheet(sheet_title(sheet_name))
        formats = _XlsxFormats(workbook)
        for index, column in enumerate(columns):
            width = column.width or min(max(display_width(column.header) + 4, 10), 60)
            sheet.set_column(index, index, width, formats.text if column.text else None)
            sheet.write_string(0, index, str(safe_cell(column.header)), formats.header)
        for row in rows:
            count += 1
            if count > XLSX_MAX_DATA_ROWS:
                raise InputRejected(
                    f"导出行数超过 xlsx 上限 {XLSX_MAX_DATA_ROWS} 行，请改用 --format csv"
                )
            for index, (value, column) in enumerate(
                zip(_cells(row, columns), columns, strict=True)
            ):
                if value is not None:
                    _write_xlsx_cell(sheet, formats, count, index, value, column)
        if columns:
            sheet.freeze_panes(1, 0)
            sheet.autofilter(0, 0, count, len(columns) - 1)
    finally:
        try:
            workbook.close()
        except FileCreateError as exc:
            raise InputRejected(f"无法写入文件 {path}：{exc}") from exc
    return count


def _write_xlsx_cell(
    sheet: Any, formats: _XlsxFormats, row: int, col: int, value: object, column: ExportColumn
) -> None:
    if column.text:
        sheet.write_string(row, col, str(safe_cell(as_text(value) or "")), formats.text)
    elif isinstance(value, str):
        sheet.write_string(row, col, str(safe_cell(value)))
    elif isinstance(value, bool):
        sheet.write_boolean(row, col, value)
    elif isinstance(value, int | float | Decimal):
        number = float(value)
        if math.isfinite(number):
            sheet.write_number(row, col, number, formats.money if column.money else None)
        else:
            sheet.write_string(row, col, str(value))
    elif isinstance(value, datetime):
        sheet.write_datetime(row, col, value, formats.datetime)
    elif isinstance(value, date):
        sheet.write_datetime(row, col, value, formats.date)
    elif isinstance(value, time):
        sheet.write_string(row, col, value.isoformat())
    else:
        sheet.write_string(row, col, str(safe_cell(as_text(value) or "")))

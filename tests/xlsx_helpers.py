"""Build spreadsheets inside tests (no binary fixtures are committed)."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import PatternFill
from openpyxl.utils.datetime import CALENDAR_MAC_1904


def make_xlsx(
    path: Path,
    rows: Sequence[Sequence[Any]],
    *,
    sheet_title: str = "Sheet1",
    hidden_first: bool = False,
    epoch_1904: bool = False,
    title_row: str | None = None,
    styled_blank_rows: int = 0,
    number_formats: dict[str, str] | None = None,
    extra_sheets: dict[str, Sequence[Sequence[Any]]] | None = None,
) -> Path:
    """Write `rows` (header first) to a one-sheet workbook and return `path`.

    `hidden_first` puts a hidden decoy sheet before the data sheet; `title_row` adds a merged
    title row (and a blank row) above the header; `styled_blank_rows` appends filled empty
    rows after the data; `number_formats` maps a cell coordinate to a number format.
    """
    wb = Workbook()
    if epoch_1904:
        wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    assert ws is not None
    if hidden_first:
        ws.title = "隐藏"
        ws.append(["学号", "姓名"])
        ws.append(["decoy", "不应读取"])
        ws.sheet_state = "hidden"
        ws = wb.create_sheet(sheet_title)
    else:
        ws.title = sheet_title
    if title_row is not None:
        width = max((len(r) for r in rows), default=1)
        ws.append([title_row])
        if width > 1:
            ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
        ws.append([])
    for row in rows:
        ws.append(list(row))
    if styled_blank_rows:
        fill = PatternFill("solid", fgColor="FFFFFF00")
        start = ws.max_row + 1
        width = max((len(r) for r in rows), default=1)
        for r in range(start, start + styled_blank_rows):
            for c in range(1, width + 1):
                ws.cell(row=r, column=c).fill = fill
    for coordinate, fmt in (number_formats or {}).items():
        ws[coordinate].number_format = fmt
    for title, extra_rows in (extra_sheets or {}).items():
        extra = wb.create_sheet(title)
        for row in extra_rows:
            extra.append(list(row))
    wb.save(path)
    return path


def rewrite_member(path: Path, member: str, transform: Callable[[bytes], bytes]) -> None:
    """Rewrite one part of a zip package in place (e.g. a sheet's XML)."""
    with zipfile.ZipFile(path) as source:
        parts = [(info, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in parts:
            target.writestr(info, transform(data) if info.filename == member else data)


def set_dimension(path: Path, ref: str, member: str = "xl/worksheets/sheet1.xml") -> None:
    """Make the sheet claim a different dimension than its data."""

    def transform(data: bytes) -> bytes:
        new, count = re.subn(
            rb'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>'.encode(), data
        )
        assert count == 1
        return new

    rewrite_member(path, member, transform)

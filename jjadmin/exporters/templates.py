"""Empty import templates: header row, text-formatted code columns, drop-downs, 说明 sheet."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jjadmin.errors import InputRejected
from jjadmin.exporters.cells import safe_cell
from jjadmin.exporters.tabular import display_width, sheet_title

__all__ = ["TEMPLATE_ROWS", "TemplateColumn", "write_template"]

# Rows 2..TEMPLATE_ROWS get the text format and the drop-down validation.
TEMPLATE_ROWS = 5000
LISTS_SHEET = "_lists"
NOTES_SHEET = "说明"
# Excel refuses an inline list validation longer than 255 characters.
INLINE_LIST_LIMIT = 255

RED = "FFC00000"


@dataclass(frozen=True)
class TemplateColumn:
    """One template column; `text` keeps leading zeros, `choices` becomes a drop-down."""

    header: str
    required: bool = False
    text: bool = False
    choices: Sequence[str] = ()
    comment: str | None = None
    width: int | None = None


def _inline_list(choices: Sequence[str]) -> str | None:
    if any("," in c or '"' in c for c in choices):
        return None
    joined = ",".join(choices)
    if len(joined) > INLINE_LIST_LIMIT:
        return None
    return f'"{joined}"'


def write_template(
    path: Path,
    columns: Sequence[TemplateColumn],
    *,
    notes: Sequence[str],
    title: str | None = None,
) -> None:
    """Write the empty import template for one area (`jjadmin <area> template FILE.xlsx`).

    Raises:
        InputRejected: the file cannot be written.
    """
    path = Path(path)
    if path.suffix.lower() == ".csv":
        _write_csv_template(path, columns)
        return
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = sheet_title(title)
    if sheet.title == NOTES_SHEET:
        sheet.title = f"{NOTES_SHEET}1"
    _write_header_sheet(workbook, sheet, columns)
    _write_notes_sheet(workbook, columns, notes)
    workbook.active = 0
    try:
        workbook.save(path)
    except OSError as exc:
        raise InputRejected(f"无法写入文件 {path}：{exc.strerror or exc}") from exc


def _write_csv_template(path: Path, columns: Sequence[TemplateColumn]) -> None:
    """`template x.csv`: the header row alone, UTF-8 with BOM (Excel opens it as Chinese);
    a CSV has no drop-downs or notes — the .xlsx template has them."""
    import csv

    try:
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            csv.writer(handle).writerow([safe_cell(c.header) for c in columns])
    except OSError as exc:
        raise InputRejected(f"无法写入文件 {path}：{exc.strerror or exc}") from exc


def _write_header_sheet(workbook: Any, sheet: Any, columns: Sequence[TemplateColumn]) -> None:
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    header_fill = PatternFill("solid", fgColor="FFF2F2F2")
    list_column = 0
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        cell = sheet.cell(row=1, column=index, value=safe_cell(column.header))
        cell.data_type = "s"
        cell.font = Font(bold=True, color=RED) if column.required else Font(bold=True)
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal="center", vertical="center")
        if column.comment:
            cell.comment = Comment(column.comment, "jjadmin", width=240, height=100)
        width = column.width or min(max(display_width(column.header) + 4, 10), 60)
        sheet.column_dimensions[letter].width = width
        if column.text:
            sheet.column_dimensions[letter].number_format = "@"
            for row in range(2, TEMPLATE_ROWS + 1):
                sheet.cell(row=row, column=index).number_format = "@"
        if column.choices:
            formula = _inline_list(column.choices)
            if formula is None:
                list_column += 1
                formula = _write_list(workbook, list_column, column.choices)
            validation = DataValidation(
                type="list",
                formula1=formula,
                allow_blank=not column.required,
                showDropDown=False,
                showErrorMessage=True,
                errorTitle="取值无效",
                error=f"“{column.header}”请从下拉列表中选择",
            )
            validation.add(f"{letter}2:{letter}{TEMPLATE_ROWS}")
            sheet.add_data_validation(validation)
    sheet.freeze_panes = "A2"


def _write_list(workbook: Any, list_column: int, choices: Sequence[str]) -> str:
    from openpyxl.utils import get_column_letter

    if LISTS_SHEET in workbook.sheetnames:
        lists = workbook[LISTS_SHEET]
    else:
        lists = workbook.create_sheet(LISTS_SHEET)
        lists.sheet_state = "hidden"
    for row, choice in enumerate(choices, start=1):
        cell = lists.cell(row=row, column=list_column, value=safe_cell(choice))
        cell.data_type = "s"
    letter = get_column_letter(list_column)
    return f"'{LISTS_SHEET}'!${letter}$1:${letter}${len(choices)}"


def _write_notes_sheet(
    workbook: Any, columns: Sequence[TemplateColumn], notes: Sequence[str]
) -> None:
    from openpyxl.styles import Alignment, Font

    sheet = workbook.create_sheet(NOTES_SHEET, index=1)
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    row = 1
    for note in notes:
        sheet.cell(row=row, column=1, value=safe_cell(note)).data_type = "s"
        row += 1
    row += 1
    for col, title in enumerate(("列名", "是否必填", "说明/取值"), start=1):
        sheet.cell(row=row, column=col, value=title).font = bold
    for column in columns:
        row += 1
        parts = [column.comment] if column.comment else []
        if column.text:
            parts.append("文本格式（请勿改为数字，以免丢失前导 0）")
        if column.choices:
            parts.append("取值：" + "、".join(column.choices))
        sheet.cell(row=row, column=1, value=safe_cell(column.header)).data_type = "s"
        required = sheet.cell(row=row, column=2, value="是" if column.required else "否")
        if column.required:
            required.font = Font(color=RED)
        detail = sheet.cell(row=row, column=3, value=safe_cell("；".join(parts)))
        detail.data_type = "s"
        detail.alignment = wrap
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 10
    sheet.column_dimensions["C"].width = 80

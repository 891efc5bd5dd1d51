"""The `--errors-to` workbook: rejected rows only, bad cells red with comments (SPEC §5).

The columns are exactly the source file's columns plus 错误说明, every cell written as text,
so that the user can fix the cells and import this very file again (the importer ignores
错误说明 as an unknown column).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jjadmin.errors import InputRejected
from jjadmin.exporters.cells import as_text, safe_cell
from jjadmin.exporters.tabular import display_width
from jjadmin.services.results import RowIssue

__all__ = ["ERROR_COLUMN", "ERROR_FILL", "write_error_workbook"]

ERROR_COLUMN = "错误说明"
ERROR_FILL = "FFC7CE"
SHEET_TITLE = "错误数据"

ErrorRow = tuple[int, Sequence[object], Sequence[RowIssue]]


def _describe(issues: Sequence[RowIssue]) -> str:
    return "；".join(f"{i.column}：{i.message}" if i.column else i.message for i in issues)


def write_error_workbook(path: Path, headers: Sequence[str], rows: Sequence[ErrorRow]) -> int:
    """Write (row number, source cells in file order, issues) triples; return rows written.

    A source column already named 错误说明 (a re-imported error workbook) is replaced.

    Raises:
        InputRejected: the file cannot be written.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    path = Path(path)
    keep = [i for i, h in enumerate(headers) if h != ERROR_COLUMN]
    kept_headers = [headers[i] for i in keep]
    position = {h: n for n, h in reversed(list(enumerate(kept_headers)))}

    workbook = Workbook(write_only=True)
    sheet: Any = workbook.create_sheet(SHEET_TITLE)
    _set_widths(sheet, kept_headers)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor=ERROR_FILL)
    sheet.append(
        [_cell(sheet, h, font=bold) for h in kept_headers]
        + [_cell(sheet, ERROR_COLUMN, font=Font(bold=True, color="FFC00000"))]
    )
    for _number, values, issues in rows:
        marked = _issues_by_column(issues, position)
        out: list[Any] = []
        for n, index in enumerate(keep):
            value = values[index] if index < len(values) else None
            messages = marked.get(n)
            out.append(
                _cell(
                    sheet,
                    as_text(value),
                    text=True,
                    fill=fill if messages else None,
                    comment="\n".join(messages) if messages else None,
                )
            )
        out.append(_cell(sheet, _describe(issues), text=True))
        sheet.append(out)
    try:
        workbook.save(path)
    except OSError as exc:
        raise InputRejected(f"无法写入文件 {path}：{exc.strerror or exc}") from exc
    return len(rows)


def _issues_by_column(issues: Sequence[RowIssue], position: dict[str, int]) -> dict[int, list[str]]:
    marked: dict[int, list[str]] = {}
    for issue in issues:
        # Schema issues name a column that has no cell in a data row.
        if issue.category == "schema" or issue.column is None:
            continue
        index = position.get(issue.column)
        if index is not None:
            marked.setdefault(index, []).append(issue.message)
    return marked


def _cell(
    sheet: Any,
    value: str | None,
    *,
    text: bool = False,
    font: Any = None,
    fill: Any = None,
    comment: str | None = None,
) -> Any:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.comments import Comment

    cell = WriteOnlyCell(sheet, value=safe_cell(value))
    if value is not None:
        cell.data_type = "s"
    if text:
        cell.number_format = "@"
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    if comment:
        cell.comment = Comment(comment, "jjadmin", width=240, height=80)
    return cell


def _set_widths(sheet: Any, headers: Sequence[str]) -> None:
    from openpyxl.utils import get_column_letter

    for index, header in enumerate(headers, start=1):
        width = min(max(display_width(header) + 4, 12), 40)
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.column_dimensions[get_column_letter(len(headers) + 1)].width = 60

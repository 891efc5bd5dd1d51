"""Statistics workbooks: the data table plus a native Excel bar chart (XlsxWriter)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from jjadmin.errors import InputRejected
from jjadmin.exporters.cells import XLSXWRITER_OPTIONS, as_text, safe_cell
from jjadmin.exporters.tabular import ExportColumn, display_width, sheet_title

__all__ = ["CHART_MAX_BARS", "write_chart_workbook"]

# A bar chart with thousands of categories is unreadable: chart the first rows (the caller
# sorts them, largest first); the table keeps every row.
CHART_MAX_BARS = 50
BAR_HEIGHT_PX = 22


def write_chart_workbook(
    path: Path,
    columns: Sequence[ExportColumn],
    rows: Sequence[Mapping[str, object]],
    *,
    category_key: str,
    value_keys: Sequence[str],
    title: str,
    sheet_name: str = "统计",
) -> int:
    """Write `rows` as a table and a bar chart of `value_keys` per `category_key`.

    Returns the number of data rows. Raises InputRejected (not .xlsx, or not writable).
    """
    import xlsxwriter
    from xlsxwriter.exceptions import FileCreateError

    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise InputRejected(f"统计图只能导出为 .xlsx 文件：{path.name}")
    keys = [c.key for c in columns]
    missing = [k for k in (category_key, *value_keys) if k not in keys]
    if missing:
        raise ValueError(f"chart keys not among the columns: {missing}")
    workbook = xlsxwriter.Workbook(str(path), {"remove_timezone": True, **XLSXWRITER_OPTIONS})
    try:
        sheet = workbook.add_worksheet(sheet_title(sheet_name))
        name = sheet.get_name()
        header = workbook.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1})
        text = workbook.add_format({"num_format": "@"})
        money = workbook.add_format({"num_format": "#,##0.00"})
        for index, column in enumerate(columns):
            width = column.width or min(max(display_width(column.header) + 4, 10), 40)
            sheet.set_column(index, index, width, text if column.text else None)
            sheet.write_string(0, index, str(safe_cell(column.header)), header)
        for r, row in enumerate(rows, start=1):
            for c, column in enumerate(columns):
                _write(sheet, r, c, row.get(column.key), column, text, money)
        if columns:
            sheet.freeze_panes(1, 0)
        if rows:
            bars = min(len(rows), CHART_MAX_BARS)
            chart = workbook.add_chart({"type": "bar"})
            cat = keys.index(category_key)
            for key in value_keys:
                v = keys.index(key)
                chart.add_series(
                    {
                        "name": [name, 0, v],
                        "categories": [name, 1, cat, bars, cat],
                        "values": [name, 1, v, bars, v],
                        "data_labels": {"value": True},
                    }
                )
            shown = title if bars == len(rows) else f"{title}（前 {bars} 项）"
            chart.set_title({"name": shown})
            chart.set_y_axis({"reverse": True})  # largest first, top to bottom
            chart.set_legend({"position": "bottom"})
            chart.set_size({"width": 720, "height": max(320, 80 + bars * BAR_HEIGHT_PX)})
            sheet.insert_chart(1, len(columns) + 1, chart)
    finally:
        try:
            workbook.close()
        except FileCreateError as exc:
            raise InputRejected(f"无法写入文件 {path}：{exc}") from exc
    return len(rows)


def _write(
    ws: Any, r: int, c: int, value: object, column: ExportColumn, text: Any, money: Any
) -> None:
    if value is None:
        return
    if column.text:
        ws.write_string(r, c, str(safe_cell(as_text(value) or "")), text)
    elif column.money:
        ws.write_number(r, c, float(str(value)), money)
    elif isinstance(value, bool):
        ws.write_boolean(r, c, value)
    elif isinstance(value, int | float):
        ws.write_number(r, c, value)
    else:
        ws.write_string(r, c, str(safe_cell(as_text(value) or "")))

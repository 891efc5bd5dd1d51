"""A lean streaming .xlsx writer for large exports (SPEC §5: 100,000 rows in seconds).

XlsxWriter spends ~40 µs per cell in Python; a roster export has 1.4 million cells. This
writer streams the worksheet XML straight into the zip (inline strings, one style table),
about ten times faster, with the same guarantees as `tabular.write_table`: every text cell is
a string (never a formula, number or link) and neutralised with `safe_cell`; text columns
keep leading zeros; dates are real dates.
"""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from jjadmin.errors import InputRejected
from jjadmin.exporters.cells import as_text, safe_cell
from jjadmin.exporters.tabular import (
    XLSX_MAX_DATA_ROWS,
    ExportColumn,
    ExportFormat,
    Row,
    display_width,
    sheet_title,
    write_table,
)

__all__ = ["column_letter", "string_cell", "write_rows", "write_xlsx_stream"]

_EPOCH = datetime(1899, 12, 30)
_FLUSH_ROWS = 2000
# Characters XML 1.0 cannot hold; Excel's own escape for them is _xHHHH_.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# style ids in _STYLES: 0 plain, 1 header, 2 text, 3 date, 4 datetime, 5 money
_HEADER, _TEXT, _DATE, _DATETIME, _MONEY = 1, 2, 3, 4, 5


def write_rows(
    path: Path,
    columns: Sequence[ExportColumn],
    rows: Iterable[Row],
    *,
    fmt: ExportFormat | None = None,
    sheet_name: str = "Sheet1",
) -> int:
    """Like `tabular.write_table` (same formats and rules), with the fast xlsx writer.

    Raises InputRejected: unknown format, unwritable path, too many rows for a sheet.
    """
    path = Path(path)
    kind = fmt or ("csv" if path.suffix.lower() == ".csv" else None)
    if kind == "csv" or (kind is None and path.suffix.lower() != ".xlsx"):
        return write_table(path, columns, rows, fmt=fmt, sheet_name=sheet_name)
    return write_xlsx_stream(path, columns, rows, sheet_name=sheet_name)


def write_xlsx_stream(
    path: Path,
    columns: Sequence[ExportColumn],
    rows: Iterable[Row],
    *,
    sheet_name: str = "Sheet1",
) -> int:
    """Write one sheet (header row, then `rows`); return the number of data rows.

    Raises InputRejected: the file cannot be written or the rows do not fit in a sheet.
    """
    path = Path(path)
    letters = [column_letter(i) for i in range(len(columns))]
    count = 0
    try:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
            for name, text in _package_parts(sheet_title(sheet_name)).items():
                archive.writestr(name, text)
            with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
                sheet.write(_sheet_head(columns).encode("utf-8"))
                buffer: list[str] = []
                for row in rows:
                    count += 1
                    if count > XLSX_MAX_DATA_ROWS:
                        raise InputRejected(
                            f"导出行数超过 xlsx 上限 {XLSX_MAX_DATA_ROWS} 行，请改用 --format csv"
                        )
                    buffer.append(_row_xml(count + 1, _values(row, columns), columns, letters))
                    if len(buffer) >= _FLUSH_ROWS:
                        sheet.write("".join(buffer).encode("utf-8"))
                        buffer.clear()
                sheet.write("".join(buffer).encode("utf-8"))
                last = f"{letters[-1]}{count + 1}" if columns else "A1"
                tail = "</sheetData>"
                if columns:
                    tail += f'<autoFilter ref="A1:{last}"/>'
                sheet.write((tail + "</worksheet>").encode("utf-8"))
    except OSError as exc:
        path.unlink(missing_ok=True)
        raise InputRejected(f"无法写入文件 {path}：{exc.strerror or exc}") from exc
    except InputRejected:
        path.unlink(missing_ok=True)
        raise
    return count


def _values(row: Row, columns: Sequence[ExportColumn]) -> Sequence[object]:
    if isinstance(row, Mapping):
        return [row.get(c.key) for c in columns]
    values = list(row)  # type: ignore[arg-type]
    if len(values) < len(columns):
        values.extend([None] * (len(columns) - len(values)))
    return values


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _text(value: str) -> str:
    value = str(safe_cell(value))
    printable = value.isprintable()
    if not printable:
        value = _ILLEGAL.sub(lambda m: f"_x{ord(m.group()):04X}_", value)
    if "&" in value or "<" in value or ">" in value:
        value = escape(value)
    if not printable and "\r" in value:
        value = value.replace("\r", "&#13;")  # a literal CR would be read back as LF
    return value


def string_cell(ref: str, value: str, style: int) -> str:
    text = _text(value)
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    s = f' s="{style}"' if style else ""
    return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _serial(value: date | datetime) -> float:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.replace(tzinfo=None)
        delta = value - _EPOCH
        return delta.days + delta.seconds / 86400 + delta.microseconds / 86_400_000_000
    return float((value - _EPOCH.date()).days)


def _cell(ref: str, value: object, column: ExportColumn) -> str:
    if column.text:
        return string_cell(ref, as_text(value) or "", _TEXT)
    if isinstance(value, str):
        return string_cell(ref, value, 0)
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float | Decimal):
        number = float(value)
        if not math.isfinite(number):
            return string_cell(ref, str(value), 0)
        s = f' s="{_MONEY}"' if column.money else ""
        return f'<c r="{ref}"{s}><v>{number!r}</v></c>'
    if isinstance(value, datetime):
        return f'<c r="{ref}" s="{_DATETIME}"><v>{_serial(value)!r}</v></c>'
    if isinstance(value, date):
        return f'<c r="{ref}" s="{_DATE}"><v>{_serial(value)!r}</v></c>'
    if isinstance(value, time):
        return string_cell(ref, value.isoformat(), 0)
    return string_cell(ref, as_text(value) or "", 0)


def _row_xml(
    number: int, values: Sequence[object], columns: Sequence[ExportColumn], letters: list[str]
) -> str:
    cells = [
        _cell(f"{letter}{number}", value, column)
        for letter, value, column in zip(letters, values, columns, strict=False)
        if value is not None
    ]
    return f'<row r="{number}">{"".join(cells)}</row>'


def _col_xml(index: int, column: ExportColumn) -> str:
    width = column.width or min(max(display_width(column.header) + 4, 10), 60)
    style = f' style="{_TEXT}"' if column.text else ""
    return f'<col min="{index}" max="{index}" width="{width}"{style} customWidth="1"/>'


def _sheet_head(columns: Sequence[ExportColumn]) -> str:
    cols = "".join(_col_xml(i, c) for i, c in enumerate(columns, start=1))
    header = "".join(
        string_cell(f"{column_letter(i)}1", c.header, _HEADER) for i, c in enumerate(columns)
    )
    pane = (
        '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
        'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f"{pane}"
        + (f"<cols>{cols}</cols>" if columns else "")
        + f'<sheetData><row r="1">{header}</row>'
    )


_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFF2F2F2"/>'
    '<bgColor indexed="64"/></patternFill></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="6">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"/>'
    '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def _package_parts(title: str) -> dict[str, str]:
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006"
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    return {
        "[Content_Types].xml": head + f'<Types xmlns="{pkg}/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{ct}.worksheet+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{ct}.styles+xml"/></Types>',
        "_rels/.rels": head + f'<Relationships xmlns="{pkg}/relationships">'
        f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>",
        "xl/workbook.xml": head
        + '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'xmlns:r="{rel}"><sheets><sheet name={quoteattr(title)} sheetId="1" r:id="rId1"/>'
        "</sheets></workbook>",
        "xl/_rels/workbook.xml.rels": head + f'<Relationships xmlns="{pkg}/relationships">'
        f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{rel}/styles" Target="styles.xml"/>'
        "</Relationships>",
        "xl/styles.xml": _STYLES,
    }

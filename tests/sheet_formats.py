"""Build .xls (xlwt, BIFF8) and .ods (a hand-written package) files inside tests, the same
rows as `make_xlsx` takes: str (a leading "=" makes a formula), int, float, bool, date,
datetime, None. Also the crafted containers the readers must refuse."""

from __future__ import annotations

import random
import zipfile
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import xlwt

Rows = Sequence[Sequence[Any]]


def make_xls(
    path: Path,
    rows: Rows,
    *,
    sheet_title: str = "Sheet1",
    hidden_first: bool = False,
    title_row: str | None = None,
    extra_sheets: dict[str, Rows] | None = None,
) -> Path:
    """`rows` (header first) as an Excel 97–2003 workbook; options as `make_xlsx`'s."""
    book = xlwt.Workbook(encoding="utf-8")
    if hidden_first:
        decoy = book.add_sheet("隐藏")
        _xls_rows(decoy, [["学号", "姓名"], ["decoy", "不应读取"]])
        decoy.visibility = 1
    sheet = book.add_sheet(sheet_title)
    body = list(rows)
    if title_row is not None:
        body = [[title_row], [], *body]
    _xls_rows(sheet, body)
    for title, extra in (extra_sheets or {}).items():
        _xls_rows(book.add_sheet(title), extra)
    book.save(str(path))
    return path


_DATE = xlwt.easyxf(num_format_str="YYYY-MM-DD")
_DATETIME = xlwt.easyxf(num_format_str="YYYY-MM-DD HH:MM:SS")


def _xls_rows(sheet: Any, rows: Rows) -> None:
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, str) and value.startswith("="):
                sheet.write(r, c, xlwt.Formula(value[1:]))
            elif isinstance(value, datetime):
                sheet.write(r, c, value, _DATETIME)
            elif isinstance(value, date):
                sheet.write(r, c, value, _DATE)
            else:
                sheet.write(r, c, value)


_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2"'
)
ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"


def make_ods(
    path: Path,
    rows: Rows,
    *,
    sheet_title: str = "Sheet1",
    hidden_first: bool = False,
    title_row: str | None = None,
    extra_sheets: dict[str, Rows] | None = None,
    tail_xml: str = "",
    manifest_extra: str = "",
) -> Path:
    """`rows` (header first) as an OpenDocument spreadsheet; `tail_xml` is raw row XML put
    after the rows of the data sheet (crafted repeats)."""
    tables = []
    if hidden_first:
        tables.append(_ods_table("隐藏", [["学号", "姓名"], ["decoy", "不应读取"]], hidden=True))
    body = list(rows)
    if title_row is not None:
        body = [[title_row], [], *body]
    tables.append(_ods_table(sheet_title, body, tail=tail_xml))
    for title, extra in (extra_sheets or {}).items():
        tables.append(_ods_table(title, extra))
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<office:document-content {_NS} office:version="1.2">'
        '<office:automatic-styles><style:style style:name="ta-hidden" style:family="table">'
        '<style:table-properties table:display="false"/></style:style></office:automatic-styles>'
        f"<office:body><office:spreadsheet>{''.join(tables)}</office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    write_ods_package(path, content.encode(), manifest_extra=manifest_extra)
    return path


def write_ods_package(path: Path, content: bytes, *, manifest_extra: str = "") -> None:
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
        f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{ODS_MIMETYPE}"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">'
        f"{manifest_extra}</manifest:file-entry></manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), ODS_MIMETYPE)  # stored, first
        zf.writestr("content.xml", content)
        zf.writestr("META-INF/manifest.xml", manifest)


def _ods_table(title: str, rows: Rows, *, hidden: bool = False, tail: str = "") -> str:
    style = ' table:style-name="ta-hidden"' if hidden else ""
    out = [f"<table:table table:name={quoteattr(title)}{style}>"]
    for row in rows:
        out.append("<table:table-row>")
        out.extend(_ods_cell(v) for v in row)
        out.append("</table:table-row>")
    out.append(tail)
    out.append("</table:table>")
    return "".join(out)


def _ods_cell(value: Any) -> str:
    if value is None:
        return "<table:table-cell/>"
    if isinstance(value, str) and value.startswith("="):
        return (
            f"<table:table-cell table:formula={quoteattr('of:' + value)} "
            'office:value-type="float" office:value="0"><text:p>0</text:p></table:table-cell>'
        )
    if isinstance(value, bool):
        flag = "true" if value else "false"
        return (
            f'<table:table-cell office:value-type="boolean" office:boolean-value="{flag}">'
            f"<text:p>{flag.upper()}</text:p></table:table-cell>"
        )
    if isinstance(value, int | float):
        return (
            f'<table:table-cell office:value-type="float" office:value="{value}">'
            f"<text:p>{value}</text:p></table:table-cell>"
        )
    if isinstance(value, datetime | date):
        return (
            f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}">'
            f"<text:p>{value.isoformat()}</text:p></table:table-cell>"
        )
    return (
        f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p>'
        "</table:table-cell>"
    )


def rename_ole2_stream(path: Path, old: str, new: str) -> None:
    """Rename a directory entry of an OLE2 file in place (names are UTF-16LE, 64 bytes)."""
    data = bytearray(path.read_bytes())
    needle = old.encode("utf-16-le") + b"\x00\x00"
    at = data.index(needle)
    entry = new.encode("utf-16-le") + b"\x00\x00"
    assert len(entry) <= 64
    data[at : at + 64] = entry.ljust(64, b"\x00")
    data[at + 64 : at + 66] = len(entry).to_bytes(2, "little")
    path.write_bytes(bytes(data))


def mark_xls_encrypted(path: Path) -> None:
    """Turn the workbook's WRITEACCESS record into a FILEPASS one (what an .xls with an
    open password carries before anything else)."""
    data = bytearray(path.read_bytes())
    at = data.index(b"\x5c\x00\x70\x00")  # WRITEACCESS, 112 bytes
    data[at : at + 2] = b"\x2f\x00"
    path.write_bytes(bytes(data))


def fuzzed(data: bytes, seed: int, flips: int = 40) -> bytes:
    """`data` with `flips` random bytes replaced (after the 8-byte signature)."""
    rng = random.Random(seed)
    out = bytearray(data)
    for _ in range(flips):
        out[rng.randrange(8, len(out))] = rng.randrange(256)
    return bytes(out)

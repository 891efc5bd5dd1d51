"""The `--errors-to` workbook: rejected rows only, bad cells red with comments (SPEC §5).

The columns are exactly the source file's columns plus 错误说明, every cell written as text,
so that the user can fix the cells and import this very file again (the importer ignores
错误说明 as an unknown column).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from jjadmin.errors import InputRejected
from jjadmin.exporters.cells import as_text
from jjadmin.exporters.tabular import display_width
from jjadmin.exporters.xlsx_stream import column_letter, string_cell
from jjadmin.services.results import RowIssue

__all__ = ["ERROR_COLUMN", "ERROR_FILL", "write_error_workbook"]

ERROR_COLUMN = "错误说明"
ERROR_FILL = "FFC7CE"
SHEET_TITLE = "错误数据"

ErrorRow = tuple[int, Sequence[object], Sequence[RowIssue]]


def _describe(issues: Sequence[RowIssue]) -> str:
    return "；".join(f"{i.column}：{i.message}" if i.column else i.message for i in issues)


def write_error_workbook(path: Path, headers: Sequence[str], rows: Iterable[ErrorRow]) -> int:
    """Write (row number, source cells in file order, issues) triples; return rows written.

    A source column already named 错误说明 (a re-imported error workbook) is replaced. The
    sheet XML is streamed into the package (see `exporters.xlsx_stream`): an all-or-nothing
    refusal of a 500,000-row sheet writes every row, so no cell object is built.

    Raises:
        InputRejected: the file cannot be written.
    """
    path = Path(path)
    keep = [i for i, h in enumerate(headers) if h != ERROR_COLUMN]
    kept_headers = [headers[i] for i in keep]
    position = {h: n for n, h in reversed(list(enumerate(kept_headers)))}
    letters = [column_letter(i) for i in range(len(kept_headers) + 1)]
    width = len(keep)
    plain = keep == list(range(width))
    comments: list[tuple[int, int, str]] = []
    count = 0
    try:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
            with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
                sheet.write(_sheet_head(kept_headers, letters).encode("utf-8"))
                buffer: list[str] = []
                for _number, values, issues in rows:
                    count += 1
                    number = count + 1
                    if plain and len(values) == width:
                        cells = list(values)
                    else:
                        cells = [values[i] if i < len(values) else None for i in keep]
                    marked = _issues_by_column(issues, position) if issues else None
                    buffer.append(_row_xml(number, cells, letters, marked, _describe(issues)))
                    if marked:
                        comments.extend((number, n, "\n".join(m)) for n, m in marked.items())
                    if len(buffer) >= _FLUSH_ROWS:
                        sheet.write("".join(buffer).encode("utf-8"))
                        buffer.clear()
                buffer.append("</sheetData>")
                if comments:
                    buffer.append('<legacyDrawing r:id="rId2"/>')
                buffer.append("</worksheet>")
                sheet.write("".join(buffer).encode("utf-8"))
            for name, text in _package_parts(bool(comments)).items():
                archive.writestr(name, text)
            if comments:
                archive.writestr("xl/comments1.xml", _comments_xml(comments, letters))
                archive.writestr("xl/drawings/vmlDrawing1.vml", _vml(comments))
    except OSError as exc:
        path.unlink(missing_ok=True)
        raise InputRejected(f"无法写入文件 {path}：{exc.strerror or exc}") from exc
    return count


def _row_xml(
    number: int,
    cells: Sequence[object],
    letters: list[str],
    marked: dict[int, list[str]] | None,
    description: str,
) -> str:
    out = []
    for n, value in enumerate(cells):
        style = _BAD if marked and n in marked else _TEXT
        ref = f"{letters[n]}{number}"
        text = as_text(value)
        if text is None or text == "":
            out.append(f'<c r="{ref}" s="{style}"/>')
        else:
            out.append(string_cell(ref, text, style))
    ref = f"{letters[len(cells)]}{number}"
    out.append(
        string_cell(ref, description, _TEXT) if description else f'<c r="{ref}" s="{_TEXT}"/>'
    )
    return f'<row r="{number}">{"".join(out)}</row>'


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


def _sheet_head(headers: Sequence[str], letters: list[str]) -> str:
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{min(max(display_width(h) + 4, 12), 40)}" '
        f'style="{_TEXT}" customWidth="1"/>'
        for i, h in enumerate(headers, start=1)
    )
    last = len(headers) + 1
    cols += f'<col min="{last}" max="{last}" width="60" style="{_TEXT}" customWidth="1"/>'
    header = "".join(string_cell(f"{letters[i]}1", h, _HEADER) for i, h in enumerate(headers))
    header += string_cell(f"{letters[len(headers)]}1", ERROR_COLUMN, _ERROR_HEADER)
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">'
        '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
        'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
        f'<cols>{cols}</cols><sheetData><row r="1">{header}</row>'
    )


def _comments_xml(comments: list[tuple[int, int, str]], letters: list[str]) -> str:
    body = "".join(
        f'<comment ref="{letters[col]}{row}" authorId="0"><text><t xml:space="preserve">'
        f"{escape(text)}</t></text></comment>"
        for row, col, text in comments
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<comments xmlns="{_MAIN}"><authors><author>jjadmin</author></authors>'
        f"<commentList>{body}</commentList></comments>"
    )


def _vml(comments: list[tuple[int, int, str]]) -> str:
    """The legacy drawing Excel needs to show the comments (one hidden note per comment)."""
    shapes = "".join(
        f'<v:shape id="_x0000_s{1025 + i}" type="#_x0000_t202" style="position:absolute;'
        "margin-left:59.25pt;margin-top:1.5pt;width:240px;height:80px;z-index:1;"
        'visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto">'
        '<v:fill color2="#ffffe1"/><v:shadow color="black" obscured="t"/>'
        '<v:path o:connecttype="none"/><v:textbox style="mso-direction-alt:auto">'
        '<div style="text-align:left"/></v:textbox><x:ClientData ObjectType="Note">'
        "<x:MoveWithCells/><x:SizeWithCells/><x:AutoFill>False</x:AutoFill>"
        f"<x:Row>{row - 1}</x:Row><x:Column>{col}</x:Column></x:ClientData></v:shape>"
        for i, (row, col, _text) in enumerate(comments)
    )
    return (
        '<xml xmlns:v="urn:schemas-microsoft-com:vml" '
        'xmlns:o="urn:schemas-microsoft-com:office:office" '
        'xmlns:x="urn:schemas-microsoft-com:office:excel">'
        '<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="1"/></o:shapelayout>'
        '<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" '
        'path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/>'
        '<v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
        f"{shapes}</xml>"
    )


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_FLUSH_ROWS = 2000
# cellXfs below: 0 plain, 1 header, 2 text, 3 text on red (a bad cell), 4 the 错误说明 header
_HEADER, _TEXT, _BAD, _ERROR_HEADER = 1, 2, 3, 4
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<styleSheet xmlns="{_MAIN}">'
    '<fonts count="3"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><color rgb="FFC00000"/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill>'
    f'<fill><patternFill patternType="solid"><fgColor rgb="FF{ERROR_FILL}"/>'
    '<bgColor indexed="64"/></patternFill></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="5">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="49" fontId="0" fillId="2" borderId="0" xfId="0" applyNumberFormat="1" '
    'applyFill="1"/>'
    '<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def _package_parts(with_comments: bool) -> dict[str, str]:
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    overrides = (
        f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CT}.worksheet+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/>'
    )
    parts = {
        "_rels/.rels": head + f'<Relationships xmlns="{_PKG}/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>",
        "xl/workbook.xml": head + f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
        f'<sheet name={quoteattr(SHEET_TITLE)} sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": head + f'<Relationships xmlns="{_PKG}/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/>'
        "</Relationships>",
        "xl/styles.xml": _STYLES,
    }
    vml = ""
    if with_comments:
        overrides += f'<Override PartName="/xl/comments1.xml" ContentType="{_CT}.comments+xml"/>'
        vml = (
            '<Default Extension="vml" '
            'ContentType="application/vnd.openxmlformats-officedocument.vmlDrawing"/>'
        )
        parts["xl/worksheets/_rels/sheet1.xml.rels"] = (
            head + f'<Relationships xmlns="{_PKG}/relationships">'
            f'<Relationship Id="rId1" Type="{_REL}/comments" Target="../comments1.xml"/>'
            f'<Relationship Id="rId2" Type="{_REL}/vmlDrawing" '
            'Target="../drawings/vmlDrawing1.vml"/></Relationships>'
        )
    parts["[Content_Types].xml"] = (
        head + f'<Types xmlns="{_PKG}/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        f'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>{vml}'
        f"{overrides}</Types>"
    )
    return parts

"""The calamine fast path is taken only on sheets proven safe; everything else falls back."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl

from jjadmin.importers import calamine_path
from jjadmin.importers.reader import open_table


def _book(path: Path, rows: list[list[object]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def _rewrite(path: Path, member: str, edit: object) -> None:
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    parts[member] = edit(parts[member])  # type: ignore[operator]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, data in parts.items():
            zf.writestr(n, data)


def _scan(path: Path) -> calamine_path.ScanResult:
    with zipfile.ZipFile(path) as zf:
        return calamine_path.scan_sheet(zf, "xl/worksheets/sheet1.xml")


def test_a_plain_sheet_is_safe_for_calamine(tmp_path: Path) -> None:
    path = _book(tmp_path / "a.xlsx", [["学号", "姓名"], ["44012600000001", "张三"]])
    assert _scan(path).safe


def test_a_far_away_cell_is_not_given_to_calamine_and_still_reads(tmp_path: Path) -> None:
    path = _book(tmp_path / "far.xlsx", [["学号", "姓名"], ["44012600000001", "张三"]])
    _rewrite(
        path,
        "xl/worksheets/sheet1.xml",
        lambda x: x.replace(
            b"</sheetData>",
            b'<row r="1048576"><c r="XFD1048576" t="n"><v>1</v></c></row></sheetData>',
        ),
    )
    result = _scan(path)
    assert not result.safe
    with open_table(path, header_candidates=["学号"]) as table:
        rows = list(table)
    assert rows[0].values[:2] == ("44012600000001", "张三")


def test_a_far_away_row_in_a_two_letter_column_is_refused_for_calamine(tmp_path: Path) -> None:
    path = _book(tmp_path / "far2.xlsx", [["学号"], ["1"]])
    _rewrite(
        path,
        "xl/worksheets/sheet1.xml",
        lambda x: x.replace(
            b"</sheetData>", b'<row r="900000"><c r="ZZ900000" t="n"><v>1</v></c></row></sheetData>'
        ),
    )
    assert _scan(path).reason == "far-away-row"


def test_a_billion_shared_strings_claim_is_not_given_to_calamine(tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "ss.xlsx"
    wb = xlsxwriter.Workbook(str(path))  # shared strings (not constant_memory)
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["学号", "姓名"])
    ws.write_row(1, 0, ["1", "张三"])
    wb.close()
    member = "xl/sharedStrings.xml"
    _rewrite(path, member, lambda x: re.sub(rb'uniqueCount="\d+"', b'uniqueCount="4000000000"', x))
    with zipfile.ZipFile(path) as zf:
        assert not calamine_path.shared_strings_ok(zf, member)
    with open_table(path, header_candidates=["学号"]) as table:
        assert [r.values for r in table] == [("1", "张三")]


def test_formula_and_error_cells_make_the_scan_fall_back(tmp_path: Path) -> None:
    path = _book(tmp_path / "f.xlsx", [["学号", "值"], ["1", "=1+1"]])
    assert _scan(path).reason == "formula"
    path2 = _book(tmp_path / "e.xlsx", [["学号", "值"], ["1", "x"]])
    _rewrite(
        path2,
        "xl/worksheets/sheet1.xml",
        lambda x: x.replace(
            b'<c r="B2" t="inlineStr"><is><t>x</t></is></c>', b'<c r="B2" t="e"><v>#N/A</v></c>'
        ).replace(b'<c r="B2" t="s"><v>3</v></c>', b'<c r="B2" t="e"><v>#N/A</v></c>'),
    )
    assert _scan(path2).reason == "error-cell"

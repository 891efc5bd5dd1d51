"""exporters/xlsx_stream.py (the roster export writer): valid workbooks, inert text cells."""

from __future__ import annotations

import csv
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from jjadmin.errors import InputRejected
from jjadmin.exporters import xlsx_stream
from jjadmin.exporters.tabular import ExportColumn
from jjadmin.exporters.xlsx_stream import write_rows, write_xlsx_stream

COLUMNS = [
    ExportColumn("code", "学号", text=True),
    ExportColumn("name", "姓名"),
    ExportColumn("born", "出生日期"),
    ExportColumn("at", "时间"),
    ExportColumn("fee", "金额", money=True),
    ExportColumn("n", "人数"),
    ExportColumn("ok", "通过"),
]


def test_values_come_back_with_their_types(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    rows = [
        (
            "00123",
            "张三",
            date(1990, 1, 2),
            datetime(2026, 3, 15, 10, 30),
            Decimal("12.50"),
            3,
            True,
        ),
        {"code": 4401, "name": None, "n": 2.5},
    ]
    assert write_xlsx_stream(path, COLUMNS, rows, sheet_name="教师/名单") == 2
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    assert ws is not None and ws.title == "教师名单"
    assert [c.value for c in ws[1]] == [c.header for c in COLUMNS]
    first = [c.value for c in ws[2]]
    assert first == [
        "00123",
        "张三",
        datetime(1990, 1, 2),
        datetime(2026, 3, 15, 10, 30),
        12.5,
        3,
        True,
    ]
    assert ws["A2"].number_format == "@" and ws["C2"].number_format == "yyyy-mm-dd"
    assert [c.value for c in ws[3]][:2] == ["4401", None]
    assert ws["F3"].value == 2.5
    assert ws.freeze_panes == "A2"


@pytest.mark.parametrize(
    "text", ["=1+2", "+SUM(A1)", "-3", "@cmd", "\tx", "\rx", "\nx", '=HYPERLINK("http://x")']
)
def test_text_that_looks_like_a_formula_is_written_inert(tmp_path: Path, text: str) -> None:
    path = tmp_path / "out.xlsx"
    write_xlsx_stream(path, COLUMNS[:2], [("1", text)])
    ws = openpyxl.load_workbook(path).active
    assert ws is not None
    cell = ws["B2"]
    assert cell.data_type == "s" and cell.value == "'" + text


def test_markup_control_characters_and_spaces_survive(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    write_xlsx_stream(path, COLUMNS[:2], [("1", "a<b>&c"), ("2", " 空格 "), ("3", "x\x01y")])
    ws = openpyxl.load_workbook(path).active
    assert ws is not None
    assert [ws["B2"].value, ws["B3"].value, ws["B4"].value] == ["a<b>&c", " 空格 ", "x_x0001_y"]


def test_csv_goes_through_the_tabular_writer(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    assert write_rows(path, COLUMNS[:2], [("001", "=x")]) == 1
    with path.open(encoding="utf-8-sig", newline="") as handle:
        assert list(csv.reader(handle)) == [["学号", "姓名"], ["001", "'=x"]]


def test_too_many_rows_are_refused_and_leave_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xlsx_stream, "XLSX_MAX_DATA_ROWS", 2)
    path = tmp_path / "out.xlsx"
    with pytest.raises(InputRejected, match="--format csv"):
        write_xlsx_stream(path, COLUMNS[:1], [("1",), ("2",), ("3",)])
    assert not path.exists()


def test_an_unwritable_path_is_input_rejected(tmp_path: Path) -> None:
    with pytest.raises(InputRejected, match="无法写入"):
        write_xlsx_stream(tmp_path / "missing" / "out.xlsx", COLUMNS[:1], [])

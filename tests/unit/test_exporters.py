"""exporters: formula-injection guard, tabular exports, templates and the error workbook."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from jjadmin.errors import InputRejected
from jjadmin.exporters.cells import as_text, safe_cell
from jjadmin.exporters.errors_workbook import ERROR_COLUMN, write_error_workbook
from jjadmin.exporters.tabular import ExportColumn, write_table
from jjadmin.exporters.templates import TemplateColumn, write_template
from jjadmin.importers.columns import ColumnSpec, read_rows
from jjadmin.importers.reader import open_table
from jjadmin.services.results import RowIssue
from tests.xlsx_helpers import make_xlsx

INJECTIONS = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx", "\nx", "=cmd|' /C calc'!A0"]


def all_cells(path: Path) -> list[Any]:
    wb = load_workbook(path)
    cells = [cell for ws in wb.worksheets for row in ws.iter_rows() for cell in row]
    wb.close()
    return cells


@pytest.mark.parametrize("value", INJECTIONS)
def test_text_starting_with_a_formula_character_is_neutralised(value: str) -> None:
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["张三", "1+1", "", None, 12, -5, 1.5, date(2024, 1, 1)])
def test_other_values_are_left_alone(value: object) -> None:
    assert safe_cell(value) == value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("007", "007"),
        (123.0, "123"),
        (Decimal("12.50"), "12.50"),
        (datetime(2024, 1, 2), "2024-01-02"),
        (date(2024, 1, 2), "2024-01-02"),
        (True, "TRUE"),
    ],
)
def test_as_text_renders_code_cells(value: object, expected: str | None) -> None:
    assert as_text(value) == expected


COLUMNS = [
    ExportColumn("code", "学号", text=True),
    ExportColumn("name", "姓名"),
    ExportColumn("fee", "培训费用", money=True),
    ExportColumn("hours", "学时"),
    ExportColumn("created", "建立时间"),
    ExportColumn("day", "日期"),
]


def sample_rows() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = [
        {
            "code": "00123",
            "name": "张三",
            "fee": Decimal("120.50"),
            "hours": 2.5,
            "created": datetime(2026, 3, 1, 9, 30),
            "day": date(2026, 3, 1),
        },
        {"code": 20230001.0, "name": None, "fee": 0, "hours": 3},
    ]
    rows.extend({"code": v, "name": v} for v in INJECTIONS)
    return rows


def test_xlsx_export_writes_no_formula_and_keeps_leading_zeros(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    assert write_table(path, COLUMNS, sample_rows(), sheet_name="选课") == 2 + len(INJECTIONS)
    cells = all_cells(path)
    assert cells
    assert all(cell.data_type != "f" for cell in cells)
    wb = load_workbook(path)
    ws = wb["选课"]
    assert [c.value for c in ws[1]] == [c.header for c in COLUMNS]
    assert ws["A2"].value == "00123"
    assert ws["A2"].number_format == "@"
    assert ws["A3"].value == "20230001"
    assert ws["B2"].value == "张三"
    assert ws["C2"].value == 120.5
    assert ws["C2"].number_format == "#,##0.00"
    assert ws["D2"].value == 2.5
    assert ws["E2"].value == datetime(2026, 3, 1, 9, 30)
    assert ws["F2"].value == datetime(2026, 3, 1)
    assert ws["B3"].value is None
    # XlsxWriter stores CR as _x000D_, which openpyxl does not unescape on reading.
    written = [ws.cell(row=4 + i, column=2).value for i in range(len(INJECTIONS))]
    assert [v.replace("_x000D_", "\r") for v in written] == ["'" + v for v in INJECTIONS]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:F{2 + len(INJECTIONS) + 1}"
    wb.close()


def test_sequence_rows_are_written_in_column_order(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    columns = [ExportColumn("a", "甲"), ExportColumn("b", "乙")]
    write_table(path, columns, [("x", 1), ("y",)])
    with open_table(path) as table:
        assert [r.values for r in table] == [("x", 1), ("y", None)]


def test_csv_export_has_a_bom_and_neutralised_text(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    assert write_table(path, COLUMNS, sample_rows()) == 2 + len(INJECTIONS)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == [c.header for c in COLUMNS]
    assert rows[1] == ["00123", "张三", "120.50", "2.5", "2026-03-01 09:30:00", "2026-03-01"]
    assert rows[2][:4] == ["20230001", "", "0.00", "3"]
    assert [r[1] for r in rows[3:]] == ["'" + v for v in INJECTIONS]


def test_the_format_can_be_forced_and_unknown_suffixes_are_refused(tmp_path: Path) -> None:
    write_table(tmp_path / "out.txt", COLUMNS, [], fmt="csv")
    assert (tmp_path / "out.txt").read_bytes().startswith(b"\xef\xbb\xbf")
    with pytest.raises(InputRejected, match="导出格式"):
        write_table(tmp_path / "out.pdf", COLUMNS, [])


def test_an_unwritable_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputRejected, match="无法写入文件"):
        write_table(tmp_path / "missing" / "out.csv", COLUMNS, [])
    with pytest.raises(InputRejected, match="无法写入文件"):
        write_table(tmp_path / "missing" / "out.xlsx", COLUMNS, [])


# --- templates -------------------------------------------------------------------------------

LONG_CHOICES = [f"学科名称很长的选项{i:02d}" for i in range(40)]
TEMPLATE = [
    TemplateColumn("学号", required=False, text=True),
    TemplateColumn("姓名", required=True, text=False),
    TemplateColumn("身份证号", required=True, text=True, comment="18 位，末位可为 X"),
    TemplateColumn("性别", required=False, text=False, choices=["男", "女"]),
    TemplateColumn("任教学科", required=True, text=False, choices=LONG_CHOICES),
]


def test_the_template_has_headers_text_columns_drop_downs_and_notes(tmp_path: Path) -> None:
    path = tmp_path / "teacher.xlsx"
    write_template(path, TEMPLATE, notes=["带红色表头的列为必填", "=不是公式"], title="教师")
    wb = load_workbook(path)
    assert wb.sheetnames == ["教师", "说明", "_lists"]
    ws = wb["教师"]
    assert [c.value for c in ws[1]] == [c.header for c in TEMPLATE]
    assert ws["B1"].font.color.rgb.endswith("C00000")
    assert ws["A1"].font.color is None or not ws["A1"].font.color.rgb.endswith("C00000")
    assert ws["A2"].number_format == "@"
    assert ws["C5000"].number_format == "@"
    assert ws["B2"].number_format == "General"
    assert ws["C1"].comment is not None and "18 位" in ws["C1"].comment.text
    validations = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}
    assert validations["D2:D5000"] == '"男,女"'
    assert validations["E2:E5000"] == "'_lists'!$A$1:$A$40"
    lists = wb["_lists"]
    assert lists.sheet_state == "hidden"
    assert [lists.cell(row=i, column=1).value for i in (1, 40)] == [
        LONG_CHOICES[0],
        LONG_CHOICES[-1],
    ]
    notes = wb["说明"]
    texts = [row[0] for row in notes.iter_rows(values_only=True)]
    assert texts[:2] == ["带红色表头的列为必填", "'=不是公式"]
    assert ("列名", "是否必填", "说明/取值") in list(notes.iter_rows(values_only=True))
    table = {r[0]: r for r in notes.iter_rows(min_row=5, values_only=True)}
    assert table["姓名"][1] == "是"
    assert table["性别"][2] == "取值：男、女"
    assert "18 位" in table["身份证号"][2]
    wb.close()
    assert all(cell.data_type != "f" for cell in all_cells(path))


def test_a_template_reads_back_as_a_header_only_file(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    write_template(path, TEMPLATE, notes=[])
    specs = [ColumnSpec(c.header, f"k{i}", required=c.required) for i, c in enumerate(TEMPLATE)]
    table = read_rows(path, specs)
    assert (table.rows, table.issues, table.notes) == ([], [], [])
    assert table.sheet_name == "Sheet1"


# --- error workbook --------------------------------------------------------------------------

SPECS = [
    ColumnSpec("学号", "learner_no", required=True, unique=True),
    ColumnSpec("姓名", "name", required=True),
    ColumnSpec("出生日期", "birth"),
]


def test_the_error_workbook_marks_cells_and_re_imports(tmp_path: Path) -> None:
    source = make_xlsx(
        tmp_path / "in.xlsx",
        [
            ["学号", "姓名", "备注", "出生日期"],
            ["00001", "张三", "好", datetime(1990, 1, 2)],
            [2.0, None, "=1+1", None],
            ["00001", "-王五", None, "1990-02-03"],
        ],
    )
    parsed = read_rows(source, SPECS)
    bad = [(r.row, r.raw, r.issues) for r in parsed.rows if r.issues]
    assert [b[0] for b in bad] == [3, 4]
    bad[0][2].append(RowIssue(3, None, None, "整行被拒绝：学校不存在", "state", "state"))
    out = tmp_path / "errors.xlsx"
    assert write_error_workbook(out, parsed.headers, bad) == 2

    wb = load_workbook(out)
    ws = wb.active
    assert ws is not None
    assert [c.value for c in ws[1]] == ["学号", "姓名", "备注", "出生日期", ERROR_COLUMN]
    assert [c.value for c in ws[2]] == [
        "2",
        None,
        "'=1+1",
        None,
        "姓名：必填项为空；整行被拒绝：学校不存在",
    ]
    assert ws["B2"].fill.fgColor.rgb.endswith("FFC7CE")
    assert ws["B2"].comment is not None and ws["B2"].comment.text == "必填项为空"
    assert ws["A2"].comment is None
    assert ws["A2"].number_format == "@"
    assert ws["A3"].value == "00001"
    assert ws["B3"].value == "'-王五"
    assert ws["A3"].fill.fgColor.rgb.endswith("FFC7CE")
    assert ws["E3"].value == "学号：与第 2 行重复"
    assert ws.freeze_panes == "A2"
    wb.close()
    assert all(cell.data_type != "f" for cell in all_cells(out))

    again = read_rows(out, SPECS)
    assert again.notes == ["已忽略未知列：备注、错误说明"]
    assert [(r.row, r.values) for r in again.rows] == [
        (2, {"learner_no": "2", "name": None, "birth": None}),
        (3, {"learner_no": "00001", "name": "-王五", "birth": "1990-02-03"}),
    ]
    assert [i.code for i in again.issues] == ["required"]


def test_an_existing_error_column_is_replaced_not_repeated(tmp_path: Path) -> None:
    out = tmp_path / "errors.xlsx"
    issue = RowIssue(2, "姓名", None, "必填项为空", "required")
    write_error_workbook(out, ["学号", "错误说明", "姓名"], [(2, ["1", "旧", None], [issue])])
    with open_table(out) as table:
        assert table.headers == ["学号", "姓名", ERROR_COLUMN]
        assert [r.values for r in table] == [("1", None, "姓名：必填项为空")]


def test_a_schema_issue_has_no_cell(tmp_path: Path) -> None:
    out = tmp_path / "errors.xlsx"
    issue = RowIssue(1, "姓名", None, "缺少必填列“姓名”", "missing-column", "schema")
    write_error_workbook(out, ["学号", "姓名"], [(2, ["1", "x"], [issue])])
    wb = load_workbook(out)
    ws = wb.active
    assert ws is not None
    assert ws["B2"].comment is None
    assert ws["C2"].value == "姓名：缺少必填列“姓名”"
    wb.close()

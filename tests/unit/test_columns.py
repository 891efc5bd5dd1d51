"""importers.columns: header mapping, per-cell parsing and in-file duplicates."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from jjadmin.errors import InvalidValue
from jjadmin.importers.columns import ColumnSpec, ParsedTable, cell_text, read_rows
from tests.xlsx_helpers import make_xlsx


def parse_hours(value: object) -> float:
    try:
        hours = float(str(value))
    except ValueError:
        raise InvalidValue("学时必须是数字", code="bad-hours") from None
    if hours < 0:
        raise InvalidValue("学时不能为负数", code="bad-hours")
    return hours


def parse_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidValue("日期格式应为 YYYY-MM-DD", code="bad-date") from None


def buggy(value: object) -> object:
    raise ZeroDivisionError("boom")


SPECS = [
    ColumnSpec("学号", "learner_no", unique=True),
    ColumnSpec("姓名", "name", required=True),
    ColumnSpec("身份证号", "id_number", required=True, unique=True, aliases=("证件号码",)),
    ColumnSpec("出生日期", "birth_date", parse=parse_date),
    ColumnSpec("学时", "hours", parse=parse_hours),
]
HEADERS = ["学号", "姓名", "身份证号", "出生日期", "学时"]


def by_code(table: ParsedTable) -> dict[str, list[tuple[int, str | None, str | None, str]]]:
    found: dict[str, list[tuple[int, str | None, str | None, str]]] = {}
    for issue in table.issues:
        found.setdefault(issue.code, []).append(
            (issue.row, issue.column, issue.value, issue.message)
        )
    return found


def test_a_clean_file_parses_into_typed_values(tmp_path: Path) -> None:
    path = make_xlsx(
        tmp_path / "t.xlsx",
        [
            HEADERS,
            [20230001.0, " 张三 ", "440106199001011234", datetime(1990, 1, 2), 2.5],
            ["0002", "李四", "44010619910203123X", "1991-02-03", "3"],
        ],
    )
    table = read_rows(path, SPECS)
    assert table.issues == []
    assert table.notes == []
    assert table.header_row == 1
    assert table.present_keys == {"learner_no", "name", "id_number", "birth_date", "hours"}
    first, second = table.rows
    assert first.row == 2
    assert first.values == {
        "learner_no": "20230001",
        "name": "张三",
        "id_number": "440106199001011234",
        "birth_date": date(1990, 1, 2),
        "hours": 2.5,
    }
    assert second.values["learner_no"] == "0002"
    assert second.values["birth_date"] == date(1991, 2, 3)
    assert first.raw[0] == 20230001


def test_a_missing_required_column_is_one_schema_issue_and_no_rows(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [["学号", "身份证号"], ["1", "x"], ["2", "y"]])
    table = read_rows(path, SPECS)
    assert table.rows == []
    assert len(table.schema_issues) == 1
    issue = table.schema_issues[0]
    assert (issue.row, issue.column, issue.value) == (1, "姓名", None)
    assert issue.message == "缺少必填列“姓名”"
    assert (issue.code, issue.category) == ("missing-column", "schema")


def test_a_duplicated_header_is_a_schema_issue(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [["姓名", "身份证号", "姓名 "], ["a", "b", "c"]])
    table = read_rows(path, SPECS)
    assert table.rows == []
    assert [(i.code, i.message) for i in table.schema_issues] == [
        ("duplicate-column", "列“姓名”重复")
    ]


def test_extra_columns_are_ignored_with_a_note(tmp_path: Path) -> None:
    path = make_xlsx(
        tmp_path / "t.xlsx",
        [["备注", "姓名", "身份证号", "错误说明"], ["x", "张三", "1", "旧错误"]],
    )
    table = read_rows(path, SPECS)
    assert table.notes == ["已忽略未知列：备注、错误说明"]
    assert table.rows[0].values == {"name": "张三", "id_number": "1"}
    assert table.rows[0].raw == ("x", "张三", "1", "旧错误")


def test_headers_tolerate_spaces_stars_full_width_parens_and_aliases(tmp_path: Path) -> None:
    specs = [*SPECS, ColumnSpec("成绩(0-100)", "score")]
    path = make_xlsx(
        tmp_path / "t.xlsx",
        [["\u3000姓名*", " 证件号码 ", "成绩（0-100）"], ["张三", "1", "90"]],
    )
    table = read_rows(path, specs)
    assert table.issues == []
    assert table.rows[0].values == {"name": "张三", "id_number": "1", "score": "90"}


def test_merged_title_rows_above_the_header_are_skipped(tmp_path: Path) -> None:
    path = make_xlsx(
        tmp_path / "t.xlsx", [["姓名", "身份证号"], ["张三", "1"]], title_row="教师名册（2026）"
    )
    table = read_rows(path, SPECS)
    assert table.header_row == 3
    assert [r.row for r in table.rows] == [4]


def test_cell_problems_are_row_issues_with_spreadsheet_row_numbers(tmp_path: Path) -> None:
    path = make_xlsx(
        tmp_path / "t.xlsx",
        [
            HEADERS,
            ["1", None, "110", "1990-13-01", "abc"],
            ["2", "=A1", "#N/A", None, -1],
            ["3", "王五", "112", "1990-01-01", "=1/0"],
        ],
    )
    table = read_rows(path, [*SPECS[:4], ColumnSpec("学时", "hours", parse=buggy)])
    found = by_code(table)
    assert found["required"] == [(2, "姓名", None, "必填项为空")]
    assert found["bad-date"] == [(2, "出生日期", "1990-13-01", "日期格式应为 YYYY-MM-DD")]
    assert found["formula-cell"] == [
        (3, "姓名", "=A1", "单元格是公式，请粘贴为数值"),
        (4, "学时", "=1/0", "单元格是公式，请粘贴为数值"),
    ]
    assert found["error-cell"] == [(3, "身份证号", "#N/A", "单元格是错误值 #N/A")]
    assert [(r, c, v) for r, c, v, _ in found["invalid-value"]] == [
        (2, "学时", "abc"),
        (3, "学时", "-1"),
    ]
    assert [r.row for r in table.valid_rows] == []
    assert table.rows[1].raw[1] == "=A1"


def test_invalid_value_messages_and_codes_come_from_the_parser(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [HEADERS, ["1", "张三", "1", None, -2]])
    table = read_rows(path, SPECS)
    assert [(i.code, i.message, i.value) for i in table.issues] == [
        ("bad-hours", "学时不能为负数", "-2")
    ]


def test_values_repeated_in_a_unique_column_name_the_first_row(tmp_path: Path) -> None:
    path = make_xlsx(
        tmp_path / "t.xlsx",
        [
            HEADERS,
            [1.0, "甲", "A1", None, None],
            ["2", "乙", "A2", None, None],
            ["1", "丙", "A1", None, None],
            [None, "丁", " A1 ", None, None],
        ],
    )
    table = read_rows(path, SPECS)
    assert by_code(table)["duplicate-in-file"] == [
        (4, "学号", "1", "与第 2 行重复"),
        (4, "身份证号", "A1", "与第 2 行重复"),
        (5, "身份证号", " A1 ", "与第 2 行重复"),
    ]
    assert [r.row for r in table.valid_rows] == [2, 3]


def test_blank_rows_are_skipped_and_progress_is_reported(tmp_path: Path) -> None:
    rows: list[list[object]] = [list(HEADERS)]
    for i in range(2500):
        rows.append([str(i), "x", str(i), None, None])
        if i % 1000 == 0:
            rows.append([None, None, None, None, None])
    path = make_xlsx(tmp_path / "t.xlsx", rows)
    calls: list[int] = []
    table = read_rows(path, SPECS, progress=calls.append)
    assert len(table.rows) == 2500
    assert calls == [1000, 2000, 2500]
    assert table.rows[-1].row == 2504


def test_csv_values_are_strings_and_gbk_is_read(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes("姓名,身份证号,学时,学号\n张三,0011,1.5,007\n".encode("gbk"))
    table = read_rows(path, SPECS)
    assert table.encoding == "gb18030"
    assert table.rows[0].values == {
        "name": "张三",
        "id_number": "0011",
        "hours": 1.5,
        "learner_no": "007",
    }


def test_quoted_formula_text_from_our_own_exports_is_unquoted(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("姓名,身份证号\n'=张三,'-1\n", encoding="utf-8")
    table = read_rows(path, SPECS)
    assert table.rows[0].values == {"name": "=张三", "id_number": "-1"}


def test_a_header_only_file_has_no_rows_and_no_issues(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [HEADERS])
    table = read_rows(path, SPECS)
    assert (table.rows, table.issues) == ([], [])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (123.0, "123"),
        (1.5, "1.5"),
        (datetime(2024, 3, 1), "2024-03-01"),
        (datetime(2024, 3, 1, 8, 30), "2024-03-01 08:30:00"),
        ("x", "x"),
    ],
)
def test_cell_text_renders_values_for_reports(value: object, expected: str | None) -> None:
    assert cell_text(value) == expected

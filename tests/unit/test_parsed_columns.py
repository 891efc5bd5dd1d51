"""ParsedColumns: the rows read_rows parses, kept per column, behave as the list they stand for."""

from __future__ import annotations

from pathlib import Path

import pytest

from jjadmin.errors import InvalidValue
from jjadmin.importers.columns import ColumnSpec, ParsedColumns, ParsedRow, read_rows
from jjadmin.services.results import RowIssue
from tests.xlsx_helpers import make_xlsx


def parse_hours(value: object) -> int:
    text = str(value)
    if not text.isdigit():
        raise InvalidValue(f"学时“{text}”不是整数", code="invalid-hours")
    return int(text)


SPECS = [
    ColumnSpec("学号", "learner_no", required=True, unique=True),
    ColumnSpec("姓名", "name", required=True),
    ColumnSpec("学时", "hours", parse=parse_hours),
    ColumnSpec("备注", "note"),  # never in the sheets below
]
CLEAN: list[list[object]] = [
    ["学号", "姓名", "学时"],
    ["A1", "张三", "10"],
    ["A2", "李四", None],
    ["A3", "王五", 12],
]
MESSY: list[list[object]] = [
    ["学号", "姓名", "学时"],
    ["A1", "张三", "10"],  # row 2
    ["A2", None, "x"],  # row 3: two issues, 姓名 then 学时
    ["A3", "王五", "7"],  # row 4
    ["A1", "赵六", "abc"],  # row 5: duplicate 学号, bad 学时
]


def read(tmp_path: Path, rows: list[list[object]], name: str = "t.xlsx") -> ParsedColumns:
    table = read_rows(make_xlsx(tmp_path / name, rows), SPECS, block_rows=2)
    assert isinstance(table.rows, ParsedColumns)
    return table.rows


def issue(row: int, column: str = "学时", code: str = "invalid-value") -> RowIssue:
    return RowIssue(row=row, column=column, value=None, message="测试", code=code)


# --- read through read_rows -----------------------------------------------------------------


def test_read_rows_gives_parsed_columns_that_index_like_a_list(tmp_path: Path) -> None:
    rows = read(tmp_path, CLEAN)
    assert len(rows) == 3
    assert rows[0] == ParsedRow(
        2, {"learner_no": "A1", "name": "张三", "hours": 10}, ("A1", "张三", "10"), []
    )
    assert rows[-1].row == 4 and rows[-1].values["hours"] == 12
    assert rows[-3] == rows[0]
    with pytest.raises(IndexError):
        rows[3]
    with pytest.raises(IndexError):
        rows[-4]


def test_slices_are_lists_of_rows_with_any_step(tmp_path: Path) -> None:
    rows = read(tmp_path, CLEAN)
    assert isinstance(rows[1:], list)
    assert [r.row for r in rows[1:]] == [3, 4]
    assert [r.row for r in rows[::-1]] == [4, 3, 2]
    assert [r.row for r in rows[::2]] == [2, 4]
    assert [r.row for r in rows[-2:-1]] == [3]
    assert rows[5:] == []


def test_iterating_gives_the_rows_in_file_order(tmp_path: Path) -> None:
    rows = read(tmp_path, CLEAN)
    assert [(r.row, r.values["name"]) for r in rows] == [(2, "张三"), (3, "李四"), (4, "王五")]
    assert [r.row for r in reversed(rows)] == [4, 3, 2]
    assert rows[1] in rows
    assert rows.index(rows[2]) == 2 and rows.count(rows[0]) == 1


def test_a_column_holds_every_rows_value_in_row_order(tmp_path: Path) -> None:
    rows = read(tmp_path, MESSY)
    assert rows.column("learner_no") == ["A1", "A2", "A3", "A1"]
    assert rows.column("name") == ["张三", None, "王五", "赵六"]  # blank: None
    assert rows.column("hours") == [10, None, 7, None]  # rejected: None
    assert rows.column("hours") == [r.values["hours"] for r in rows]


def test_a_column_the_sheet_lacks_is_all_none(tmp_path: Path) -> None:
    rows = read(tmp_path, CLEAN)
    assert rows.column("note") == [None, None, None]
    assert rows.column("no-such-key") == [None, None, None]
    assert "note" not in rows[0].values  # rows hold only the columns present in the file


def test_a_clean_sheet_has_no_issues(tmp_path: Path) -> None:
    rows = read(tmp_path, CLEAN)
    assert not rows.has_issues()
    assert rows.row_issues() == []
    assert all(r.ok for r in rows)


def test_row_issues_come_in_row_order_and_column_order_within_a_row(tmp_path: Path) -> None:
    rows = read(tmp_path, MESSY)
    assert rows.has_issues()
    assert [(i.row, i.column, i.code) for i in rows.row_issues()] == [
        (3, "姓名", "required"),
        (3, "学时", "invalid-hours"),
        (5, "学号", "duplicate-in-file"),
        (5, "学时", "invalid-hours"),
    ]
    assert rows.row_issues() == [i for r in rows for i in r.issues]


def test_without_rows_drops_rows_by_their_spreadsheet_numbers(tmp_path: Path) -> None:
    rows = read(tmp_path, MESSY)
    kept = rows.without_rows({3, 5})
    assert [r.row for r in kept] == [2, 4]
    assert kept == [rows[0], rows[2]]
    assert [r.row for r in rows.without_rows({1, 99})] == [2, 3, 4, 5]
    assert rows.without_rows(set()) is rows


def test_parsed_columns_equal_the_list_they_stand_for(tmp_path: Path) -> None:
    rows = read(tmp_path, MESSY)
    as_list = list(rows)
    assert rows == as_list
    assert as_list == rows
    assert not (rows != as_list)
    assert rows == read(tmp_path, MESSY, name="again.xlsx")
    assert rows != as_list[:-1]
    assert rows != read(tmp_path, CLEAN, name="clean.xlsx")
    assert rows != tuple(as_list)
    assert rows != "rows"
    with pytest.raises(TypeError):
        hash(rows)


def test_an_issue_appended_to_a_rows_list_stays(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", CLEAN)
    table = read_rows(path, SPECS)
    rows = table.rows
    assert isinstance(rows, ParsedColumns)
    assert rows[1].issues is rows[1].issues  # the stored list, not a copy
    added = issue(3, code="school-unknown")
    rows[1].issues.append(added)
    assert rows[1].issues == [added]
    assert not rows[1].ok
    assert rows.has_issues()
    assert rows.row_issues() == [added]
    assert table.issues == [added]
    assert [r.row for r in table.valid_rows] == [2, 4]
    assert rows.without_rows({added.row}) == [rows[0], rows[2]]
    assert rows != read(tmp_path, CLEAN, name="untouched.xlsx")


def test_an_issue_appended_while_iterating_stays(tmp_path: Path) -> None:
    rows = read(tmp_path, CLEAN)
    for parsed in rows:
        if parsed.values["hours"] is None:
            parsed.issues.append(issue(parsed.row, code="hours-required"))
    assert [(i.row, i.code) for i in rows.row_issues()] == [(3, "hours-required")]


def test_a_header_only_sheet_gives_empty_parsed_columns(tmp_path: Path) -> None:
    rows = read(tmp_path, [CLEAN[0]])
    assert len(rows) == 0
    assert rows == []
    assert list(rows) == [] and rows[:] == []
    assert rows.column("name") == [] and rows.column("note") == []
    assert not rows.has_issues() and rows.row_issues() == []
    assert rows.without_rows({2}) == []


def test_a_wrong_header_gives_schema_issues_and_no_rows(tmp_path: Path) -> None:
    table = read_rows(make_xlsx(tmp_path / "t.xlsx", [["甲", "乙"], ["1", "2"]]), SPECS)
    assert [i.code for i in table.schema_issues] == ["missing-header"]
    assert table.rows == []


@pytest.mark.parametrize("block_rows", [1, 2, 3, 100])
def test_the_block_size_does_not_change_the_rows(tmp_path: Path, block_rows: int) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", MESSY)
    rows = read_rows(path, SPECS, block_rows=block_rows).rows
    assert rows == read(tmp_path, MESSY, name="reference.xlsx")


# --- built directly with add() --------------------------------------------------------------


def two_blocks() -> ParsedColumns:
    rows = ParsedColumns(["a", "b"])
    rows.add([2, 3], [("x", 1), ("y", 2)], [["x", "y"], [1, 2]], {1: [issue(3)]})
    rows.add([5, 9], [("z", 3), ("w", None)], [["z", "w"], [3, None]], {0: [issue(5)]})
    return rows


def test_blocks_added_one_after_another_make_one_sequence() -> None:
    rows = two_blocks()
    assert len(rows) == 4
    assert [r.row for r in rows] == [2, 3, 5, 9]
    assert rows[2] == ParsedRow(5, {"a": "z", "b": 3}, ("z", 3), [issue(5)])
    assert rows[-1] == ParsedRow(9, {"a": "w", "b": None}, ("w", None), [])
    assert rows.column("a") == ["x", "y", "z", "w"]
    assert rows.column("b") == [1, 2, 3, None]


def test_issues_of_a_later_block_land_on_its_own_rows() -> None:
    rows = two_blocks()
    assert [r.row for r in rows if r.issues] == [3, 5]
    assert rows.row_issues() == [issue(3), issue(5)]
    assert [r.row for r in rows.without_rows({3, 5})] == [2, 9]


def test_row_issues_follow_row_order_whatever_order_they_were_stored_in() -> None:
    rows = ParsedColumns(["a"])
    rows.add([2, 3, 4], [("x",), ("y",), ("z",)], [["x", "y", "z"]], {2: [issue(4)]})
    rows[0].issues.append(issue(2))  # stored after row 4's issue
    rows[1].issues.extend([issue(3, "甲"), issue(3, "乙")])
    assert [(i.row, i.column) for i in rows.row_issues()] == [
        (2, "学时"),
        (3, "甲"),
        (3, "乙"),
        (4, "学时"),
    ]


def test_empty_issue_lists_do_not_count_as_issues() -> None:
    rows = ParsedColumns(["a"])
    rows.add([2], [("x",)], [["x"]], {0: []})
    rows[0]  # builds (and stores) an empty list
    assert not rows.has_issues()
    assert rows.row_issues() == []


def test_a_block_must_give_one_column_per_key() -> None:
    rows = ParsedColumns(["a", "b"])
    with pytest.raises(ValueError):
        rows.add([2], [("x", 1)], [["x"]], {})


def test_no_keys_still_give_rows_with_numbers_and_raw_cells() -> None:
    rows = ParsedColumns([])
    rows.add([7], [("x",)], [], {})
    assert rows == [ParsedRow(7, {}, ("x",), [])]
    assert rows.column("a") == [None]

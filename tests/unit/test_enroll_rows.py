"""The lean 选课 reader keeps a sheet's rows column by column (`EnrollRows`) and still gives
exactly the ParsedRows of the generic reader, the issues in row order, and the requested pairs
of the clean rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jjadmin.importers.columns import read_rows
from jjadmin.importers.enroll import ENROLL_COLUMNS, EnrollRows, read_enroll_table
from jjadmin.services.imports import ColumnarRows
from tests.xlsx_helpers import make_xlsx

LN = "44012600000001"


def learner(i: int) -> str:
    return f"4401260{i:07d}"


def nasty_rows(n: int) -> list[list[Any]]:
    """n clean rows (a teacher, five courses each), then every kind of dirty row."""
    rows: list[list[Any]] = [
        [learner(i // 5), f"C{i % 5:03d}", None if i % 3 else f"教师{i // 5}"] for i in range(n)
    ]
    rows += [
        [" " + learner(1), " C001 ", " 张三 "],  # spaces: parsed, raw kept
        [44012600000002, "C002", None],  # a number from Excel
        ["4401260000000X", "C 1", "'=王五"],  # bad number, bad code, a quoted name
        [LN, "=A1", None],  # a formula where a code belongs
        [None, None, None],  # blank: left out
        [LN, None, "赵六"],  # a required cell left blank
        [LN, "C009", "赵六"],  # clean again
    ]
    return rows


def compare(path: Path) -> EnrollRows:
    generic = read_rows(path, ENROLL_COLUMNS)
    lean = read_enroll_table(path, max_rows=100_000)
    assert isinstance(lean.rows, EnrollRows)
    assert len(lean.rows) == len(generic.rows)
    assert [(r.row, r.values, r.raw, r.issues) for r in lean.rows] == [
        (r.row, r.values, r.raw, r.issues) for r in generic.rows
    ]
    assert lean.rows.row_issues() == [i for r in generic.rows for i in r.issues]
    return lean.rows


@pytest.mark.parametrize("clean_rows", [3, 4500])  # one block, or clean blocks first
def test_a_plain_sheet_reads_as_the_generic_reader_reads_it(
    tmp_path: Path, clean_rows: int
) -> None:
    path = make_xlsx(tmp_path / "e.xlsx", [["学号", "课程编号", "姓名"], *nasty_rows(clean_rows)])
    rows = compare(path)
    first_bad = clean_rows + 2
    assert [r.row for r in rows if r.issues] == [first_bad + 2, first_bad + 3, first_bad + 5]
    assert rows[-1].values == {"learner_no": LN, "course_code": "C009", "name": "赵六"}
    assert rows[first_bad - 2].raw == (" " + learner(1), " C001 ", " 张三 ")
    assert rows[first_bad - 2].values["learner_no"] == learner(1)
    # one object per distinct text, shared by the rows
    assert rows[0].values["learner_no"] is rows[1].values["learner_no"]


def test_a_csv_sheet_without_a_name_column_reads_the_same(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    lines = ["课程编号,学号", *(f"C00{i % 3},{learner(i)}" for i in range(10)), "C001,123"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = compare(path)
    assert rows.names is None and "name" not in rows[0].values
    assert rows[0].raw == ("C000", learner(0))
    assert [r.row for r in rows if r.issues] == [12]


def test_the_pairs_of_the_clean_rows_go_to_the_service_column_by_column(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "e.xlsx", [["学号", "课程编号", "姓名"], *nasty_rows(6)])
    rows = read_enroll_table(path, max_rows=100).rows
    assert isinstance(rows, EnrollRows) and isinstance(rows, ColumnarRows)
    pairs = rows.pair_columns()
    clean = [r for r in rows if not r.issues]
    assert list(pairs.rows) == [r.row for r in clean]
    assert list(pairs.learner_nos) == [r.values["learner_no"] for r in clean]
    assert list(pairs.course_codes) == [r.values["course_code"] for r in clean]
    assert pairs.names is not None
    assert list(pairs.names) == [r.values["name"] for r in clean]


def test_rows_can_be_indexed_sliced_and_filtered_like_a_list(tmp_path: Path) -> None:
    path = make_xlsx(
        tmp_path / "e.xlsx", [["学号", "课程编号"], *[[learner(i), "C1"] for i in range(5)]]
    )
    rows = read_enroll_table(path, max_rows=100).rows
    assert isinstance(rows, EnrollRows)
    as_list = list(rows)
    assert rows[-1] == as_list[-1] and rows[1:3] == as_list[1:3] and len(rows) == 5
    with pytest.raises(IndexError):
        rows[5]
    assert rows.without_rows({99}) is rows
    kept = rows.without_rows({3, 5})
    assert [r.row for r in kept] == [2, 4, 6] and len(kept) == 3
    assert kept[-1] == rows[4] and kept[:2] == [rows[0], rows[2]]

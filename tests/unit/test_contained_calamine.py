"""A large xlsx sheet goes to python-calamine in a child process with limits: no safety scan
first, the same rows as the in-process reader, and any failure of the child costs the child
only (the expat reader then judges the sheet)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from jjadmin.errors import FileRejected
from jjadmin.importers import contained
from jjadmin.importers import xlsx as xlsx_reader
from jjadmin.importers.columns import read_rows
from jjadmin.importers.reader import CellProblem, open_table
from jjadmin.importers.teacher import TEACHER_HEADERS, teacher_columns
from tests.xlsx_helpers import make_xlsx, rewrite_member

TODAY = date(2026, 3, 1)


def roster(tmp_path: Path, n: int = 300, **kwargs: Any) -> Path:
    rows: list[list[Any]] = [list(TEACHER_HEADERS)]
    for i in range(n):
        rows.append(
            [None, f"教师{i}", f"44010419900101{i % 1000:03d}X", "男", date(1990, 1, 1),
             "13800138000", "4401040001", "小学", "语文", None, None, None, None]
        )  # fmt: skip
    rows.insert(5, [None] * len(TEACHER_HEADERS))  # a blank row
    return make_xlsx(tmp_path / "roster.xlsx", rows, **kwargs)


def read_all(path: Path) -> tuple[list[str], int, list[tuple[int, tuple[Any, ...]]]]:
    with open_table(path, header_candidates=TEACHER_HEADERS) as table:
        return table.headers, table.header_row, [(r.number, r.values) for r in table]


def read_blocks(path: Path) -> list[tuple[int, tuple[Any, ...]]]:
    with open_table(path, header_candidates=TEACHER_HEADERS) as table:
        return [
            (n, row) for b in table.blocks(64) for n, row in zip(b.numbers, b.rows, strict=True)
        ]


@pytest.fixture
def children(monkeypatch: pytest.MonkeyPatch) -> list[contained.ContainedCalamineSheet]:
    """Every sheet of any size goes to the child; the children made are recorded."""
    made: list[contained.ContainedCalamineSheet] = []
    original = contained.ContainedCalamineSheet

    class Recorded(original):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            made.append(self)

    monkeypatch.setattr(xlsx_reader, "CONTAINED_MIN_BYTES", 0)
    monkeypatch.setattr(xlsx_reader, "ContainedCalamineSheet", Recorded)
    return made


def in_process(path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    with monkeypatch.context() as mp:
        mp.setattr(xlsx_reader, "CONTAINED_MIN_BYTES", 1 << 40)
        return read_all(path), read_blocks(path)


def test_the_child_gives_the_rows_the_in_process_reader_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, children: list[Any]
) -> None:
    path = roster(tmp_path, title_row="2026 年名册")
    expected_rows, expected_blocks = in_process(path, monkeypatch)
    assert read_all(path) == expected_rows
    assert read_blocks(path) == expected_blocks
    assert len(children) == 2 and expected_rows[1] == 3
    parsed = read_rows(path, teacher_columns(TODAY))
    assert len(parsed.rows) == 300 and not parsed.schema_issues


def test_a_sheet_with_formulas_goes_to_the_expat_reader_and_the_child_is_ended(
    tmp_path: Path, children: list[Any]
) -> None:
    path = make_xlsx(tmp_path / "f.xlsx", [["学号", "姓名"], ["=1+2", "张三"]])
    rows = read_all(path)[2]
    assert isinstance(rows[0][1][0], CellProblem) and rows[0][1][0].kind == "formula"
    assert len(children) == 1
    assert children[0]._child._proc is None  # closed: nothing left running


def test_a_child_that_dies_before_its_first_rows_leaves_the_sheet_to_the_expat_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, children: list[Any]
) -> None:
    path = roster(tmp_path, n=20)
    expected = in_process(path, monkeypatch)[0]
    monkeypatch.setattr(contained, "CHILD_ARGS", ["-c", "import os; os.abort()"])
    assert read_all(path) == expected
    assert len(children) == 1


def test_a_far_away_cell_that_aborts_calamine_costs_the_child_only(
    tmp_path: Path, children: list[Any]
) -> None:
    # python-calamine 0.9 allocates the whole rectangle up to XFD1048576 (calamine #684)
    path = make_xlsx(tmp_path / "far.xlsx", [["学号", "姓名"], ["1", "张三"]])

    def far(data: bytes) -> bytes:
        return data.replace(
            b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'
        )

    rewrite_member(path, "xl/worksheets/sheet1.xml", far)
    try:
        rows = read_all(path)[2]
    except FileRejected:
        return  # refused with one message: also fine
    assert rows[0] == (2, ("1", "张三"))


def test_a_row_beyond_the_excel_limit_is_refused_through_the_child(
    tmp_path: Path, children: list[Any]
) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [["学号", "姓名"], ["1", "张三"]])

    def far_row(data: bytes) -> bytes:
        return (
            data.replace(b'<row r="2"', b'<row r="1048577"')
            .replace(b'r="A2"', b'r="A1048577"')
            .replace(b'r="B2"', b'r="B1048577"')
        )

    rewrite_member(path, "xl/worksheets/sheet1.xml", far_row)
    with pytest.raises(FileRejected, match="超出 Excel 上限"):
        read_all(path)

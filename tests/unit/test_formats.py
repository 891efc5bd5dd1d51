"""Every spreadsheet format a school has reads as the xlsx does (SPEC §5, end of §7), and
crafted files of each format end in one FileRejected, quickly and in bounded memory."""

from __future__ import annotations

import time
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from jjadmin.errors import FileRejected
from jjadmin.importers import contained
from jjadmin.importers.reader import (
    MSG_ENCRYPTED,
    MSG_XLSB,
    CellProblem,
    RawRow,
    open_table,
)
from tests.sheet_formats import (
    fuzzed,
    make_ods,
    make_xls,
    mark_xls_encrypted,
    rename_ole2_stream,
    write_ods_package,
)
from tests.xlsx_helpers import make_xlsx

HEADERS = ["学号", "姓名", "出生日期", "学时", "在岗"]
ROWS: list[list[Any]] = [
    HEADERS,
    ["000123", "张三", date(1980, 1, 2), 12, True],
    ["0456", "李四", datetime(1990, 5, 6, 0, 0), 7.5, False],
    [None, None, None, None, None],
    ["=1+2", "王五", None, 3, None],
    ["440102198001021234", " 赵六 ", None, None, None],
]
Maker = Callable[..., Path]
MAKERS: dict[str, tuple[str, Maker]] = {
    "xlsx": (".xlsx", make_xlsx),
    "xlsm": (".xlsm", make_xlsx),
    "xls": (".xls", make_xls),
    "ods": (".ods", make_ods),
}


def read(path: Path, **kwargs: Any) -> tuple[list[str], int, str | None, list[RawRow]]:
    with open_table(path, header_candidates=HEADERS, **kwargs) as table:
        return table.headers, table.header_row, table.sheet_name, list(table)


def comparable(rows: list[RawRow]) -> list[tuple[int, tuple[Any, ...]]]:
    """Rows with a formula cell reduced to its kind (an .xls keeps no formula text)."""
    return [
        (r.number, tuple(v.kind if isinstance(v, CellProblem) else v for v in r.values))
        for r in rows
    ]


@pytest.fixture(params=["xls", "ods", "xlsm"])
def fmt(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def build(fmt: str, tmp_path: Path, rows: list[list[Any]] = ROWS, **kwargs: Any) -> Path:
    suffix, maker = MAKERS[fmt]
    return maker(tmp_path / f"roster{suffix}", rows, **kwargs)


def test_each_format_gives_the_rows_the_xlsx_gives(fmt: str, tmp_path: Path) -> None:
    expected = read(build("xlsx", tmp_path / "..", sheet_title="教师"))
    got = read(build(fmt, tmp_path, sheet_title="教师"))
    assert got[:3] == expected[:3] == (HEADERS, 1, "教师")
    assert comparable(got[3]) == comparable(expected[3])
    first = got[3][0].values
    assert first[0] == "000123" and first[2] == datetime(1980, 1, 2) and first[3] == 12
    assert [r.number for r in got[3]] == [2, 3, 5, 6]


def test_each_format_skips_a_hidden_first_sheet_and_a_title_row(fmt: str, tmp_path: Path) -> None:
    headers, header_row, sheet, rows = read(
        build(fmt, tmp_path, hidden_first=True, title_row="2026 年教师名册", sheet_title="名册")
    )
    assert (headers, header_row, sheet) == (HEADERS, 3, "名册")
    assert rows[0].number == 4 and rows[0].values[0] == "000123"


def test_each_format_reads_the_sheet_named_by_sheet(fmt: str, tmp_path: Path) -> None:
    other = [HEADERS, ["999", "钱七", None, None, None]]
    path = build(fmt, tmp_path, extra_sheets={"第二页": other})
    assert [r.values[1] for r in read(path, sheet="第二页")[3]] == ["钱七"]
    with pytest.raises(FileRejected, match="没有名为“无此页”的工作表.*第二页"):
        read(path, sheet="无此页")


def test_a_formula_cell_is_reported_as_a_formula_in_each_format(fmt: str, tmp_path: Path) -> None:
    rows = read(build(fmt, tmp_path))[3]
    problem = rows[2].values[0]
    assert isinstance(problem, CellProblem) and problem.kind == "formula"


def test_the_row_cap_applies_to_each_format(fmt: str, tmp_path: Path) -> None:
    with pytest.raises(FileRejected, match="超过上限 3 行"):
        read(build(fmt, tmp_path), max_rows=3)


def test_an_error_cell_in_an_xls_is_an_error_value(tmp_path: Path) -> None:
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("S")
    for c, h in enumerate(HEADERS[:2]):
        sheet.write(0, c, h)
    sheet.write(1, 0, "1")
    sheet.write(1, 1, xlwt.Formula("1/0"))
    sheet.write(2, 0, "2")
    sheet.write(2, 1, "ok")
    book.save(str(tmp_path / "e.xls"))
    rows = read(tmp_path / "e.xls")[3]
    assert isinstance(rows[0].values[1], CellProblem)
    assert rows[1].values == ("2", "ok")


def test_a_csv_saved_as_xls_is_read_as_csv(tmp_path: Path) -> None:
    path = tmp_path / "web.xls"
    path.write_text("学号\t姓名\n000123\t张三\n", encoding="utf-8")
    with open_table(path, header_candidates=HEADERS) as table:
        assert table.file_kind == "csv"
        assert [r.values for r in table] == [("000123", "张三")]


@pytest.mark.parametrize(
    "head",
    [
        "<html><body><table><tr><td>学号</td></tr></table></body></html>",
        '\ufeff<?xml version="1.0"?>'
        '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"/>',
        "  <table><tr><td>学号</td></tr></table>",
    ],
    ids=["html", "spreadsheetml-2003", "bare-table"],
)
def test_a_web_page_saved_as_xls_is_refused_with_its_own_line(tmp_path: Path, head: str) -> None:
    path = tmp_path / "web.xls"
    path.write_text(head, encoding="utf-8")
    with pytest.raises(FileRejected, match="内容却是网页"):
        open_table(path)


def test_an_encrypted_xlsx_is_refused_with_its_own_line(tmp_path: Path) -> None:
    # A password-protected xlsx is an OLE2 file holding EncryptionInfo and EncryptedPackage.
    path = make_xls(tmp_path / "secret.xlsx", [HEADERS])
    rename_ole2_stream(path, "Workbook", "EncryptedPackage")
    with pytest.raises(FileRejected) as caught:
        open_table(path)
    assert caught.value.message == MSG_ENCRYPTED


def test_an_encrypted_xls_is_refused_with_the_same_line(tmp_path: Path) -> None:
    path = make_xls(tmp_path / "secret.xls", ROWS)
    mark_xls_encrypted(path)
    with pytest.raises(FileRejected) as caught:
        open_table(path)
    assert caught.value.message == MSG_ENCRYPTED


def test_an_encrypted_ods_is_refused_with_the_same_line(tmp_path: Path) -> None:
    path = make_ods(
        tmp_path / "secret.ods",
        ROWS,
        manifest_extra='<manifest:encryption-data manifest:checksum-type="SHA1"/>',
    )
    with pytest.raises(FileRejected) as caught:
        open_table(path)
    assert caught.value.message == MSG_ENCRYPTED


def test_a_biff5_workbook_is_refused_clearly(tmp_path: Path) -> None:
    path = make_xls(tmp_path / "old.xls", ROWS)
    rename_ole2_stream(path, "Workbook", "Book")
    with pytest.raises(FileRejected, match="Excel 5.0/95"):
        open_table(path)


def test_an_xlsb_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "b.xlsb"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.bin", b"\x83\x01\x00")
    with pytest.raises(FileRejected) as caught:
        open_table(path)
    assert caught.value.message == MSG_XLSB


def test_an_ole2_that_is_no_workbook_says_so(tmp_path: Path) -> None:
    path = make_xls(tmp_path / "doc.xls", ROWS)
    rename_ole2_stream(path, "Workbook", "WordDocument")
    with pytest.raises(FileRejected, match="不是 Excel 工作簿"):
        open_table(path)


@pytest.mark.parametrize("cut", [0.25, 0.5, 0.9])
def test_a_truncated_xls_is_one_clear_error(tmp_path: Path, cut: float) -> None:
    whole = make_xls(tmp_path / "whole.xls", ROWS * 50).read_bytes()
    path = tmp_path / "cut.xls"
    path.write_bytes(whole[: int(len(whole) * cut)])
    with pytest.raises(FileRejected, match="已损坏或被截断|不是有效的 .xls"):
        open_table(path, header_candidates=HEADERS)


def test_fuzzed_xls_files_each_end_in_one_file_rejected_or_rows_quickly(tmp_path: Path) -> None:
    whole = make_xls(tmp_path / "whole.xls", ROWS * 20).read_bytes()
    started = time.monotonic()
    outcomes = set()
    for seed in range(12):
        path = tmp_path / f"fuzz{seed}.xls"
        path.write_bytes(fuzzed(whole, seed))
        try:
            with open_table(path, header_candidates=HEADERS) as table:
                list(table)
            outcomes.add("read")
        except FileRejected:
            outcomes.add("rejected")
    assert outcomes <= {"read", "rejected"} and "rejected" in outcomes
    assert time.monotonic() - started < 60


def _repeat_rows(count: int, *, filled: bool = False, width: int = 16384) -> str:
    if filled:
        cells = (
            f'<table:table-cell table:number-columns-repeated="{width}" '
            'office:value-type="string"><text:p>x</text:p></table:table-cell>'
        )
    else:
        cells = f'<table:table-cell table:number-columns-repeated="{width}"/>'
    return f'<table:table-row table:number-rows-repeated="{count}">{cells}</table:table-row>'


def test_an_ods_with_a_million_repeated_empty_rows_reads_its_rows_at_once(tmp_path: Path) -> None:
    path = make_ods(tmp_path / "r.ods", ROWS, tail_xml=_repeat_rows(1_000_000))
    started = time.monotonic()
    assert len(read(path)[3]) == 4
    assert time.monotonic() - started < 10


def test_an_ods_row_beyond_the_excel_limit_after_repeats_is_refused(tmp_path: Path) -> None:
    tail = (
        _repeat_rows(1_048_576) + '<table:table-row><table:table-cell office:value-type="string">'
        "<text:p>1</text:p></table:table-cell></table:table-row>"
    )
    path = make_ods(tmp_path / "r.ods", ROWS, tail_xml=tail)
    with pytest.raises(FileRejected, match="行号超出"):
        read(path)


def test_an_ods_repeating_a_filled_row_past_the_cap_is_refused_before_expanding(
    tmp_path: Path,
) -> None:
    path = make_ods(tmp_path / "r.ods", ROWS, tail_xml=_repeat_rows(900_000, filled=True))
    started = time.monotonic()
    with pytest.raises(FileRejected, match="超过上限 1000 行"):
        read(path, max_rows=1000)
    assert time.monotonic() - started < 10


def test_an_ods_content_with_a_dtd_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "dtd.ods"
    write_ods_package(
        path,
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><office:document-content/>',
    )
    with pytest.raises(FileRejected, match="DOCTYPE|已损坏"):
        read(path)


def test_a_reader_that_exceeds_its_memory_limit_is_one_file_rejected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JJADMIN_READER_MAX_MB", "20")
    path = make_xls(tmp_path / "big.xls", ROWS)
    with pytest.raises(FileRejected) as caught:
        read(path)
    assert caught.value.message == contained.MSG_LIMIT


def test_a_reader_that_dies_of_a_signal_is_one_file_rejected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(contained, "CHILD_ARGS", ["-c", "import os; os.abort()"])
    path = make_ods(tmp_path / "r.ods", ROWS)
    with pytest.raises(FileRejected) as caught:
        read(path)
    assert caught.value.message == contained.MSG_LIMIT
    assert caught.value.data["exit"] < 0


def test_a_reader_that_hangs_is_ended_after_its_time_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JJADMIN_READER_MAX_SECONDS", "1")
    monkeypatch.setattr(contained, "IDLE_SLACK_SECONDS", 1.0)
    monkeypatch.setattr(contained, "CHILD_ARGS", ["-c", "import time; time.sleep(60)"])
    path = make_ods(tmp_path / "r.ods", ROWS)
    started = time.monotonic()
    with pytest.raises(FileRejected) as caught:
        read(path)
    assert caught.value.message == contained.MSG_LIMIT
    assert time.monotonic() - started < 10

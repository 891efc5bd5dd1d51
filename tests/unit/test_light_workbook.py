"""calamine_path.light_workbook: the worksheets of a workbook read from its package parts
alone agree with what openpyxl says, and anything it cannot judge goes to openpyxl."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter
from openpyxl.chart import BarChart, Reference

from jjadmin.errors import FileRejected
from jjadmin.importers import calamine_path
from jjadmin.importers import xlsx as xlsx_reader
from jjadmin.importers.calamine_path import LightWorkbook, light_workbook
from jjadmin.importers.columns import ColumnSpec, ParsedTable, read_rows
from tests.xlsx_helpers import make_xlsx, rewrite_member

HEADERS = ["学号", "姓名", "出生日期"]
SPECS = [
    ColumnSpec("学号", "learner_no", required=True, unique=True),
    ColumnSpec("姓名", "name", required=True),
    ColumnSpec("出生日期", "birth"),
]
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
Sheets = list[tuple[str, str, str]]


def light(path: Path) -> LightWorkbook | None:
    with zipfile.ZipFile(path) as zf:
        return light_workbook(zf)


def light_sheets(path: Path) -> Sheets:
    found = light(path)
    assert found is not None
    return [(ws.title, ws.sheet_state, ws._worksheet_path) for ws in found.worksheets]


def openpyxl_sheets(path: Path) -> Sheets:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return [
            (ws.title, ws.sheet_state, str(ws._worksheet_path).lstrip("/")) for ws in wb.worksheets
        ]
    finally:
        wb.close()


def openpyxl_strings_path(path: Path) -> str | None:
    """The shared-strings part the openpyxl-based reader finds (xlsx_reader._load_book)."""
    with path.open("rb") as handle:
        book = xlsx_reader._load_book(handle)
        book.wb.close()
    return book.strings_path


def openpyxl_book(path: Path) -> Path:
    """Hidden first sheet, a chartsheet among the worksheets, a veryHidden one, odd titles."""
    wb = openpyxl.Workbook()
    first = wb.active
    assert first is not None
    first.title = "隐藏"
    first.sheet_state = "hidden"
    first.append(["学号", "姓名"])
    first.append(["decoy", "不应读取"])
    chart_sheet = wb.create_chartsheet("图表")
    chart = BarChart()
    chart.add_data(Reference(first, min_col=1, min_row=1, max_row=2))
    chart_sheet.add_chart(chart)
    data = wb.create_sheet("教师 名单 2026")
    data.append(HEADERS)
    data.append(["1", "张三", datetime(1990, 1, 2)])
    very = wb.create_sheet("R&D 'x' 名单")
    very.sheet_state = "veryHidden"
    very.append(["学号"])
    wb.save(path)
    return path


def xlsxwriter_book(path: Path) -> Path:
    """The same layout written by XlsxWriter (relative targets, a shared-strings part)."""
    wb = xlsxwriter.Workbook(str(path))
    first = wb.add_worksheet("隐藏")
    first.write_row(0, 0, ["学号", "姓名"])
    first.write_row(1, 0, ["decoy", "不应读取"])
    data = wb.add_worksheet("教师 名单 2026")
    data.write_row(0, 0, HEADERS)
    data.write_row(1, 0, ["1", "张三"])
    data.activate()
    first.hide()
    chart_sheet = wb.add_chartsheet("图表")
    chart = wb.add_chart({"type": "bar"})
    chart.add_series({"values": "='隐藏'!$A$1:$A$2"})
    chart_sheet.set_chart(chart)
    very = wb.add_worksheet("R&D 'x' 名单")
    very.write_string(0, 0, "学号")
    very.very_hidden()
    wb.close()
    return path


WRITERS: dict[str, Callable[[Path], Path]] = {
    "openpyxl": openpyxl_book,
    "xlsxwriter": xlsxwriter_book,
}


@pytest.fixture(params=sorted(WRITERS))
def written(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    return WRITERS[request.param](tmp_path / f"{request.param}.xlsx")


def test_titles_states_and_parts_match_what_openpyxl_reads(written: Path) -> None:
    assert light_sheets(written) == openpyxl_sheets(written)


def test_hidden_and_very_hidden_sheets_keep_their_states(written: Path) -> None:
    assert light_sheets(written) == [
        ("隐藏", "hidden", "xl/worksheets/sheet1.xml"),
        ("教师 名单 2026", "visible", "xl/worksheets/sheet2.xml"),
        ("R&D 'x' 名单", "veryHidden", "xl/worksheets/sheet3.xml"),
    ]


def test_a_chartsheet_is_not_listed_as_a_worksheet(written: Path) -> None:
    with zipfile.ZipFile(written) as zf:
        assert any(name.startswith("xl/chartsheets/") for name in zf.namelist())
        assert b'name="\xe5\x9b\xbe\xe8\xa1\xa8"' in zf.read("xl/workbook.xml")  # 图表
    assert "图表" not in [title for title, _, _ in light_sheets(written)]


def test_the_shared_strings_part_is_the_one_openpyxl_finds(written: Path) -> None:
    found = light(written)
    assert found is not None
    assert found.strings_path == openpyxl_strings_path(written)


def test_xlsxwriter_books_name_their_shared_strings_part(tmp_path: Path) -> None:
    found = light(xlsxwriter_book(tmp_path / "x.xlsx"))
    assert found is not None and found.strings_path == "xl/sharedStrings.xml"


def test_a_workbook_without_shared_strings_has_no_strings_path(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [HEADERS, ["1", "张三", None]])
    with zipfile.ZipFile(path) as zf:
        assert "xl/sharedStrings.xml" not in zf.namelist()
    found = light(path)
    assert found is not None and found.strings_path is None
    assert openpyxl_strings_path(path) is None


def test_relative_and_absolute_relationship_targets_name_the_same_parts(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [HEADERS], extra_sheets={"第二页": [HEADERS]})
    with zipfile.ZipFile(path) as zf:
        assert b'Target="/xl/worksheets/sheet1.xml"' in zf.read("xl/_rels/workbook.xml.rels")
    before = light_sheets(path)
    rewrite_member(
        path,
        "xl/_rels/workbook.xml.rels",
        lambda data: data.replace(
            b'Target="/xl/worksheets/', b'Target="./worksheets/../worksheets/'
        ),
    )
    assert light_sheets(path) == before == openpyxl_sheets(path)


def plain(tmp_path: Path) -> Path:
    """名册 (one data row) and a second sheet, by openpyxl: the light path reads it."""
    return make_xlsx(
        tmp_path / "t.xlsx",
        [HEADERS, ["1", "张三", datetime(1990, 1, 2)]],
        sheet_title="名册",
        extra_sheets={"第二页": [HEADERS]},
    )


def workbook_moved(tmp_path: Path) -> Path:
    """OPC lets the workbook part live anywhere; python-calamine only looks at
    xl/workbook.xml."""
    path = plain(tmp_path)
    move_workbook_part(path, "book/main.xml")
    assert openpyxl_sheets(path)[0] == ("名册", "visible", "xl/worksheets/sheet1.xml")
    return path


def date1904(flag: str) -> Callable[[Path], Path]:
    def build(tmp_path: Path) -> Path:
        path = plain(tmp_path)
        set_workbook_pr(path, f'<workbookPr date1904="{flag}"/>')
        return path

    return build


def strict_namespace(tmp_path: Path) -> Path:
    path = plain(tmp_path)
    rewrite_member(
        path,
        "xl/workbook.xml",
        lambda data: data.replace(
            b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
            b'xmlns="http://purl.oclc.org/ooxml/spreadsheetml/main"',
        ),
    )
    return path


def other_sheet_missing(tmp_path: Path) -> Path:
    path = plain(tmp_path)
    drop_member(path, "xl/worksheets/sheet2.xml")
    return path


def two_shared_strings(tmp_path: Path) -> Path:
    path = tmp_path / "x.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("名册").write_row(0, 0, HEADERS)
    wb.worksheets()[0].write_row(1, 0, ["1", "张三"])
    wb.close()
    extra = (
        f'<Relationship Id="rId99" Type="{REL}sharedStrings" Target="sharedStrings.xml"/>'
        "</Relationships>"
    ).encode()
    rewrite_member(
        path, "xl/_rels/workbook.xml.rels", lambda data: data.replace(b"</Relationships>", extra)
    )
    return path


LEFT_TO_OPENPYXL: dict[str, Callable[[Path], Path]] = {
    "1904 as 1": date1904("1"),
    "1904 as true": date1904("true"),
    "1904 as TRUE": date1904("TRUE"),
    "strict namespace": strict_namespace,
    "workbook part outside xl": workbook_moved,
    "another worksheet's part missing": other_sheet_missing,
    "two shared-strings parts": two_shared_strings,
}


@pytest.mark.parametrize("case", list(LEFT_TO_OPENPYXL))
def test_a_workbook_light_workbook_cannot_judge_gives_none(tmp_path: Path, case: str) -> None:
    assert light(plain(tmp_path)) is not None  # before the edit
    assert light(LEFT_TO_OPENPYXL[case](tmp_path)) is None


@pytest.mark.parametrize("case", list(LEFT_TO_OPENPYXL))
def test_such_a_workbook_is_read_without_calamine_as_the_expat_path_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    path = LEFT_TO_OPENPYXL[case](tmp_path)
    fast, slow, titles = read_both_ways(path, monkeypatch, calamine=False)
    assert titles == []  # openpyxl's path never hands the sheet to calamine
    assert fast.rows == slow.rows
    assert [(r.row, r.values["name"]) for r in fast.rows] == [(2, "张三")]


@pytest.mark.parametrize("flag", ["0", "false"])
def test_an_explicit_1900_date_system_stays_on_the_light_path(tmp_path: Path, flag: str) -> None:
    path = date1904(flag)(tmp_path)
    assert light_sheets(path)[0] == ("名册", "visible", "xl/worksheets/sheet1.xml")


def test_1904_workbooks_written_by_openpyxl_and_xlsxwriter_are_left_to_openpyxl(
    tmp_path: Path,
) -> None:
    by_openpyxl = make_xlsx(tmp_path / "a.xlsx", [HEADERS], epoch_1904=True)
    by_xlsxwriter = tmp_path / "b.xlsx"
    wb = xlsxwriter.Workbook(str(by_xlsxwriter), {"date_1904": True})
    wb.add_worksheet().write_row(0, 0, HEADERS)
    wb.close()
    assert light(by_openpyxl) is None
    assert light(by_xlsxwriter) is None


def test_a_1904_workbook_still_reads_its_dates_right_through_read_rows(tmp_path: Path) -> None:
    path = make_xlsx(
        tmp_path / "mac.xlsx", [HEADERS, ["1", "张三", datetime(2024, 3, 1)]], epoch_1904=True
    )
    table = read_rows(path, SPECS)
    assert [r.values for r in table.rows] == [
        {"learner_no": "1", "name": "张三", "birth": "2024-03-01"}
    ]


def test_a_shared_strings_relationship_to_a_missing_part_gives_none(tmp_path: Path) -> None:
    path = xlsxwriter_book(tmp_path / "x.xlsx")
    drop_member(path, "xl/sharedStrings.xml")
    assert light(path) is None


def test_an_office_document_relationship_to_a_missing_part_gives_none(tmp_path: Path) -> None:
    path = plain(tmp_path)
    rewrite_member(
        path, "_rels/.rels", lambda data: data.replace(b"xl/workbook.xml", b"xl/nowhere.xml")
    )
    assert light(path) is None


# --- the same ParsedRows on the calamine path and on the expat/openpyxl path --------------


def with_extra_sheets(path: Path) -> Path:
    wb = openpyxl.Workbook()
    hidden = wb.active
    assert hidden is not None
    hidden.title = "说明"
    hidden.sheet_state = "hidden"
    hidden.append(["学号", "姓名"])
    hidden.append(["decoy", "不应读取"])
    first = wb.create_sheet("第一页")
    first.append(HEADERS)
    first.append(["1", "张三", datetime(1990, 1, 2)])
    second = wb.create_sheet(" 2026 年 教师名单 ")
    second.append(["2026 年教师名册"])
    second.append([])
    second.append(HEADERS)
    second.append(["2", "李四", "1991-02-03"])
    second.append([3, None, None])
    second.append(["2", "王五", None])
    wb.save(path)
    return path


def read_both_ways(
    path: Path, monkeypatch: pytest.MonkeyPatch, *, calamine: bool = True, **kwargs: Any
) -> tuple[ParsedTable, ParsedTable, list[str]]:
    """read_rows with USE_CALAMINE on (with `calamine`, openpyxl must not open the workbook)
    and off, and the titles of the CalamineSheets made meanwhile."""
    titles: list[str] = []
    original = calamine_path.CalamineSheet

    class Spy(original):  # type: ignore[misc, valid-type]
        def __init__(self, where: Path, title: str) -> None:
            titles.append(title)
            super().__init__(where, title)

    def no_openpyxl(handle: object) -> object:
        raise AssertionError("openpyxl opened the workbook on the calamine path")

    with monkeypatch.context() as mp:
        mp.setattr(xlsx_reader, "USE_CALAMINE", True)
        mp.setattr(calamine_path, "CalamineSheet", Spy)
        if calamine:
            mp.setattr(xlsx_reader, "_load_book", no_openpyxl)
        fast = read_rows(path, SPECS, **kwargs)
    with monkeypatch.context() as mp:
        mp.setattr(xlsx_reader, "USE_CALAMINE", False)
        slow = read_rows(path, SPECS, **kwargs)
    return fast, slow, titles


def test_a_hidden_first_sheet_is_skipped_on_the_light_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = with_extra_sheets(tmp_path / "t.xlsx")
    fast, slow, titles = read_both_ways(path, monkeypatch)
    assert titles == ["第一页"]
    assert fast.sheet_name == slow.sheet_name == "第一页"
    assert fast.rows == slow.rows
    assert [(r.row, r.values) for r in fast.rows] == [
        (2, {"learner_no": "1", "name": "张三", "birth": "1990-01-02"})
    ]


@pytest.mark.parametrize("asked", [" 2026 年 教师名单 ", "2026年教师名单"])
def test_a_sheet_chosen_by_name_reads_the_same_on_both_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, asked: str
) -> None:
    path = with_extra_sheets(tmp_path / "t.xlsx")
    fast, slow, titles = read_both_ways(path, monkeypatch, sheet=asked)
    assert titles == [" 2026 年 教师名单 "]
    assert fast.sheet_name == slow.sheet_name == " 2026 年 教师名单 "
    assert fast.header_row == slow.header_row == 3
    assert fast.rows == slow.rows
    assert [r.row for r in fast.rows] == [4, 5, 6]
    assert [i.code for i in fast.issues] == [i.code for i in slow.issues]
    assert {i.code for i in fast.issues} == {"required", "duplicate-in-file"}


@pytest.mark.parametrize(
    "title", ["教师 名单", "R&D <2026> 'a' 表", "Sheet 1 (副本)", "名册_x0041_"]
)
def test_a_title_with_spaces_chinese_or_markup_reads_the_same_on_both_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, title: str
) -> None:
    path = make_xlsx(
        tmp_path / "t.xlsx",
        [HEADERS, ["1", "张三", datetime(1990, 1, 2)], [2, "李四", None], ["1", None, "x"]],
        sheet_title=title,
        hidden_first=True,
    )
    fast, slow, titles = read_both_ways(path, monkeypatch)
    assert titles == [title]
    assert fast.sheet_name == slow.sheet_name == title
    assert fast.rows == slow.rows
    assert len(fast.rows) == 3
    by_name, _, _ = read_both_ways(path, monkeypatch, sheet=title)
    assert by_name.rows == fast.rows


def test_an_unknown_sheet_name_is_refused_alike_on_both_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = with_extra_sheets(tmp_path / "t.xlsx")
    messages = []
    for use_calamine in (True, False):
        monkeypatch.setattr(xlsx_reader, "USE_CALAMINE", use_calamine)
        with pytest.raises(FileRejected) as caught:
            read_rows(path, SPECS, sheet="图表")
        messages.append(caught.value.message)
    assert messages[0] == messages[1]
    assert "说明、第一页、 2026 年 教师名单 " in messages[0]


# --- helpers that edit packages ---------------------------------------------------------


def members(path: Path) -> list[tuple[zipfile.ZipInfo, bytes]]:
    with zipfile.ZipFile(path) as zf:
        return [(info, zf.read(info)) for info in zf.infolist()]


def drop_member(path: Path, member: str) -> None:
    everything = members(path)
    parts = [(info, data) for info, data in everything if info.filename != member]
    assert len(parts) == len(everything) - 1
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in parts:
            zf.writestr(info, data)


def move_workbook_part(path: Path, new: str) -> None:
    """Move xl/workbook.xml (and its relationships) to `new`, as OPC allows."""
    folder, _, name = new.rpartition("/")
    parts = {info.filename: data for info, data in members(path)}
    book = parts.pop("xl/workbook.xml")
    rels = parts.pop("xl/_rels/workbook.xml.rels")
    depth = "../" * (folder.count("/") + 1)
    rels = rels.replace(b'Target="styles.xml"', f'Target="{depth}xl/styles.xml"'.encode())
    rels = rels.replace(b'Target="theme/', f'Target="{depth}xl/theme/'.encode())
    parts[new] = book
    parts[f"{folder}/_rels/{name}.rels"] = rels
    parts["_rels/.rels"] = parts["_rels/.rels"].replace(b"xl/workbook.xml", new.encode())
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"/xl/workbook.xml", f"/{new}".encode()
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, data in parts.items():
            zf.writestr(member, data)


def set_workbook_pr(path: Path, element: str) -> None:
    def transform(data: bytes) -> bytes:
        start = data.find(b"<workbookPr")
        if start < 0:
            return data.replace(b"<bookViews>", element.encode() + b"<bookViews>", 1)
        end = data.index(b">", start) + 1
        return data[:start] + element.encode() + data[end:]

    rewrite_member(path, "xl/workbook.xml", transform)
    with zipfile.ZipFile(path) as zf:
        assert element.encode() in zf.read("xl/workbook.xml")


@pytest.mark.parametrize("member", ["xl/workbook.xml", "xl/_rels/workbook.xml.rels", "_rels/.rels"])
def test_a_package_part_that_is_not_xml_is_judged_and_worded_by_openpyxl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, member: str
) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [HEADERS, ["1", "张三", None]])
    rewrite_member(path, member, lambda data: data[: len(data) // 2])  # cut off mid-element
    with zipfile.ZipFile(path) as zf:
        with pytest.raises(Exception):  # noqa: B017 - whatever the XML parser raises
            light_workbook(zf)

    def outcome() -> object:
        try:
            return read_rows(path, SPECS).rows
        except FileRejected as exc:
            return exc.message

    fast = outcome()
    monkeypatch.setattr(xlsx_reader, "USE_CALAMINE", False)
    assert fast == outcome()  # openpyxl's verdict (rows, or its message) either way

"""importers.reader: sniffing, safety caps, header detection, xlsx and csv rows."""

from __future__ import annotations

import hashlib
import random
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
import xlsxwriter
from openpyxl import load_workbook

from jjadmin.errors import FileRejected
from jjadmin.importers import xlsx as xlsx_reader
from jjadmin.importers.reader import (
    CellProblem,
    RawRow,
    ZipLimits,
    file_sha256,
    normalize_header,
    open_table,
)
from tests.xlsx_helpers import make_xlsx, rewrite_member, set_dimension

HEADERS = ["学号", "姓名", "出生日期"]


@pytest.fixture(params=["fast", "openpyxl"])
def both_readers(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run an xlsx test with the lean expat reader and with openpyxl's fallback reader."""
    monkeypatch.setattr(xlsx_reader, "USE_FAST_XLSX", request.param == "fast")
    return str(request.param)


both = pytest.mark.usefixtures("both_readers")


def read_all(path: Path, **kwargs: object) -> tuple[list[str], int, list[RawRow]]:
    with open_table(path, header_candidates=HEADERS, **kwargs) as table:  # type: ignore[arg-type]
        return table.headers, table.header_row, list(table)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" 学号 ", "学号"),
        ("\u3000姓名\u00a0", "姓名"),
        ("学号*", "学号"),
        ("学号 *", "学号"),
        ("成绩（0-100）", "成绩(0-100)"),
        ("ＡＢＣ", "ABC"),
        (None, ""),
        (123.0, "123"),
    ],
)
def test_headers_are_normalized(raw: object, expected: str) -> None:
    assert normalize_header(raw) == expected


@both
def test_xlsx_rows_come_back_with_their_spreadsheet_row_numbers(tmp_path: Path) -> None:
    path = make_xlsx(
        tmp_path / "t.xlsx",
        [
            HEADERS,
            [20230001.0, "张三", datetime(1990, 1, 2)],
            [None, None, None],
            ["20230002", "李四", "1991-02-03"],
        ],
    )
    with open_table(path, header_candidates=HEADERS) as table:
        assert table.file_kind == "xlsx"
        assert table.sheet_name == "Sheet1"
        assert table.headers == HEADERS
        assert table.header_row == 1
        rows = list(table)
    assert [r.number for r in rows] == [2, 4]
    first, second = rows
    assert first.values[0] == 20230001  # Excel float ID, delivered as a number
    assert first.values[2] == datetime(1990, 1, 2)
    assert second.values == ("20230002", "李四", "1991-02-03")


@both
def test_shared_strings_and_rich_text_written_by_xlsxwriter_are_read(tmp_path: Path) -> None:
    path = tmp_path / "ss.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("名册")
    bold = wb.add_format({"bold": True})
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, HEADERS)
    ws.write_string(1, 0, "20230001")
    ws.write_rich_string(1, 1, bold, "张", "三")
    ws.write_datetime(1, 2, datetime(1990, 1, 2), day)
    ws.write_number(2, 0, 20230002)
    ws.write_string(2, 1, " 李四 ")
    ws.write_string(2, 2, "   ")
    ws.write_string(4, 1, "王五")
    wb.close()
    with zipfile.ZipFile(path) as zf:
        assert "xl/sharedStrings.xml" in zf.namelist()
    headers, _, rows = read_all(path)
    assert headers == HEADERS
    assert [(r.number, r.values) for r in rows] == [
        (2, ("20230001", "张三", datetime(1990, 1, 2))),
        (3, (20230002, " 李四 ", None)),
        (5, (None, "王五", None)),
    ]


@both
def test_a_1904_based_workbook_gives_the_right_dates(tmp_path: Path) -> None:
    path = make_xlsx(
        tmp_path / "mac.xlsx",
        [HEADERS, ["1", "张三", datetime(2024, 3, 1)], ["2", "李四", datetime(1904, 1, 5)]],
        epoch_1904=True,
    )
    with zipfile.ZipFile(path) as zf:
        assert b"date1904" in zf.read("xl/workbook.xml")
    _, _, rows = read_all(path)
    assert rows[0].values[2] == datetime(2024, 3, 1)
    assert rows[1].values[2] == datetime(1904, 1, 5)


@both
def test_merged_title_rows_above_the_header_are_skipped(tmp_path: Path) -> None:
    path = make_xlsx(
        tmp_path / "t.xlsx", [HEADERS, ["1", "张三", None]], title_row="2026 年教师名册"
    )
    headers, header_row, rows = read_all(path)
    assert headers == HEADERS
    assert header_row == 3
    assert [r.number for r in rows] == [4]


def test_without_candidates_the_first_non_blank_row_is_the_header(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [HEADERS, ["1", "张三", None]], title_row="标题")
    with open_table(path) as table:
        assert table.header_row == 1
        assert table.headers == ["标题"]


@both
def test_the_first_visible_sheet_is_read_when_the_first_sheet_is_hidden(tmp_path: Path) -> None:
    path = make_xlsx(
        tmp_path / "t.xlsx", [HEADERS, ["1", "张三", None]], sheet_title="名册", hidden_first=True
    )
    with open_table(path, header_candidates=HEADERS) as table:
        assert table.sheet_name == "名册"
        assert [r.values[1] for r in table] == ["张三"]


def test_a_sheet_can_be_chosen_by_name(tmp_path: Path) -> None:
    path = make_xlsx(
        tmp_path / "t.xlsx",
        [HEADERS, ["1", "张三", None]],
        extra_sheets={"第二页": [HEADERS, ["2", "李四", None]]},
    )
    with open_table(path, sheet="第二页", header_candidates=HEADERS) as table:
        assert [r.values[1] for r in table] == ["李四"]


def test_an_unknown_sheet_name_is_rejected_naming_the_available_sheets(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [HEADERS], extra_sheets={"第二页": [HEADERS]})
    with pytest.raises(FileRejected, match="没有名为“名册”的工作表.*Sheet1、第二页"):
        open_table(path, sheet="名册")


@both
def test_trailing_styled_blank_rows_are_ignored(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [HEADERS, ["1", "张三", None]], styled_blank_rows=200)
    _, _, rows = read_all(path)
    assert [r.number for r in rows] == [2]


@both
def test_a_claimed_dimension_smaller_than_the_data_is_not_trusted(tmp_path: Path) -> None:
    data = [HEADERS] + [[str(i), f"教师{i}", None] for i in range(1, 11)]
    path = make_xlsx(tmp_path / "t.xlsx", data)
    set_dimension(path, "A1:B2")
    headers, _, rows = read_all(path)
    assert headers == HEADERS
    assert len(rows) == 10
    assert rows[-1].number == 11
    assert all(len(r.values) == 3 for r in rows)


@both
def test_a_claimed_dimension_not_starting_at_a1_is_not_trusted(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [HEADERS, ["1", "张三", None]])
    set_dimension(path, "B2:B2")
    headers, header_row, rows = read_all(path)
    assert (headers, header_row) == (HEADERS, 1)
    assert rows[0].values[:2] == ("1", "张三")


@both
def test_formula_and_error_cells_are_reported_as_problems(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [HEADERS, ["=1+1", "#N/A", None]])
    _, _, rows = read_all(path)
    assert rows[0].values[0] == CellProblem("formula", "=1+1")
    assert rows[0].values[1] == CellProblem("error", "#N/A")


@both
def test_rows_are_padded_to_the_header_width(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [HEADERS, ["1"], ["2", "李四", None, "多余"]])
    _, _, rows = read_all(path)
    assert [r.values for r in rows] == [("1", None, None), ("2", "李四", None)]


@both
def test_a_header_only_file_has_zero_rows(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [HEADERS])
    assert read_all(path) == (HEADERS, 1, [])


@both
def test_an_empty_sheet_is_rejected(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [])
    with pytest.raises(FileRejected, match="没有找到表头行"):
        open_table(path)


@both
def test_more_xlsx_rows_than_the_limit_are_rejected(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [HEADERS] + [[str(i), "x", None] for i in range(6)])
    assert len(read_all(path, max_rows=6)[2]) == 6
    with pytest.raises(FileRejected, match="数据行数超过上限 5 行（JJADMIN_MAX_ROWS）"):
        read_all(path, max_rows=5)


@both
def test_a_row_number_beyond_excel_limits_is_rejected(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [HEADERS, ["1", "张三", None]])

    def far_row(data: bytes) -> bytes:
        return data.replace(b'<row r="2"', b'<row r="1048577"').replace(b'r="A2"', b'r="A1048577"')

    rewrite_member(path, "xl/worksheets/sheet1.xml", far_row)
    with pytest.raises(FileRejected, match="超出 Excel 上限"):
        read_all(path)


HAND_WRITTEN_SHEET = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<x:dimension ref="A1"/>
<x:sheetData>
<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>学号</x:t></x:is></x:c>
<x:c t="inlineStr"><x:is><x:r><x:t>姓</x:t></x:r><x:r><x:t>名</x:t></x:r>\
<x:rPh sb="0" eb="2"><x:t>xingming</x:t></x:rPh></x:is></x:c>
<x:c t="inlineStr"><x:is><x:t>出生日期</x:t></x:is></x:c></x:row>
<x:row><x:c t="str"><x:v>001 &amp; 002</x:v></x:c><x:c t="b"><x:v>1</x:v></x:c>\
<x:c t="d"><x:v>2024-03-01T00:00:00</x:v></x:c></x:row>
<x:row r="5"><x:c r="C5"><x:v>1.5E3</x:v></x:c><x:c r="A5" t="str"><x:f>A1&amp;"x"</x:f>\
<x:v>学号x</x:v></x:c></x:row>
<x:row r="6"><x:c r="A6" t="e"><x:v>#DIV/0!</x:v></x:c>\
<x:c r="B6"><x:f t="shared" ref="B6" si="0">1+2</x:f><x:v>3</x:v></x:c>\
<x:c r="C6" t="inlineStr"><x:is><x:t xml:space="preserve">   </x:t></x:is></x:c>\
</x:row>
</x:sheetData>
</x:worksheet>
"""


@both
def test_hand_written_sheet_xml_with_prefixes_and_every_cell_type(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [["placeholder"]])
    rewrite_member(path, "xl/worksheets/sheet1.xml", lambda _d: HAND_WRITTEN_SHEET.encode("utf-8"))
    headers, header_row, rows = read_all(path)
    assert (headers, header_row) == (HEADERS, 1)
    assert [(r.number, r.values) for r in rows] == [
        (2, ("001 & 002", True, datetime(2024, 3, 1))),
        (5, (CellProblem("formula", '=A1&"x"'), None, 1500.0)),
        (6, (CellProblem("error", "#DIV/0!"), CellProblem("formula", "=1+2"), None)),
    ]


def test_the_fast_reader_undoes_ooxml_character_escapes(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [["学号", "姓名"], ["a_x000D_b", "_x005F_x0041_"]])
    headers, _, rows = read_all(path)
    assert rows[0].values == ("a\rb", "_x0041_")


def test_the_fast_reader_refuses_a_doctype_inside_the_sheet(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [HEADERS])
    padded = "<!--" + "x" * 5000 + '--><!DOCTYPE x [<!ENTITY a "b">]><worksheet/>'
    rewrite_member(path, "xl/worksheets/sheet1.xml", lambda _d: padded.encode())
    with pytest.raises(FileRejected, match="DOCTYPE/ENTITY"):
        read_all(path, limits=ZipLimits(xml_prolog_bytes=10_000))


FUZZ_TOKENS = [b"<", b">", b"&", b'"', b'r="XFD1048576"', b'r="A0"', b't="s"', b"<v>99999</v>"]
FUZZ_TOKENS += [b't="d"', b't="e"', b's="99"', b"<f>", b"\x00", b"\xff", b"<v>1e400</v>"]


def make_shared_strings_xlsx(path: Path) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, HEADERS)
    ws.write_row(1, 0, ["1", "张三"])
    ws.write_rich_string(2, 1, wb.add_format({"bold": True}), "李", "四")
    ws.write_datetime(2, 2, datetime(1990, 1, 2), wb.add_format({"num_format": "yyyy-mm-dd"}))
    ws.write_formula(3, 0, "=1+1", None, 2)
    wb.close()
    return path


@both
@pytest.mark.parametrize("writer", ["openpyxl", "xlsxwriter"])
def test_mutated_workbooks_are_read_or_rejected_never_crash(tmp_path: Path, writer: str) -> None:
    if writer == "xlsxwriter":
        source = make_shared_strings_xlsx(tmp_path / "src.xlsx")
    else:
        source = make_xlsx(
            tmp_path / "src.xlsx",
            [HEADERS, ["1", "张三", datetime(1990, 1, 2)], [2.5, "=A1", "#N/A"], [3, True, "x"]],
        )
    with zipfile.ZipFile(source) as zf:
        parts = {info.filename: zf.read(info) for info in zf.infolist()}
    rng = random.Random(20260315)
    xml_parts = [name for name in parts if name.startswith("xl/")]
    for n in range(30):
        member = rng.choice(["xl/worksheets/sheet1.xml", *xml_parts])
        data = bytearray(parts[member])
        for _ in range(rng.randint(1, 3)):
            pos = rng.randrange(len(data) + 1)
            if rng.random() < 0.5:
                del data[pos : pos + rng.randint(1, 8)]
            else:
                data[pos:pos] = rng.choice(FUZZ_TOKENS)
        target = tmp_path / f"m{n}.xlsx"
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, body in parts.items():
                zf.writestr(name, bytes(data) if name == member else body)
        try:
            read_all(target)
        except FileRejected as exc:
            assert exc.message


# --- sniffing and safety ---------------------------------------------------------------------


def test_an_empty_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    path.write_bytes(b"")
    with pytest.raises(FileRejected, match="文件是空的"):
        open_table(path)


def test_a_missing_file_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(FileRejected, match="找不到文件"):
        open_table(tmp_path / "nope.xlsx")


def test_an_xlsx_that_is_really_text_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    path.write_text("学号,姓名\n1,张三\n", encoding="utf-8")
    with pytest.raises(FileRejected, match="不是有效的 xlsx 工作簿"):
        open_table(path)


def test_a_damaged_ole2_file_is_rejected_as_such(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    with pytest.raises(FileRejected, match="Office 97–2003 格式.*已损坏或被截断"):
        open_table(path)


def test_a_zip_named_csv_is_still_read_as_xlsx(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [HEADERS, ["1", "张三", None]])
    renamed = path.rename(tmp_path / "t.csv")
    with open_table(renamed, header_candidates=HEADERS) as table:
        assert table.file_kind == "xlsx"
        assert len(list(table)) == 1


@both
def test_a_truncated_xlsx_is_rejected_cleanly(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [HEADERS] + [[str(i), "x", None] for i in range(50)])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(FileRejected, match="不是有效的 xlsx 工作簿"):
        read_all(path)


def test_a_zip_that_is_not_a_workbook_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("hello.txt", "hi")
    with pytest.raises(FileRejected, match="不是有效的 xlsx 工作簿"):
        open_table(path)


@both
def test_a_corrupt_sheet_xml_is_rejected_cleanly(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [HEADERS, ["1", "张三", None]])
    rewrite_member(path, "xl/worksheets/sheet1.xml", lambda d: d[: len(d) // 2])
    with pytest.raises(FileRejected):
        read_all(path)


def test_a_zip_bomb_is_rejected_by_compression_ratio(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [HEADERS])
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/media/zeros.bin", b"\0" * 2_000_000)
    limits = ZipLimits(ratio_min_bytes=1_000_000)
    with pytest.raises(FileRejected, match="压缩炸弹"):
        open_table(path, limits=limits)


def test_a_workbook_too_large_when_unzipped_is_rejected(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [HEADERS])
    with pytest.raises(FileRejected, match="解压后超过"):
        open_table(path, limits=ZipLimits(max_total_bytes=1000))


def test_the_unzipped_size_cap_can_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [HEADERS])
    monkeypatch.setenv("JJADMIN_MAX_UNZIPPED_BYTES", "1000")
    with pytest.raises(FileRejected, match="解压后超过"):
        open_table(path)


def test_too_many_zip_entries_are_rejected(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [HEADERS])
    with pytest.raises(FileRejected, match="内部文件"):
        open_table(path, limits=ZipLimits(max_entries=3))


@pytest.mark.parametrize(
    "prolog",
    [
        b'<!DOCTYPE lolz [<!ENTITY lol "lol">]>',
        b'<!ENTITY % x SYSTEM "file:///etc/passwd">',
    ],
)
def test_xml_entity_declarations_are_rejected(tmp_path: Path, prolog: bytes) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [HEADERS, ["1", "张三", None]])

    def inject(data: bytes) -> bytes:
        head, sep, rest = data.partition(b"?>")
        return head + sep + prolog + rest

    rewrite_member(path, "xl/worksheets/sheet1.xml", inject)
    with pytest.raises(FileRejected, match="DOCTYPE/ENTITY"):
        open_table(path)


def test_a_utf16_encoded_doctype_is_rejected_too(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [HEADERS])
    doc = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "b">]><sst/>'
    rewrite_member(path, "xl/workbook.xml", lambda _d: doc.encode("utf-16"))
    with pytest.raises(FileRejected, match="DOCTYPE/ENTITY"):
        open_table(path)


# --- csv -------------------------------------------------------------------------------------

CSV_TEXT = "学号,姓名,出生日期\r\n20230001,张三,1990-01-02\r\n\r\n,,\r\n0002,李四,\r\n"


@pytest.mark.parametrize(
    ("encoding", "reported"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("gbk", "gb18030"),
        ("gb18030", "gb18030"),
        ("utf-16", "utf-16"),
        ("utf-16-be", "utf-16"),
    ],
)
def test_csv_encodings_are_detected_on_the_whole_file(
    tmp_path: Path, encoding: str, reported: str
) -> None:
    path = tmp_path / "t.csv"
    data = CSV_TEXT.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    path.write_bytes(data)
    with open_table(path, header_candidates=HEADERS) as table:
        assert table.file_kind == "csv"
        assert table.encoding == reported
        assert table.headers == HEADERS
        rows = list(table)
    assert [r.number for r in rows] == [2, 5]
    assert rows[0].values == ("20230001", "张三", "1990-01-02")
    assert rows[1].values == ("0002", "李四", None)


def test_gbk_beyond_the_first_megabyte_decides_the_encoding(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    lines = ["学号,姓名,出生日期"] + [f"{i},abc,2000-01-01" for i in range(80_000)]
    lines.append("99,张三,2000-01-01")
    path.write_bytes("\n".join(lines).encode("gbk"))
    with open_table(path, header_candidates=HEADERS) as table:
        assert table.encoding == "gb18030"
        assert list(table)[-1].values[1] == "张三"


def test_a_csv_in_neither_utf8_nor_gb18030_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"a,b\n" + b"\x80\xff\xfe\x81\x30" * 20)
    with pytest.raises(FileRejected, match="无法识别文件编码"):
        open_table(path)


def test_a_csv_with_null_bytes_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"\xe5\xad\xa6\xe5\x8f\xb7,x\n1\x00,2\n")
    with pytest.raises(FileRejected, match="空字节"):
        open_table(path)


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_the_csv_delimiter_is_sniffed_from_the_header(tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        f"{delimiter.join(HEADERS)}\n1{delimiter}张三, 李{delimiter}\n", encoding="utf-8"
    )
    _, _, rows = read_all(path)
    assert rows[0].values[:1] == ("1",)
    assert len(rows[0].values) == 3


def test_a_header_only_csv_has_zero_rows(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("学号,姓名,出生日期\n", encoding="utf-8")
    assert read_all(path) == (HEADERS, 1, [])


def test_a_blank_lines_only_csv_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("\n\n,,\n", encoding="utf-8")
    with pytest.raises(FileRejected, match="没有找到表头行"):
        open_table(path)


def test_more_csv_rows_than_the_limit_are_rejected_before_reading_rows(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("学号,姓名\n" + "".join(f"{i},x\n" for i in range(11)), encoding="utf-8")
    with pytest.raises(FileRejected, match="数据行数超过上限 10 行"):
        open_table(path, max_rows=10)


def test_csv_blank_lines_do_not_count_towards_the_row_limit(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("学号,姓名\n" + "1,x\n\n\n,\n2,y\n", encoding="utf-8")
    with open_table(path, max_rows=2) as table:
        assert [r.number for r in table] == [2, 6]


def test_quoted_line_breaks_stay_in_one_csv_record(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text('学号,姓名\n1,"张\n三"\n2,李四\n', encoding="utf-8")
    with open_table(path, header_candidates=HEADERS) as table:
        rows = list(table)
    assert [r.values for r in rows] == [("1", "张\n三"), ("2", "李四")]
    assert [r.number for r in rows] == [2, 3]


def test_an_xls_that_is_really_a_web_page_is_rejected_as_such(tmp_path: Path) -> None:
    path = tmp_path / "t.xls"
    path.write_text("<html><table></table></html>", encoding="utf-8")
    with pytest.raises(FileRejected, match="内容却是网页"):
        open_table(path)


def test_file_sha256_hashes_the_bytes(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"abc")
    assert file_sha256(path) == hashlib.sha256(b"abc").hexdigest()


def test_the_table_can_be_iterated_twice_and_closed_twice(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [HEADERS, ["1", "张三", None]])
    table = open_table(path, header_candidates=HEADERS)
    assert len(list(table)) == len(list(table)) == 1
    table.close()
    table.close()


def test_openpyxl_sees_the_helper_hidden_sheet(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [HEADERS], hidden_first=True)
    wb = load_workbook(path, read_only=True)
    assert wb.worksheets[0].sheet_state == "hidden"
    wb.close()

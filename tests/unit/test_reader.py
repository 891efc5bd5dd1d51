"""importers.reader: sniffing, safety caps, header detection, xlsx and csv rows."""

from __future__ import annotations

import hashlib
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from jjadmin.errors import FileRejected
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


def test_trailing_styled_blank_rows_are_ignored(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [HEADERS, ["1", "张三", None]], styled_blank_rows=200)
    _, _, rows = read_all(path)
    assert [r.number for r in rows] == [2]


def test_a_claimed_dimension_smaller_than_the_data_is_not_trusted(tmp_path: Path) -> None:
    data = [HEADERS] + [[str(i), f"教师{i}", None] for i in range(1, 11)]
    path = make_xlsx(tmp_path / "t.xlsx", data)
    set_dimension(path, "A1:B2")
    headers, _, rows = read_all(path)
    assert headers == HEADERS
    assert len(rows) == 10
    assert rows[-1].number == 11
    assert all(len(r.values) == 3 for r in rows)


def test_a_claimed_dimension_not_starting_at_a1_is_not_trusted(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [HEADERS, ["1", "张三", None]])
    set_dimension(path, "B2:B2")
    headers, header_row, rows = read_all(path)
    assert (headers, header_row) == (HEADERS, 1)
    assert rows[0].values[:2] == ("1", "张三")


def test_formula_and_error_cells_are_reported_as_problems(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [HEADERS, ["=1+1", "#N/A", None]])
    _, _, rows = read_all(path)
    assert rows[0].values[0] == CellProblem("formula", "=1+1")
    assert rows[0].values[1] == CellProblem("error", "#N/A")


def test_rows_are_padded_to_the_header_width(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [HEADERS, ["1"], ["2", "李四", None, "多余"]])
    _, _, rows = read_all(path)
    assert [r.values for r in rows] == [("1", None, None), ("2", "李四", None)]


def test_a_header_only_file_has_zero_rows(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [HEADERS])
    assert read_all(path) == (HEADERS, 1, [])


def test_an_empty_sheet_is_rejected(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [])
    with pytest.raises(FileRejected, match="没有找到表头行"):
        open_table(path)


def test_more_xlsx_rows_than_the_limit_are_rejected(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [HEADERS] + [[str(i), "x", None] for i in range(6)])
    assert len(read_all(path, max_rows=6)[2]) == 6
    with pytest.raises(FileRejected, match="数据行数超过上限 5 行（JJADMIN_MAX_ROWS）"):
        read_all(path, max_rows=5)


def test_a_row_number_beyond_excel_limits_is_rejected(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [HEADERS, ["1", "张三", None]])

    def far_row(data: bytes) -> bytes:
        return data.replace(b'<row r="2"', b'<row r="1048577"').replace(b'r="A2"', b'r="A1048577"')

    rewrite_member(path, "xl/worksheets/sheet1.xml", far_row)
    with pytest.raises(FileRejected, match="超出 Excel 上限"):
        read_all(path)


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


def test_an_ole2_file_is_rejected_as_encrypted_or_legacy(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    with pytest.raises(FileRejected, match="加密的工作簿或旧版 .xls"):
        open_table(path)


def test_a_zip_named_csv_is_still_read_as_xlsx(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [HEADERS, ["1", "张三", None]])
    renamed = path.rename(tmp_path / "t.csv")
    with open_table(renamed, header_candidates=HEADERS) as table:
        assert table.file_kind == "xlsx"
        assert len(list(table)) == 1


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


def test_a_legacy_xls_that_is_not_ole2_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "t.xls"
    path.write_text("<html><table></table></html>", encoding="utf-8")
    with pytest.raises(FileRejected, match="旧版 .xls"):
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

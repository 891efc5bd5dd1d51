"""The 教师 sheet at the format level: nasty spreadsheets built in the tests (no DB)."""

from __future__ import annotations

import random
from datetime import date, datetime
from pathlib import Path

import pytest

from jjadmin.errors import FileRejected, InvalidValue
from jjadmin.importers.columns import ParsedTable, read_rows
from jjadmin.importers.common import bulk_allocation
from jjadmin.importers.teacher import (
    TEACHER_HEADERS,
    fast_id_parser,
    fast_mobile,
    memoised,
    teacher_columns,
)
from jjadmin.rules.ids import IdNumber, normalize_mobile, parse_id_number
from jjadmin.services.teachers import normalize_name
from tests.factories import id_number
from tests.xlsx_helpers import make_xlsx

TODAY = date(2026, 3, 15)
ID_M = id_number(birth="19900101", seq=11, male=True)
ID_F = id_number(birth="19851231", seq=12, male=False)


def row(ident: object = ID_M, **over: object) -> list[object]:
    values: dict[str, object] = {
        "学号": None,
        "姓名": "张三",
        "身份证号": ident,
        "性别": None,
        "出生日期": None,
        "手机号": "13800138000",
        "学校代码": "4401040001",
        "任教学段": "小学",
        "任教学科": "语文",
        "职称": "一级教师",
        "在岗状态": "在职",
        "电子邮箱": None,
        "通讯地址": None,
    }
    values.update(over)
    return [values[h] for h in TEACHER_HEADERS]


def read(path: Path) -> ParsedTable:
    return read_rows(path, teacher_columns(TODAY))


def codes(table: ParsedTable) -> list[tuple[int, str | None, str]]:
    return [(i.row, i.column, i.code) for i in table.issues]


def test_a_clean_row_parses_into_typed_values(tmp_path: Path) -> None:
    table = read(make_xlsx(tmp_path / "t.xlsx", [list(TEACHER_HEADERS), row()]))
    assert table.issues == []
    (parsed,) = table.rows
    ident = parsed.values["id_number"]
    assert isinstance(ident, IdNumber)
    assert (ident.value, ident.gender, ident.birth_date) == (ID_M, "男", date(1990, 1, 1))
    assert parsed.values["school_code"] == "4401040001"
    assert parsed.values["status"] == "在职"


def test_an_id_number_read_as_a_number_is_rejected_as_corrupted(tmp_path: Path) -> None:
    table = read(
        make_xlsx(tmp_path / "t.xlsx", [list(TEACHER_HEADERS), row(float(ID_M[:17] + "1"))])
    )
    assert codes(table) == [(2, "身份证号", "id-corrupted-number")]
    assert "文本格式" in table.issues[0].message


def test_a_numeric_school_code_and_mobile_are_accepted(tmp_path: Path) -> None:
    path = make_xlsx(
        tmp_path / "t.xlsx",
        [list(TEACHER_HEADERS), row(学校代码=4401040001, 手机号=13800138000)],
    )
    table = read(path)
    assert table.issues == []
    assert table.rows[0].values["school_code"] == "4401040001"
    assert table.rows[0].values["mobile"] == "13800138000"


@pytest.mark.parametrize(
    "birth",
    [datetime(1990, 1, 1), date(1990, 1, 1), "1990-01-01", "1990/1/1", "1990年1月1日", "19900101"],
)
def test_birth_dates_as_date_cells_and_as_text_are_read(tmp_path: Path, birth: object) -> None:
    table = read(make_xlsx(tmp_path / "t.xlsx", [list(TEACHER_HEADERS), row(出生日期=birth)]))
    assert table.issues == []
    assert table.rows[0].values["birth_date"] == date(1990, 1, 1)


def test_a_1904_based_workbook_gives_the_right_birth_date(tmp_path: Path) -> None:
    path = make_xlsx(
        tmp_path / "t.xlsx",
        [list(TEACHER_HEADERS), row(出生日期=date(1990, 1, 1))],
        epoch_1904=True,
    )
    assert read(path).rows[0].values["birth_date"] == date(1990, 1, 1)


def test_a_merged_title_row_above_the_header_is_skipped(tmp_path: Path) -> None:
    path = make_xlsx(
        tmp_path / "t.xlsx", [list(TEACHER_HEADERS), row()], title_row="2026年教师名册"
    )
    table = read(path)
    assert table.header_row == 3
    assert [r.row for r in table.rows] == [4]
    assert table.issues == []


def test_a_hidden_first_sheet_is_not_read(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [list(TEACHER_HEADERS), row()], hidden_first=True)
    table = read(path)
    assert table.sheet_name == "Sheet1"
    assert len(table.rows) == 1


def test_trailing_styled_blank_rows_are_not_rows(tmp_path: Path) -> None:
    path = make_xlsx(
        tmp_path / "t.xlsx", [list(TEACHER_HEADERS), row(), row(ID_F)], styled_blank_rows=30
    )
    assert [r.row for r in read(path).rows] == [2, 3]


def test_extra_columns_are_ignored_with_a_note(tmp_path: Path) -> None:
    headers = [*TEACHER_HEADERS, "备注", "民族"]
    path = make_xlsx(tmp_path / "t.xlsx", [headers, [*row(), "x", "汉"]])
    table = read(path)
    assert table.issues == []
    assert any("备注" in n and "民族" in n for n in table.notes)


def test_a_missing_required_column_is_one_schema_error(tmp_path: Path) -> None:
    headers = [h for h in TEACHER_HEADERS if h != "手机号"]
    values = [v for h, v in zip(TEACHER_HEADERS, row(), strict=True) if h != "手机号"]
    table = read(make_xlsx(tmp_path / "t.xlsx", [headers, values]))
    assert [(i.column, i.code) for i in table.schema_issues] == [("手机号", "missing-column")]
    assert table.rows == []


def test_missing_optional_columns_are_fine(tmp_path: Path) -> None:
    required = ["姓名", "身份证号", "手机号", "学校代码", "任教学段", "任教学科"]
    values = [v for h, v in zip(TEACHER_HEADERS, row(), strict=True) if h in required]
    table = read(make_xlsx(tmp_path / "t.xlsx", [required, values]))
    assert table.issues == []
    assert "title" not in table.rows[0].values


def test_headers_with_spaces_stars_and_full_width_parentheses_match(tmp_path: Path) -> None:
    headers = [f" {h}* " for h in TEACHER_HEADERS]
    assert read(make_xlsx(tmp_path / "t.xlsx", [headers, row()])).issues == []


def test_the_same_id_number_twice_is_an_error_on_the_later_row_naming_the_first(
    tmp_path: Path,
) -> None:
    path = make_xlsx(
        tmp_path / "t.xlsx",
        [list(TEACHER_HEADERS), row(), row(ID_F), row(ID_M.lower() if "X" in ID_M else ID_M)],
    )
    table = read(path)
    assert codes(table) == [(4, "身份证号", "duplicate-in-file")]
    assert "第 2 行" in table.issues[0].message


@pytest.mark.parametrize(
    ("cell", "code"),
    [
        ("440104900101123", "id-15-digit"),
        ("4401041990010112", "id-length"),
        ("710104199001011234", "id-province"),
        ("=A1", "formula-cell"),
    ],
)
def test_bad_id_cells_are_reported_with_their_reason(tmp_path: Path, cell: str, code: str) -> None:
    table = read(make_xlsx(tmp_path / "t.xlsx", [list(TEACHER_HEADERS), row(cell)]))
    assert [(i.column, i.code) for i in table.issues] == [("身份证号", code)]


def test_full_width_digits_and_a_lower_case_x_are_normalised(tmp_path: Path) -> None:
    ident = next(id_number(seq=n) for n in range(1, 5000) if id_number(seq=n).endswith("X"))
    wide = "".join(chr(ord(c) + 0xFEE0) for c in ident[:17]) + "x"
    table = read(make_xlsx(tmp_path / "t.xlsx", [list(TEACHER_HEADERS), row(f"\u3000{wide} ")]))
    assert table.issues == []
    assert table.rows[0].values["id_number"].value == ident  # type: ignore[union-attr]


def test_bad_value_list_cells_mobiles_and_emails_are_row_errors(tmp_path: Path) -> None:
    bad = row(任教学段="大学", 职称="教授", 手机号="12345", 电子邮箱="not-mail", 在岗状态="出国")
    table = read(make_xlsx(tmp_path / "t.xlsx", [list(TEACHER_HEADERS), bad]))
    assert sorted((i.column or "", i.code) for i in table.issues) == [
        ("任教学段", "value-not-in-list"),
        ("在岗状态", "value-not-in-list"),
        ("手机号", "mobile-invalid"),
        ("电子邮箱", "email-invalid"),
        ("职称", "value-not-in-list"),
    ]


def test_an_empty_sheet_is_rejected(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [])
    with pytest.raises(FileRejected, match="没有找到表头行"):
        read(path)


def test_a_header_only_sheet_has_no_rows(tmp_path: Path) -> None:
    table = read(make_xlsx(tmp_path / "t.xlsx", [list(TEACHER_HEADERS)]))
    assert table.rows == [] and table.issues == []


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk"])
def test_csv_in_utf8_with_or_without_bom_or_gbk_is_read(tmp_path: Path, encoding: str) -> None:
    lines = [",".join(TEACHER_HEADERS), ",".join("" if v is None else str(v) for v in row())]
    path = tmp_path / "t.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    table = read(path)
    assert table.issues == []
    assert table.rows[0].values["name"] == "张三"
    assert table.rows[0].values["stage"] == "小学"


def test_the_fast_id_parser_agrees_with_the_rule_on_valid_and_broken_numbers() -> None:
    rng = random.Random(7)
    parse = fast_id_parser(TODAY)
    samples: list[object] = []
    for n in range(400):
        good = id_number(
            region=rng.choice(["440104", "110105", "810000", "710000", "990000"]),
            birth=rng.choice(["19900101", "20000229", "20270101", "19000230", "17990101"]),
            seq=n,
            male=bool(n % 2),
        )
        samples += [good, good[:17] + rng.choice("0123456789X"), good.lower(), f" {good}"]
    samples += [float(ID_M[:17] + "1"), int(ID_M[:17] + "1"), "", "abc", ID_M + "1"]
    for value in samples:
        try:
            expected: object = parse_id_number(value, today=TODAY)
        except InvalidValue as exc:
            expected = exc.code
        try:
            got: object = parse(value)
        except InvalidValue as exc:
            got = exc.code
        assert got == expected, value


@pytest.mark.parametrize(
    "value", ["13800138000", "12800138000", "1380013800", "138 0013 8000", "+8613800138000"]
)
def test_the_fast_mobile_parser_agrees_with_the_rule(value: str) -> None:
    try:
        expected = normalize_mobile(value)
    except InvalidValue as exc:
        expected = exc.code
    try:
        got = fast_mobile(value)
    except InvalidValue as exc:
        got = exc.code
    assert got == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("张三", "张三"),
        ("  欧阳\u3000娜娜 ", "欧阳 娜娜"),
        ("Ｍａｒｙ", "Mary"),
        ("阿依古丽·买买提", "阿依古丽·买买提"),
    ],
)
def test_names_are_normalised(raw: str, expected: str) -> None:
    assert normalize_name(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "张\x07三", "名" * 41])
def test_bad_names_are_rejected(raw: str) -> None:
    with pytest.raises(InvalidValue):
        normalize_name(raw)


def test_a_memoised_parser_raises_every_time_for_a_bad_value() -> None:
    calls: list[object] = []

    def parse(value: object) -> object:
        calls.append(value)
        if value == "bad":
            raise InvalidValue("坏值", code="bad")
        return value

    cached = memoised(parse)
    for _ in range(3):
        with pytest.raises(InvalidValue, match="坏值"):
            cached("bad")
        assert cached("ok") == "ok"
    assert calls == ["bad", "ok"]
    assert cached(["unhashable"]) == ["unhashable"]


def test_bulk_allocation_pauses_the_cyclic_gc_and_restores_it_even_on_error() -> None:
    import gc

    assert gc.isenabled()
    with pytest.raises(RuntimeError), bulk_allocation():
        assert not gc.isenabled()
        raise RuntimeError("boom")
    assert gc.isenabled()
    gc.disable()
    try:
        with bulk_allocation():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()

"""Reading a sheet per block and per column gives what the rules give cell by cell.

`read_rows` parses blocks of rows column by column (each distinct text judged once, list
forms of the teacher parsers) and the calamine path hands over whole column blocks; all of it
must agree with the plain per-cell rules, whatever the block size and the reader.
"""

from __future__ import annotations

import gc
import random
import re
import zipfile
from collections.abc import Callable, Hashable, Sequence
from datetime import date, datetime
from pathlib import Path

import pytest

from jjadmin.errors import FileRejected, InvalidValue
from jjadmin.importers import calamine_path
from jjadmin.importers import xlsx as xlsx_reader
from jjadmin.importers.columns import (
    ColumnSpec,
    ParsedRow,
    _issue,
    _map_columns,
    _parse_cell,
    _unique_key,
    read_rows,
)
from jjadmin.importers.common import bulk_allocation
from jjadmin.importers.reader import CellProblem, open_table
from jjadmin.importers.teacher import (
    TEACHER_HEADERS,
    clean_names,
    fast_id_parsers,
    fast_mobile,
    fast_mobiles,
    teacher_columns,
)
from jjadmin.rules.ids import IdNumber, parse_date, parse_id_number
from jjadmin.services.teachers import normalize_name
from tests.factories import id_number
from tests.xlsx_helpers import make_xlsx

TODAY = date(2026, 3, 15)


def reference(path: Path, specs: Sequence[ColumnSpec]) -> list[ParsedRow]:
    """The rules row by row and cell by cell, over the reader's plain row iterator."""
    candidates = [name for spec in specs for name in (spec.header, *spec.aliases)]
    with open_table(path, header_candidates=candidates) as table:
        columns, _, _ = _map_columns(table.headers, specs, table.header_row)
        first_seen: dict[str, dict[Hashable, int]] = {
            c.spec.key: {} for c in columns if c.spec.unique
        }
        out: list[ParsedRow] = []
        for raw_row in table:
            number, cells = raw_row.number, raw_row.values
            values: dict[str, object] = {}
            found = []
            for column in columns:
                spec, raw = column.spec, cells[column.index]
                value, issue = _parse_cell(number, spec, raw)
                values[spec.key] = value
                if issue is not None:
                    found.append(issue)
                elif spec.unique and value is not None:
                    first = first_seen[spec.key].setdefault(_unique_key(value), number)
                    if first != number:
                        message = f"与第 {first} 行重复"
                        found.append(_issue(number, spec, raw, message, "duplicate-in-file"))
            raw_values = tuple(v.text if isinstance(v, CellProblem) else v for v in cells)
            out.append(ParsedRow(number, values, raw_values, found))
    return out


def typed(rows: Sequence[ParsedRow]) -> list[tuple[object, ...]]:
    """Rows with the type of every value and raw cell (1 == 1.0 == True otherwise)."""
    return [
        (
            r.row,
            [(k, type(v), v) for k, v in r.values.items()],
            [(type(v), v) for v in r.raw],
            r.issues,
        )
        for r in rows
    ]


def parse_hours(value: object) -> float:
    hours = float(str(value))
    if hours < 0:
        raise InvalidValue("学时不能为负数", code="bad-hours")
    return hours


def crash_on_boom(value: object) -> object:
    if value == "boom":
        raise ZeroDivisionError("boom")
    return value


SPECS = [
    ColumnSpec("学号", "learner_no", unique=True),
    ColumnSpec("姓名", "name", required=True),
    ColumnSpec("身份证号", "id_number", required=True, unique=True),
    ColumnSpec("学时", "hours", parse=parse_hours),
    ColumnSpec("备注", "note", parse=crash_on_boom),
]
TEXTS = ["甲", " 乙 ", "   ", "'=丙", "'\t丁", "'", "boom", "1", " 1", "-2", "abc", "A1", " A1"]


def messy_rows(rng: random.Random, count: int) -> list[list[object]]:
    rows: list[list[object]] = [["备注", "学号", "姓名", "身份证号", "学时", "其他"]]
    for i in range(count):
        if i % 37 == 5:
            rows.append([None] * 6)
            continue
        rows.append(
            [
                rng.choice([*TEXTS, None]),
                rng.choice([None, str(i), str(i % 40), " 7 ", "'+8"]),
                rng.choice([*TEXTS, None, None]),
                rng.choice([f"A{i % 300}", f" A{i % 300}", None, "'-1"]),
                rng.choice(["1.5", "-1", "x", None, " 2 "]),
                rng.choice([None, "z"]),
            ]
        )
    return rows


def write_xlsxwriter(path: Path, rows: Sequence[Sequence[object]], at: tuple[int, int]) -> Path:
    """Text cells only (inline strings), starting at (row, col): the calamine path."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet()
    for r, values in enumerate(rows):
        for c, v in enumerate(values):
            if v is not None:
                ws.write_string(at[0] + r, at[1] + c, str(v))
    wb.close()
    return path


@pytest.mark.parametrize("block_rows", [1, 7, 4096])
@pytest.mark.parametrize("use_calamine", [True, False])
def test_text_sheets_parse_as_the_per_cell_rules_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block_rows: int, use_calamine: bool
) -> None:
    monkeypatch.setattr(xlsx_reader, "USE_CALAMINE", use_calamine)
    rows = messy_rows(random.Random(block_rows), 400)
    path = write_xlsxwriter(tmp_path / "t.xlsx", rows, at=(2, 2))
    table = read_rows(path, SPECS, block_rows=block_rows)
    assert typed(table.rows) == typed(reference(path, SPECS))
    assert table.issues  # the sheet is meant to be full of problems


@pytest.mark.parametrize("block_rows", [3, 4096])
def test_mixed_cell_types_and_formulas_parse_as_the_per_cell_rules_do(
    tmp_path: Path, block_rows: int
) -> None:
    rng = random.Random(11)
    rows = messy_rows(rng, 200)
    for values in rows[1:]:
        if values[0] is None and values[1] is None:
            continue
        values[1] = rng.choice([values[1], 7.0, 8, True, datetime(2020, 1, 2)])
        values[4] = rng.choice([values[4], 1.5, -3, "=1+1"])
    path = make_xlsx(tmp_path / "t.xlsx", rows, title_row="名册")
    table = read_rows(path, SPECS, block_rows=block_rows)
    assert typed(table.rows) == typed(reference(path, SPECS))
    assert any(i.code == "formula-cell" for i in table.issues)


def test_csv_parses_as_the_per_cell_rules_do(tmp_path: Path) -> None:
    rows = messy_rows(random.Random(3), 300)
    path = tmp_path / "t.csv"
    lines = [",".join("" if v is None else str(v).replace(",", "") for v in r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert typed(read_rows(path, SPECS, block_rows=5).rows) == typed(reference(path, SPECS))


def test_calamine_column_blocks_hold_the_rows_the_row_iterator_gives(tmp_path: Path) -> None:
    rows = messy_rows(random.Random(5), 120)
    path = write_xlsxwriter(tmp_path / "t.xlsx", rows, at=(3, 1))
    calls: list[int] = []
    original = calamine_path.CalamineSheet.column_blocks

    def spy(self: calamine_path.CalamineSheet, skip: int, width: int, size: int):  # type: ignore[no-untyped-def]
        calls.append(size)
        return original(self, skip, width, size)

    with open_table(path, header_candidates=["姓名"]) as table:
        plain = [(r.number, r.values) for r in table]
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(calamine_path.CalamineSheet, "column_blocks", spy)
            blocks = list(table.blocks(4))
    assert calls == [4]
    per_block = [(n, cells) for b in blocks for n, cells in zip(b.numbers, b.rows, strict=True)]
    assert per_block == plain
    for b in blocks:
        assert [tuple(column) for column in b.columns] == list(zip(*b.rows, strict=True))


def test_the_row_limit_holds_for_column_blocks(tmp_path: Path) -> None:
    rows = [["姓名", "身份证号"], *([f"n{i}", f"i{i}"] for i in range(30))]
    path = write_xlsxwriter(tmp_path / "t.xlsx", rows, at=(0, 0))
    assert len(read_rows(path, SPECS, max_rows=30, block_rows=7).rows) == 30
    with pytest.raises(FileRejected, match="超过上限 29"):
        read_rows(path, SPECS, max_rows=29, block_rows=7)


def test_a_roster_reads_the_same_in_blocks_and_cell_by_cell(tmp_path: Path) -> None:
    rng = random.Random(8)
    rows: list[list[object]] = [list(TEACHER_HEADERS)]
    for n in range(300):
        ident = id_number(birth=f"19{rng.randrange(60, 99)}0{rng.randrange(1, 10)}15", seq=n)
        rows.append(
            [
                None,
                rng.choice(["张三", " 李四", "欧阳\u3000娜娜", "Ｍａｒｙ", "名" * 41]),
                rng.choice([ident, ident, ident.lower(), ident[:17] + "0", f" {ident}"]),
                rng.choice([None, "男", "女"]),
                rng.choice([None, f"19{ident[8:10]}-{ident[10:12]}-{ident[12:14]}", "1990-13-01"]),
                rng.choice(["13800138000", f"139{n:08d}", "1380013800", "+8613800138000"]),
                "4401040001",
                rng.choice(["小学", "初中", "大学"]),
                "语文",
                None,
                "在职",
                rng.choice([None, "a@b.cn", "x"]),
                None,
            ]
        )
    rows.append(list(rows[5]))  # the same teacher twice
    path = write_xlsxwriter(tmp_path / "t.xlsx", rows, at=(0, 0))
    for block_rows in (1, 16, 4096):
        got = read_rows(path, teacher_columns(TODAY), block_rows=block_rows)
        assert typed(got.rows) == typed(reference(path, teacher_columns(TODAY)))
    assert {i.code for i in got.issues} >= {"duplicate-in-file", "id-checksum", "name-invalid"}


def outcome(parse: Callable[[object], object], values: Sequence[object]) -> object:
    try:
        return [parse(v) for v in values]
    except InvalidValue as exc:
        return ("rejected", exc.code)


def many_outcome(parse_many: Callable[[list[str]], Sequence[object]], values: list[str]) -> object:
    try:
        return list(parse_many(values))
    except InvalidValue as exc:
        return ("rejected", exc.code)


def test_the_id_list_parser_agrees_with_the_rule() -> None:
    rng = random.Random(2)
    for trial in range(300):
        one, many = fast_id_parsers(TODAY)
        if trial % 3:
            one(id_number(region="440104"))  # the province is known
        texts = [
            id_number(
                region=rng.choice(["440104", "110105", "440102"]),
                birth=rng.choice(["19900101", "20000229", f"19{rng.randrange(10, 99)}0615"]),
                seq=rng.randrange(1000),
            )
            for _ in range(rng.choice([1, 5, 40]))
        ]
        if trial % 4 == 0:
            i = rng.randrange(len(texts))
            texts[i] = rng.choice(
                [texts[i][:17] + "0", "440104202701010011", "44010419000230001X", "12345"]
            )
        expected = outcome(lambda v: parse_id_number(v, today=TODAY), texts)
        if isinstance(expected, tuple):
            assert isinstance(many_outcome(many, texts), tuple)
        else:
            assert many_outcome(many, texts) == expected
            assert all(type(v) is IdNumber for v in many(texts))


@pytest.mark.parametrize(
    "texts",
    [
        ["13800138000", "19912345678"],
        ["13800138000", "12800138000"],
        ["138 0013 8000", "13800138000"],
        ["+8613800138000"],
        ["１３８００１３８０００"],
    ],
)
def test_the_mobile_list_parser_agrees_with_the_rule(texts: list[str]) -> None:
    assert many_outcome(fast_mobiles, texts) == outcome(fast_mobile, texts)


@pytest.mark.parametrize(
    "texts",
    [
        ["张三", "李四"],
        ["张三", "欧阳 娜娜"],
        ["Ｍａｒｙ"],
        ["e", "\u0301"],
        ["名" * 40, "名" * 41],
        ["张\x07三"],
    ],
)
def test_the_name_list_parser_agrees_with_the_rule(texts: list[str]) -> None:
    assert many_outcome(clean_names, texts) == outcome(normalize_name, texts)


@pytest.mark.parametrize(
    "text",
    [
        "1990-01-02",
        "2000-02-29",
        "1999-02-29",
        "0000-01-01",
        "1990-1-02",
        "1990-01-02 ",
        "19a0-01-02",
    ],
)
def test_iso_dates_parse_as_the_general_rule_does(text: str) -> None:
    expected: object
    try:
        expected = parse_date(" " + text)  # the leading space skips the ISO shortcut
    except InvalidValue as exc:
        expected = exc.code
    try:
        got: object = parse_date(text)
    except InvalidValue as exc:
        got = exc.code
    assert got == expected


def test_equal_id_numbers_hash_alike() -> None:
    a = parse_id_number(id_number(seq=3), today=TODAY)
    b = parse_id_number(a.value.lower(), today=TODAY)
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1


def test_the_highest_row_reference_is_found_wherever_it_is() -> None:
    cell = calamine_path._CELL_ROW
    rng = random.Random(4)
    for _ in range(200):
        numbers = sorted(rng.randrange(1, 5000) for _ in range(rng.randrange(1, 50)))
        if rng.random() < 0.5:
            numbers.insert(rng.randrange(len(numbers)), rng.randrange(1, 2_000_000))
        refs = [f' r="{rng.choice(["A", "BC"])}{"0" * rng.randrange(2)}{n}"' for n in numbers]
        data = "<x/>".join(refs).encode()
        known = rng.choice([0, 10, 4999])
        expected = max(known, *map(int, cell.findall(data)))
        assert calamine_path._max_row(data, known) == expected


def test_a_far_away_cell_early_in_an_ordered_sheet_is_still_refused(tmp_path: Path) -> None:
    rows = [["学号", "姓名"], *([str(i), "张三"] for i in range(200))]
    path = make_xlsx(tmp_path / "t.xlsx", rows)
    member = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    parts[member] = re.sub(
        rb'(<row r="3")',
        b'<row r="2"><c r="A2000000" t="n"><v>1</v></c></row>\\1',
        parts[member],
        count=1,
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    with zipfile.ZipFile(path) as zf:
        assert calamine_path.scan_sheet(zf, member).reason == "far-away-row"


def test_bulk_allocation_leaves_no_young_objects_behind() -> None:
    with bulk_allocation():
        kept = [[i] for i in range(50_000)]
    assert gc.get_count()[0] < 1_000
    assert len(kept) == 50_000


def _sheet_zip(tmp_path: Path, xml: bytes) -> zipfile.ZipFile:
    path = tmp_path / "s.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("s.xml", xml)
    return zipfile.ZipFile(path)


def test_the_scan_counts_prefixed_rows_and_sees_single_quoted_error_cells(tmp_path: Path) -> None:
    rows = b"".join(
        b'<x:row r="%d"><x:c r="A%d"><x:v>1</x:v></x:c></x:row>' % (n, n) for n in range(1, 6)
    )
    xml = b'<x:worksheet xmlns:x="urn:x"><x:sheetData>' + rows + b"</x:sheetData></x:worksheet>"
    result = calamine_path.scan_sheet(_sheet_zip(tmp_path, xml), "s.xml")
    counted = xml.count(b"<row") + xml.count(b":row")  # the scan's rule, closing tags too
    assert (result.safe, result.rows_present, result.max_row) == (True, counted, 5)
    bad = xml.replace(b'<x:c r="A3">', b"<x:c r='A3' t='e'>")
    assert calamine_path.scan_sheet(_sheet_zip(tmp_path, bad), "s.xml").reason == "error-cell"

"""选课 template (学号*, 课程编号*, 姓名), the lean reader of large enrollment sheets, and the
学号/课程 lists of `enroll add` (SPEC §5)."""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Sequence
from itertools import compress
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from jjadmin.errors import FileRejected, InputRejected, NotFound
from jjadmin.importers.columns import (
    ColumnSpec,
    LazyRows,
    ParsedRow,
    ParsedTable,
    _map_columns,
    _parse_cell,
    read_rows,
)
from jjadmin.importers.common import ImportKind, LoadedService
from jjadmin.importers.reader import (
    OLE2_MAGIC,
    ZIP_MAGIC,
    Block,
    CellProblem,
    CellValue,
    normalize_header,
    open_table,
)
from jjadmin.rules.codes import normalize_course_code, normalize_learner_no
from jjadmin.services.results import RowIssue

if TYPE_CHECKING:  # the service (SQLAlchemy) loads only when an import runs
    from jjadmin.services.enrollment.planner import PairColumns

__all__ = [
    "ENROLL_COLUMNS",
    "ENROLL_IMPORT",
    "EnrollRows",
    "course_list",
    "learner_list",
    "read_enroll_table",
]

_CLEAN_LEARNER_NO = re.compile(r"4401[0-9]{10}")
_CLEAN_COURSE_CODE = re.compile(r"[A-Za-z0-9_-]{1,20}")


def parse_learner_no(value: object) -> str:
    """normalize_learner_no, with a shortcut for the clean text cells of a large sheet."""
    if type(value) is str and _CLEAN_LEARNER_NO.fullmatch(value):
        return value
    return normalize_learner_no(value)


def parse_course_code(value: object) -> str:
    """normalize_course_code, with a shortcut for the clean text cells of a large sheet."""
    if type(value) is str and _CLEAN_COURSE_CODE.fullmatch(value):
        return value
    return normalize_course_code(value)


ENROLL_COLUMNS = [
    ColumnSpec("学号", "learner_no", required=True, parse=parse_learner_no),
    ColumnSpec("课程编号", "course_code", required=True, parse=parse_course_code),
    ColumnSpec("姓名", "name"),
]
LEARNER_COLUMNS = [ColumnSpec("学号", "learner_no", required=True), ColumnSpec("姓名", "name")]

_SEPARATORS = re.compile(r"[,，、;；\s]+")
_LIST_TEXT = re.compile(r"[0-9A-Za-z_\-,，、;；\s]+")
MAX_TEXT_BYTES = 64 * 1024 * 1024

Entries = list[tuple[int, str]]
# (row number, 学号, 姓名 or None): a 姓名 column in a --teachers sheet is checked too
Learners = list[tuple[int, str, str | None]]


def _split(text: str) -> list[str]:
    return [part.strip() for part in _SEPARATORS.split(text) if part.strip()]


def course_list(value: str) -> Entries:
    """'C1,C2、C3' → [(1, 'C1'), (2, 'C2'), (3, 'C3')] (position = row in the report)."""
    return list(enumerate(_split(value), start=1))


def learner_list(value: str, *, sheet: str | None = None) -> tuple[Learners, list[RowIssue]]:
    """The 学号 of `--teachers`: a comma list, or a file (one 学号 per line, or an xlsx/csv
    with a 学号 column and optionally 姓名). Returns (row number, 学号, 姓名) and the
    file's own issues.

    Raises NotFound (4, a path that does not exist), FileRejected / InputRejected (1).
    """
    path = Path(value)
    if path.is_file():
        return _from_file(path, sheet)
    if _LIST_TEXT.fullmatch(value) and not path.suffix:
        return [(i, ln, None) for i, ln in enumerate(_split(value), start=1)], []
    raise NotFound(
        f"文件不存在：{value}",
        hint="--teachers 可以是逗号分隔的学号，或每行一个学号的文件、含“学号”列的 xlsx/csv",
    )


def _from_file(path: Path, sheet: str | None) -> tuple[Learners, list[RowIssue]]:
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith((ZIP_MAGIC, OLE2_MAGIC)) or _has_header(path):
        table = read_rows(path, LEARNER_COLUMNS, sheet=sheet)
        issues = list(table.schema_issues)
        entries: Learners = []
        for r in table.rows:
            issues.extend(r.issues)
            value, name = r.values.get("learner_no"), r.values.get("name")
            if value is not None and not r.issues:
                entries.append((r.row, str(value), None if name is None else str(name)))
        return entries, issues
    return [(row, ln, None) for row, ln in _plain_lines(path)], []


def _decode(path: Path) -> str:
    if path.stat().st_size > MAX_TEXT_BYTES:
        raise FileRejected(f"学号文件过大（超过 {MAX_TEXT_BYTES // (1024 * 1024)} MB）")
    data = path.read_bytes()
    if b"\x00" in data:
        raise FileRejected("学号文件不是文本文件，请使用每行一个学号的文本文件或 xlsx/csv")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileRejected("无法识别学号文件的编码，请另存为 UTF-8")


def _has_header(path: Path) -> bool:
    for line in _decode(path).splitlines():
        if line.strip():
            return any(normalize_header(cell) == "学号" for cell in re.split(r"[,;\t]", line))
    raise InputRejected(f"学号文件是空的：{path}")


def _plain_lines(path: Path) -> Entries:
    entries: Entries = []
    for number, line in enumerate(_decode(path).splitlines(), start=1):
        entries.extend((number, part) for part in _split(line))
    if not entries:
        raise InputRejected(f"学号文件是空的：{path}")
    return entries


def read_enroll_table(
    path: Path,
    *,
    sheet: str | None = None,
    max_rows: int,
    progress: Callable[[int], None] | None = None,
    meanwhile: Callable[[int | None], object] | None = None,
) -> ParsedTable:
    """`columns.read_rows` for the 选课 sheet, lean enough for 500,000 rows.

    Same header mapping, cell rules and ParsedRows, but the rows are kept column by column
    (`EnrollRows`): a ParsedRow is built only when one is asked for. Blocks of clean text
    cells (the usual case) skip the generic per-cell parsing, which would give the same
    values; every distinct cell text is kept once and shared by all rows.
    `meanwhile`: see `reader.open_table`. Raises FileRejected (1).
    """
    candidates = [name for spec in ENROLL_COLUMNS for name in (spec.header, *spec.aliases)]
    with open_table(
        path, sheet=sheet, max_rows=max_rows, header_candidates=candidates, meanwhile=meanwhile
    ) as table:
        columns, schema_issues, notes = _map_columns(
            table.headers, ENROLL_COLUMNS, table.header_row
        )
        rows: list[ParsedRow] = []
        if not schema_issues:
            sheet_rows = EnrollRows(columns, len(table.headers))
            for block in table.blocks():
                sheet_rows.add_block(block)
                if progress is not None:
                    progress(len(sheet_rows))
            if progress is not None and not len(sheet_rows):
                progress(0)
            # EnrollRows is a Sequence[ParsedRow]; ParsedTable's users only iterate, index
            # and count its rows
            rows = cast("list[ParsedRow]", sheet_rows)
        return ParsedTable(
            headers=list(table.headers),
            header_row=table.header_row,
            rows=rows,
            schema_issues=schema_issues,
            notes=notes,
            sheet_name=table.sheet_name,
            file_kind=table.file_kind,
            encoding=table.encoding,
            present_keys=frozenset(c.spec.key for c in columns),
        )


class EnrollRows(LazyRows):
    """The rows of a 选课 sheet, kept column by column.

    Holds the row numbers, the parsed 学号 / 课程编号 / 姓名 of every row (None where a cell
    was rejected), the issues of the rows that have any, and the raw cells only where they
    differ from the values (or, when the sheet has other columns too, per column). A
    ParsedRow is built on demand; the import service reads the columns themselves
    (`pair_columns`) and the shared import flow the issues (`row_issues`).
    """

    def __init__(self, columns: Sequence[Any], width: int) -> None:
        index = {c.spec.key: c.index for c in columns}
        self._columns = columns
        self._learner, self._course = index["learner_no"], index["course_code"]
        self._name: int | None = index.get("name")
        self._shared: dict[object, Any] = {}
        self.numbers: array[int] = array("q")
        self.learner_nos: list[Any] = []
        self.course_codes: list[Any] = []
        self.names: list[Any] | None = None if self._name is None else []
        self._issues: dict[int, list[RowIssue]] = {}
        # the raw cells are exactly (学号, 课程编号[, 姓名]) unless the sheet has other columns
        # or another order: then every column's raw cells are kept
        plain = width == len(columns) and (self._learner, self._course) == (0, 1)
        self._raw_columns: list[list[object]] | None = None if plain else [[] for _ in range(width)]
        # plain sheets: the raw cells of the rows whose cells are not their values
        self._raws: dict[int, tuple[object, ...]] = {}
        # the distinct cells met so far that need no parsing (see _all_clean)
        self._clean_learner_nos: set[CellValue] = set()
        self._clean_codes: set[CellValue] = set()
        self._clean_names: set[CellValue] = set()

    def _row(self, i: int) -> ParsedRow:
        values: dict[str, object] = {
            "learner_no": self.learner_nos[i],
            "course_code": self.course_codes[i],
        }
        if self.names is not None:
            values["name"] = self.names[i]
        return ParsedRow(self.numbers[i], values, self._raw(i), self._issues.get(i, []))

    def _raw(self, i: int) -> tuple[object, ...]:
        if self._raw_columns is not None:
            return tuple(column[i] for column in self._raw_columns)
        raw = self._raws.get(i)
        if raw is not None:
            return raw
        if self.names is None:
            return (self.learner_nos[i], self.course_codes[i])
        return (self.learner_nos[i], self.course_codes[i], self.names[i])

    def pair_columns(self) -> PairColumns:
        """The requested pairs of the rows without issues (services.enrollment.PairSource)."""
        from jjadmin.services.enrollment.planner import PairColumns

        if not self._issues:
            return PairColumns(self.numbers, self.learner_nos, self.course_codes, self.names)
        keep = [i not in self._issues for i in range(len(self))]
        return PairColumns(
            list(compress(self.numbers, keep)),
            list(compress(self.learner_nos, keep)),
            list(compress(self.course_codes, keep)),
            None if self.names is None else list(compress(self.names, keep)),
        )

    def row_issues(self) -> list[RowIssue]:
        """Every row's issues in row order (services.imports.ColumnarRows)."""
        return [issue for i in sorted(self._issues) for issue in self._issues[i]]

    def without_rows(self, rows: set[int]) -> Sequence[ParsedRow]:
        """The rows whose numbers are not in `rows` (services.imports.ColumnarRows)."""
        if rows.isdisjoint(self.numbers):
            return self
        kept = array("q", (i for i, number in enumerate(self.numbers) if number not in rows))
        return _SomeRows(self, kept)

    def add_block(self, block: Block) -> None:
        """Append a block of the sheet's rows."""
        cells = block.columns
        learner_nos, codes = cells[self._learner], cells[self._course]
        names = None if self._name is None else cells[self._name]
        share = self._shared.setdefault
        if (
            _all_clean(learner_nos, self._clean_learner_nos, _is_clean_learner_no)
            and _all_clean(codes, self._clean_codes, _is_clean_course_code)
            and (names is None or _all_clean(names, self._clean_names, _is_clean_name))
        ):
            self.learner_nos.extend(map(share, learner_nos, learner_nos))
            self.course_codes.extend(map(share, codes, codes))
            if self.names is not None and names is not None:
                self.names.extend(map(share, names, names))
        else:
            start = len(self.numbers)
            for k, row in enumerate(block.rows):
                self._add_row(start + k, block.numbers[k], row)
        self.numbers.extend(block.numbers)
        if self._raw_columns is not None:
            for raw, column in zip(self._raw_columns, cells, strict=True):
                raw.extend(
                    share(v, v) if type(v) is str else v.text if isinstance(v, CellProblem) else v
                    for v in column
                )

    def _add_row(self, i: int, number: int, cells: Sequence[CellValue]) -> None:
        share = self._shared.setdefault
        ln, code = cells[self._learner], cells[self._course]
        name = None if self._name is None else cells[self._name]
        if (
            type(ln) is str
            and type(code) is str
            and _CLEAN_LEARNER_NO.fullmatch(ln)
            and _CLEAN_COURSE_CODE.fullmatch(code)
            and (name is None or (type(name) is str and _clean_text(name)))
        ):
            values: dict[str, object] = {"learner_no": ln, "course_code": code, "name": name}
        else:
            values = {}
            issues: list[RowIssue] = []
            for column in self._columns:
                value, issue = _parse_cell(number, column.spec, cells[column.index])
                values[column.spec.key] = value
                if issue is not None:
                    issues.append(issue)
            if issues:
                self._issues[i] = issues
            if self._raw_columns is None:
                self._raws[i] = tuple(
                    share(v, v) if type(v) is str else v.text if isinstance(v, CellProblem) else v
                    for v in cells
                )
        self.learner_nos.append(_shared(share, values["learner_no"]))
        self.course_codes.append(_shared(share, values["course_code"]))
        if self.names is not None:
            self.names.append(_shared(share, values.get("name")))


class _SomeRows(LazyRows):
    """Some of an EnrollRows' rows, by position (the rows an import keeps)."""

    def __init__(self, rows: EnrollRows, positions: Sequence[int]) -> None:
        self._rows = rows
        self._positions = positions
        self.numbers = [rows.numbers[p] for p in positions]

    def _row(self, i: int) -> ParsedRow:
        return self._rows[self._positions[i]]


def _shared(share: Callable[[object, object], Any], value: object) -> Any:
    return share(value, value) if type(value) is str else value


def _all_clean(
    cells: Sequence[CellValue], known: set[CellValue], is_clean: Callable[[CellValue], bool]
) -> bool:
    """Whether every cell is clean; each distinct cell is judged once (`known` keeps the
    clean ones: a sheet names every teacher and course again and again)."""
    if known.issuperset(cells):
        return True
    new = set(cells).difference(known)
    if not all(map(is_clean, new)):
        return False
    known.update(new)
    return True


def _is_clean_learner_no(cell: CellValue) -> bool:
    return type(cell) is str and _CLEAN_LEARNER_NO.fullmatch(cell) is not None


def _is_clean_course_code(cell: CellValue) -> bool:
    return type(cell) is str and _CLEAN_COURSE_CODE.fullmatch(cell) is not None


def _is_clean_name(cell: CellValue) -> bool:
    """A blank 姓名, or text the generic parsing keeps as it is."""
    return cell is None or (type(cell) is str and _clean_text(cell))


def _clean_text(text: str) -> bool:
    """Text the generic cell parsing would keep as it is (no surrounding space, no quote)."""
    return text == text.strip() and not text.startswith("'")


def _load_enroll_service() -> LoadedService:
    from jjadmin.services.enrollment.collective import import_enrollments

    return LoadedService(import_enrollments)


ENROLL_IMPORT = ImportKind(
    name="enroll",
    title="导入选课",
    reading="读取选课表",
    columns=ENROLL_COLUMNS,
    read=read_enroll_table,
    load=_load_enroll_service,
    roles=("city", "district", "school"),
    action="导入选课",
    bulk=True,
)

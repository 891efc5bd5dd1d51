"""选课 template (学号*, 课程编号*, 姓名), the lean reader of large enrollment sheets, and the
学号/课程 lists of `enroll add` (SPEC §5)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from jjadmin.errors import FileRejected, InputRejected, NotFound
from jjadmin.importers.columns import (
    PROGRESS_EVERY,
    ColumnSpec,
    ParsedRow,
    ParsedTable,
    _map_columns,
    _parse_cell,
    read_rows,
)
from jjadmin.importers.common import ImportOutcome
from jjadmin.importers.reader import (
    ZIP_MAGIC,
    CellProblem,
    CellValue,
    file_sha256,
    normalize_header,
    open_table,
)
from jjadmin.rules.codes import normalize_course_code, normalize_learner_no
from jjadmin.services.context import ServiceContext
from jjadmin.services.imports import ImportOptions
from jjadmin.services.results import FileMeta, RowIssue

__all__ = [
    "ENROLL_COLUMNS",
    "course_list",
    "learner_list",
    "read_enroll_table",
    "run_enroll_import",
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
        head = handle.read(4)
    if head.startswith(ZIP_MAGIC) or _has_header(path):
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
) -> ParsedTable:
    """`columns.read_rows` for the 选课 sheet, lean enough for 500,000 rows.

    Same header mapping, cell rules and ParsedRows. Two differences, both for size: a sheet
    names each teacher and course again and again, so every distinct cell text is kept once
    and shared by all rows (values and raw cells); and a row of clean text cells (the usual
    case) skips the generic per-cell parsing, which would give the same values.
    Raises FileRejected (1).
    """
    candidates = [name for spec in ENROLL_COLUMNS for name in (spec.header, *spec.aliases)]
    with open_table(path, sheet=sheet, max_rows=max_rows, header_candidates=candidates) as table:
        columns, schema_issues, notes = _map_columns(
            table.headers, ENROLL_COLUMNS, table.header_row
        )
        result = ParsedTable(
            headers=list(table.headers),
            header_row=table.header_row,
            rows=[],
            schema_issues=schema_issues,
            notes=notes,
            sheet_name=table.sheet_name,
            file_kind=table.file_kind,
            encoding=table.encoding,
            present_keys=frozenset(c.spec.key for c in columns),
        )
        if schema_issues:
            return result
        parse = _SheetRows(columns, len(table.headers))
        rows = result.rows
        for raw_row in table:
            rows.append(parse(raw_row.number, raw_row.values))
            if progress is not None and len(rows) % PROGRESS_EVERY == 0:
                progress(len(rows))
        if progress is not None:
            progress(len(rows))
    return result


class _SheetRows:
    """Cells of one 选课 row → ParsedRow, sharing every distinct text among all rows."""

    def __init__(self, columns: Sequence[Any], width: int) -> None:
        self.columns = columns
        self.shared: dict[Any, Any] = {}
        index = {c.spec.key: c.index for c in columns}
        self.learner = index["learner_no"]
        self.course = index["course_code"]
        self.name = index.get("name")
        # the raw cells are exactly (学号, 课程编号[, 姓名]): build them from the values
        self.plain = width == len(columns) and (self.learner, self.course) == (0, 1)

    def __call__(self, number: int, cells: tuple[CellValue, ...]) -> ParsedRow:
        share = self.shared.setdefault
        ln, code = cells[self.learner], cells[self.course]
        name = None if self.name is None else cells[self.name]
        if (
            type(ln) is str
            and type(code) is str
            and _CLEAN_LEARNER_NO.fullmatch(ln)
            and _CLEAN_COURSE_CODE.fullmatch(code)
            and (name is None or (type(name) is str and _clean_text(name)))
        ):
            ln, code = share(ln, ln), share(code, code)
            values: dict[str, object] = {"learner_no": ln, "course_code": code}
            if self.name is not None:
                name = values["name"] = None if name is None else share(name, name)
            if self.plain:
                raw = (ln, code) if self.name is None else (ln, code, name)
                return ParsedRow(row=number, values=values, raw=raw, issues=[])
            return ParsedRow(row=number, values=values, raw=self._raw(cells), issues=[])
        values = {}
        issues: list[RowIssue] = []
        for column in self.columns:
            value, issue = _parse_cell(number, column.spec, cells[column.index])
            values[column.spec.key] = share(value, value) if type(value) is str else value
            if issue is not None:
                issues.append(issue)
        return ParsedRow(row=number, values=values, raw=self._raw(cells), issues=issues)

    def _raw(self, cells: tuple[CellValue, ...]) -> tuple[object, ...]:
        share = self.shared.setdefault
        return tuple(
            share(v, v) if type(v) is str else v.text if isinstance(v, CellProblem) else v
            for v in cells
        )


def _clean_text(text: str) -> bool:
    """Text the generic cell parsing would keep as it is (no surrounding space, no quote)."""
    return text == text.strip() and not text.startswith("'")


def run_enroll_import(
    ctx: ServiceContext,
    path: Path,
    *,
    period: str,
    options: ImportOptions,
    force: bool = False,
    sheet: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportOutcome:
    """Read the 选课 sheet and hand it to `services.enrollments.import_enrollments`.

    Raises NotFound (4, no such file), FileRejected (1), and what the service raises.
    """
    from jjadmin.services.enrollments import import_enrollments

    if not path.exists():
        raise NotFound(f"文件不存在：{path}")
    if not path.is_file():
        raise FileRejected(f"不是文件：{path}")
    try:
        digest = file_sha256(path)
    except OSError as exc:
        raise FileRejected(f"无法读取文件：{path}（{exc.strerror}）") from exc
    max_rows = ctx.settings.max_rows if ctx.settings is not None else 1_000_000
    table = read_enroll_table(path, sheet=sheet, max_rows=max_rows, progress=progress)
    report = import_enrollments(
        ctx,
        period=period,
        rows=table.rows,
        pre_issues=table.schema_issues,
        file=FileMeta(path.name, digest),
        options=options,
        force=force,
        notes=table.notes,
        present=table.present_keys,
    )
    return ImportOutcome(report, table)

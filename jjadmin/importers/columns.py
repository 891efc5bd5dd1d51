"""Column specs and the generic file → ParsedTable step shared by every importer (SPEC §5).

Format-level validation only: required cells, formula/error cells, per-cell `parse` functions
and duplicates inside the file. Checks against the database belong to the services.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from jjadmin.errors import InvalidValue
from jjadmin.importers.reader import (
    DEFAULT_MAX_ROWS,
    CellProblem,
    CellValue,
    RawRow,
    ZipLimits,
    normalize_header,
    open_table,
    plain_text,
)
from jjadmin.services.results import RowIssue

__all__ = [
    "ColumnSpec",
    "ParsedRow",
    "ParsedTable",
    "cell_text",
    "normalize_header",
    "read_rows",
]

PROGRESS_EVERY = 1000
# Characters our exporters neutralise with a leading "'" (exporters/cells.py); reading such a
# value back strips the quote so an error workbook can be fixed and re-imported as is.
_QUOTED_PREFIXES = ("'=", "'+", "'-", "'@", "'\t", "'\r", "'\n")


@dataclass(frozen=True)
class ColumnSpec:
    """One expected column: Chinese header, key in `ParsedRow.values`, and its cell parser.

    `parse` receives a non-blank cell: a stripped `str`, or an `int`/`float`/`bool`/`datetime`
    from xlsx. It returns the typed value or raises `InvalidValue(message, code=...)`.
    """

    header: str
    key: str
    required: bool = False
    parse: Callable[[object], object] | None = None
    aliases: tuple[str, ...] = ()
    unique: bool = False


@dataclass(slots=True)
class ParsedRow:
    """A data row: parsed values by spec key (only columns present in the file) and its issues.

    `raw` holds the original cell values in file column order (formula/error cells as their
    text), for the `--errors-to` workbook.
    """

    row: int
    values: dict[str, object]
    raw: tuple[object, ...]
    issues: list[RowIssue]

    @property
    def ok(self) -> bool:
        return not self.issues


@dataclass
class ParsedTable:
    headers: list[str]
    header_row: int
    rows: list[ParsedRow]
    schema_issues: list[RowIssue]
    notes: list[str]
    sheet_name: str | None = None
    file_kind: str | None = None
    encoding: str | None = None
    present_keys: frozenset[str] = field(default_factory=frozenset)

    @property
    def issues(self) -> list[RowIssue]:
        """Schema issues first, then every row's issues in file order."""
        found = list(self.schema_issues)
        for parsed in self.rows:
            found.extend(parsed.issues)
        return found

    @property
    def valid_rows(self) -> list[ParsedRow]:
        return [parsed for parsed in self.rows if not parsed.issues]


def cell_text(value: object) -> str | None:
    """Display text of a cell value (None when blank); Excel's 123.0 becomes '123'."""
    if value is None:
        return None
    if isinstance(value, CellProblem):
        return value.text
    if isinstance(value, str):
        return value
    return plain_text(value)


def _text_value(value: object) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime | date | float | int):
        return plain_text(value)
    return str(value).strip()


def _unquote(text: str) -> str:
    return text[1:] if text.startswith(_QUOTED_PREFIXES) else text


@dataclass
class _Column:
    index: int
    spec: ColumnSpec


def _map_columns(
    headers: Sequence[str], specs: Sequence[ColumnSpec], header_row: int
) -> tuple[list[_Column], list[RowIssue], list[str]]:
    lookup: dict[str, ColumnSpec] = {}
    for spec in specs:
        for name in (spec.header, *spec.aliases):
            lookup.setdefault(normalize_header(name), spec)
    mapped: list[_Column] = []
    seen: set[str] = set()
    issues: list[RowIssue] = []
    unknown: list[str] = []
    for index, header in enumerate(headers):
        if not header:
            continue
        found = lookup.get(header)
        if found is None:
            unknown.append(header)
            continue
        spec = found
        if spec.key in seen:
            if not any(i.code == "duplicate-column" and i.column == spec.header for i in issues):
                issues.append(
                    RowIssue(
                        row=header_row,
                        column=spec.header,
                        value=header,
                        message=f"列“{spec.header}”重复",
                        code="duplicate-column",
                        category="schema",
                    )
                )
            continue
        seen.add(spec.key)
        mapped.append(_Column(index, spec))
    if not mapped and any(spec.required for spec in specs):
        # Not one expected header: the file has no header row (or is another kind of sheet).
        # One clear error instead of one "missing column" per spec.
        expected = "、".join(spec.header for spec in specs if spec.required)
        issues.append(
            RowIssue(
                row=header_row,
                column=None,
                value=None,
                message=f"没有找到表头行：第 {header_row} 行应为列名（{expected}）",
                code="missing-header",
                category="schema",
            )
        )
        return mapped, issues, []
    for spec in specs:
        if spec.required and spec.key not in seen:
            issues.append(
                RowIssue(
                    row=header_row,
                    column=spec.header,
                    value=None,
                    message=f"缺少必填列“{spec.header}”",
                    code="missing-column",
                    category="schema",
                )
            )
    notes = [f"已忽略未知列：{'、'.join(unknown)}"] if unknown else []
    return mapped, issues, notes


def _issue(number: int, spec: ColumnSpec, raw: CellValue, message: str, code: str) -> RowIssue:
    return RowIssue(
        row=number, column=spec.header, value=cell_text(raw), message=message, code=code
    )


def _parse_cell(number: int, spec: ColumnSpec, raw: CellValue) -> tuple[object, RowIssue | None]:
    if isinstance(raw, CellProblem):
        if raw.kind == "formula":
            return None, _issue(number, spec, raw, "单元格是公式，请粘贴为数值", "formula-cell")
        return None, _issue(number, spec, raw, f"单元格是错误值 {raw.text}", "error-cell")
    value: object = raw
    if isinstance(raw, str):
        value = _unquote(raw.strip())
    if value is None or value == "":
        if spec.required:
            return None, _issue(number, spec, None, "必填项为空", "required")
        return None, None
    if spec.parse is None:
        return _text_value(value), None
    try:
        return spec.parse(value), None
    except InvalidValue as exc:
        return None, _issue(number, spec, raw, exc.message, exc.code)
    except Exception as exc:  # a parser bug must not crash a whole import
        return None, _issue(number, spec, raw, f"无法识别的值（{exc}）", "invalid-value")


def _unique_key(value: object) -> Hashable:
    return value if isinstance(value, Hashable) else repr(value)


class _RowParser:
    def __init__(self, columns: list[_Column]) -> None:
        self.columns = columns
        self.first_seen: dict[str, dict[Hashable, int]] = {
            c.spec.key: {} for c in columns if c.spec.unique
        }

    def parse(self, raw_row: RawRow) -> ParsedRow:
        number = raw_row.number
        cells = raw_row.values
        values: dict[str, object] = {}
        issues: list[RowIssue] = []
        for column in self.columns:
            spec = column.spec
            raw = cells[column.index]
            value, issue = _parse_cell(number, spec, raw)
            values[spec.key] = value
            if issue is not None:
                issues.append(issue)
            elif spec.unique and value is not None:
                seen = self.first_seen[spec.key]
                key = _unique_key(value)
                first = seen.setdefault(key, number)
                if first != number:
                    issues.append(
                        _issue(number, spec, raw, f"与第 {first} 行重复", "duplicate-in-file")
                    )
        raw_values = tuple(v.text if isinstance(v, CellProblem) else v for v in cells)
        return ParsedRow(row=number, values=values, raw=raw_values, issues=issues)


def read_rows(
    path: Path,
    specs: Sequence[ColumnSpec],
    *,
    sheet: str | None = None,
    max_rows: int = DEFAULT_MAX_ROWS,
    progress: Callable[[int], None] | None = None,
    limits: ZipLimits | None = None,
) -> ParsedTable:
    """Read a whole file into ParsedRows, collecting every problem instead of stopping.

    Raises:
        FileRejected: the file as a whole cannot be read (see `reader.open_table`).
    """
    candidates = [name for spec in specs for name in (spec.header, *spec.aliases)]
    with open_table(
        path, sheet=sheet, max_rows=max_rows, header_candidates=candidates, limits=limits
    ) as table:
        columns, schema_issues, notes = _map_columns(table.headers, specs, table.header_row)
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
        parser = _RowParser(columns)
        for raw_row in table:
            result.rows.append(parser.parse(raw_row))
            if progress is not None and len(result.rows) % PROGRESS_EVERY == 0:
                progress(len(result.rows))
        if progress is not None:
            progress(len(result.rows))
    return result

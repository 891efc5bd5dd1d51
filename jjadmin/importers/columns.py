"""Column specs and the generic file → ParsedTable step shared by every importer (SPEC §5).

Format-level validation only: required cells, formula/error cells, per-cell `parse` functions
and duplicates inside the file. Checks against the database belong to the services.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import overload

from jjadmin.errors import InvalidValue
from jjadmin.importers.reader import (
    BLOCK_ROWS,
    DEFAULT_MAX_ROWS,
    Block,
    CellProblem,
    CellValue,
    ZipLimits,
    normalize_header,
    open_table,
    plain_text,
)
from jjadmin.services.results import RowIssue

__all__ = [
    "ColumnSpec",
    "ParsedColumns",
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
    `parse_many`, optional, is `[parse(t) for t in texts]` for a list of text cells with nothing
    to strip or unquote, done faster for a whole column; it raises as `parse` would.
    """

    header: str
    key: str
    required: bool = False
    parse: Callable[[object], object] | None = None
    aliases: tuple[str, ...] = ()
    unique: bool = False
    parse_many: Callable[[list[str]], Sequence[object]] | None = None


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


class LazyRows(Sequence[ParsedRow]):
    """A sheet's rows kept as columns by a subclass, as a Sequence of ParsedRows each built
    when asked for (`_row`); `numbers` holds the rows' numbers in order."""

    numbers: Sequence[int]

    def __len__(self) -> int:
        return len(self.numbers)

    @overload
    def __getitem__(self, i: int) -> ParsedRow: ...

    @overload
    def __getitem__(self, i: slice) -> list[ParsedRow]: ...

    def __getitem__(self, i: int | slice) -> ParsedRow | list[ParsedRow]:
        if isinstance(i, slice):
            return [self._row(k) for k in range(len(self))[i]]
        return self._row(range(len(self))[i])

    def __iter__(self) -> Iterator[ParsedRow]:
        return map(self._row, range(len(self)))

    @abstractmethod
    def _row(self, i: int) -> ParsedRow:
        """The ParsedRow at index `i`."""


class ParsedColumns(LazyRows):
    """The parsed rows of a sheet, kept column by column as `read_rows` parses them.

    A ParsedRow is built only when one is asked for (by index or by iterating); a service
    that handles a large sheet reads whole columns instead (`column`), and the shared import
    flow the issues (`row_issues`, `without_rows`: see services.imports.ColumnarRows). A
    row's issues list is the stored one, so what is appended to it stays.
    """

    def __init__(self, keys: Sequence[str]) -> None:
        self.keys = tuple(keys)
        self.numbers: list[int] = []
        self.raws: list[tuple[object, ...]] = []
        self._columns: list[list[object]] = [[] for _ in self.keys]
        self._issues: dict[int, list[RowIssue]] = {}

    def add(
        self,
        numbers: Sequence[int],
        raws: Sequence[tuple[object, ...]],
        columns: Sequence[Sequence[object]],
        issues: dict[int, list[RowIssue]],
    ) -> None:
        """Append a block: its row numbers, raw cells, one list of values per key (in
        `keys` order) and its issues by index in the block."""
        base = len(self.numbers)
        self.numbers.extend(numbers)
        self.raws.extend(raws)
        for target, values in zip(self._columns, columns, strict=True):
            target.extend(values)
        for i, found in issues.items():
            self._issues[base + i] = found

    def _row(self, i: int) -> ParsedRow:
        issues = self._issues.get(i)
        if issues is None:
            issues = self._issues[i] = []  # kept: a caller may append to it
        values = dict(zip(self.keys, [column[i] for column in self._columns], strict=True))
        return ParsedRow(self.numbers[i], values, self.raws[i], issues)

    def __eq__(self, other: object) -> bool:
        """Equal to a list (or ParsedColumns) of the same ParsedRows, as the list it stands
        for would be."""
        if isinstance(other, (list, ParsedColumns)):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def column(self, key: str) -> list[object]:
        """Every row's value of `key` (None where the cell was blank or rejected, and for a
        column the sheet lacks), in row order. The list is shared: do not change it."""
        if key in self.keys:
            return self._columns[self.keys.index(key)]
        return [None] * len(self)

    def has_issues(self) -> bool:
        return any(self._issues.values())

    def flagged(self) -> set[int]:
        """The indexes of the rows with issues."""
        return {i for i, found in self._issues.items() if found}

    def row_issues(self) -> list[RowIssue]:
        """Every row's issues, in row order."""
        return [issue for i in sorted(self._issues) for issue in self._issues[i]]

    def without_rows(self, rows: set[int]) -> Sequence[ParsedRow]:
        """The rows whose numbers are not in `rows` (itself when there are none)."""
        if not rows:
            return self
        return [r for r in self if r.row not in rows]


@dataclass
class ParsedTable:
    headers: list[str]
    header_row: int
    rows: Sequence[ParsedRow]
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


# What a cell's text comes to: its value, and the failure (message, code, whether the issue
# shows the cell) when it is rejected.
_Judgement = tuple[object, tuple[str, str, bool] | None]
MEMO_LIMIT = 50_000
_TEXT_CELLS = frozenset({str, type(None)})


def _judge(spec: ColumnSpec, raw: str | None) -> _Judgement:
    """`_parse_cell` of a text (or blank) cell, as its value and its failure."""
    text = None if raw is None else _unquote(raw.strip())
    if text is None or text == "":
        if spec.required:
            return None, ("必填项为空", "required", False)
        return None, None
    if spec.parse is None:
        return _text_value(text), None
    try:
        return spec.parse(text), None
    except InvalidValue as exc:
        return None, (exc.message, exc.code, True)
    except Exception as exc:  # a parser bug must not crash a whole import
        return None, (f"无法识别的值（{exc}）", "invalid-value", True)


class _ColumnParser:
    """`_parse_cell` and the in-file duplicate rule applied to a whole column of a Block.

    A column of text cells (with blanks) is judged once per distinct text: the parsers are
    pure functions of the cell, and a roster repeats most of its columns' values. Any other
    column (numbers, dates, formula cells…) goes cell by cell through `_parse_cell`.
    """

    def __init__(self, column: _Column) -> None:
        self.index = column.index
        self.spec = column.spec
        self.values: dict[str | None, object] = {}
        self.failures: dict[str | None, tuple[str, str, bool]] = {}
        self.first_seen: dict[Hashable, int] | None = {} if column.spec.unique else None

    def parse(
        self, cells: Sequence[CellValue], numbers: Sequence[int], kinds: set[type]
    ) -> tuple[list[object], list[tuple[int, RowIssue]]]:
        """Values of the column's cells (whose types are `kinds`) and the issues found, as
        (index in block, issue)."""
        if kinds <= _TEXT_CELLS:
            values, issues, ok = self._parse_texts(cells, numbers)  # type: ignore[arg-type]
        else:
            values, issues, ok = self._parse_cells(cells, numbers)
        if self.first_seen is not None:
            issues = self._duplicates(cells, numbers, values, ok, issues)
        return values, issues

    def _parse_texts(
        self, cells: Sequence[str | None], numbers: Sequence[int]
    ) -> tuple[list[object], list[tuple[int, RowIssue]], list[bool] | None]:
        known = self.values
        if len(known) > MEMO_LIMIT:
            known.clear()
            self.failures.clear()
        failures = self.failures
        distinct = set(cells)
        missing = distinct.difference(known)
        if missing:
            self._learn(missing)
        values = list(map(known.__getitem__, cells))
        if not failures or failures.keys().isdisjoint(distinct):
            return values, [], None
        spec = self.spec
        issues: list[tuple[int, RowIssue]] = []
        ok = [True] * len(cells)
        for i, text in enumerate(cells):
            failure = failures.get(text)
            if failure is not None:
                message, code, show = failure
                issues.append((i, _issue(numbers[i], spec, text if show else None, message, code)))
                ok[i] = False
        return values, issues, ok

    def _learn(self, texts: set[str | None]) -> None:
        """Judge texts not met before. Texts with nothing to strip or unquote (nearly all)
        go to the parser in one `map`; the rest, and a batch in which any text fails, one by
        one through `_judge` (the same outcome: the parsers are pure)."""
        spec = self.spec
        known = self.values
        plain: list[str] = [t for t in texts if t and t[0] != "'" and t.strip() == t]
        rest = texts.difference(plain) if len(plain) < len(texts) else ()
        if spec.parse is None:
            known.update(zip(plain, map(_text_value, plain), strict=True))
        else:
            try:
                if spec.parse_many is not None:
                    known.update(zip(plain, spec.parse_many(plain), strict=True))
                else:
                    known.update(zip(plain, map(spec.parse, plain), strict=True))
            except Exception:  # noqa: BLE001 - judged again one by one below
                rest = texts
        failures = self.failures
        for text in rest:
            known[text], failure = _judge(spec, text)
            if failure is not None:
                failures[text] = failure

    def _parse_cells(
        self, cells: Sequence[CellValue], numbers: Sequence[int]
    ) -> tuple[list[object], list[tuple[int, RowIssue]], list[bool] | None]:
        spec = self.spec
        values: list[object] = []
        issues: list[tuple[int, RowIssue]] = []
        ok = [True] * len(cells)
        for i, raw in enumerate(cells):
            value, issue = _parse_cell(numbers[i], spec, raw)
            values.append(value)
            if issue is not None:
                issues.append((i, issue))
                ok[i] = False
        return values, issues, ok if issues else None

    def _duplicates(
        self,
        cells: Sequence[CellValue],
        numbers: Sequence[int],
        values: list[object],
        ok: list[bool] | None,
        issues: list[tuple[int, RowIssue]],
    ) -> list[tuple[int, RowIssue]]:
        """Add "与第 N 行重复" for a value met before (in this file) on a later row."""
        seen = self.first_seen
        assert seen is not None
        if ok is None:
            at = [i for i, v in enumerate(values) if v is not None]
        else:
            at = [i for i, v in enumerate(values) if v is not None and ok[i]]
        if all(issubclass(kind, Hashable) for kind in set(map(type, values))):
            keys: list[Hashable] = [values[i] for i in at]  # _unique_key of each: itself
        else:
            keys = [_unique_key(values[i]) for i in at]
        rows = [numbers[i] for i in at]
        firsts = list(map(seen.setdefault, keys, rows))
        if firsts == rows:
            return issues
        spec = self.spec
        found: list[tuple[int, RowIssue]] = []
        for i, first, number in zip(at, firsts, rows, strict=True):
            if first != number:
                found.append(
                    (i, _issue(number, spec, cells[i], f"与第 {first} 行重复", "duplicate-in-file"))
                )
        if not issues:
            return found
        return sorted([*issues, *found], key=lambda item: item[0])


def read_rows(
    path: Path,
    specs: Sequence[ColumnSpec],
    *,
    sheet: str | None = None,
    max_rows: int = DEFAULT_MAX_ROWS,
    progress: Callable[[int], None] | None = None,
    limits: ZipLimits | None = None,
    block_rows: int = BLOCK_ROWS,
    meanwhile: Callable[[int | None], object] | None = None,
) -> ParsedTable:
    """Read a whole file into ParsedRows, collecting every problem instead of stopping.

    Rows are parsed `block_rows` at a time, column by column (see `_ColumnParser`); the
    outcome does not depend on the block size. `meanwhile`: see `reader.open_table`.

    Raises:
        FileRejected: the file as a whole cannot be read (see `reader.open_table`).
    """
    candidates = [name for spec in specs for name in (spec.header, *spec.aliases)]
    with open_table(
        path,
        sheet=sheet,
        max_rows=max_rows,
        header_candidates=candidates,
        limits=limits,
        meanwhile=meanwhile,
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
        parsers = [_ColumnParser(c) for c in columns]
        rows = result.rows = ParsedColumns([c.spec.key for c in columns])
        for block in table.blocks(block_rows):
            _parse_block(block, parsers, rows)
            if progress is not None:
                done = len(rows)
                for mark in range(
                    (done - len(block.numbers)) // PROGRESS_EVERY + 1,
                    done // PROGRESS_EVERY + 1,
                ):
                    progress(mark * PROGRESS_EVERY)
        if progress is not None:
            progress(len(rows))
    return result


def _parse_block(block: Block, parsers: Sequence[_ColumnParser], out: ParsedColumns) -> None:
    """Parse a Block column by column and append it to `out` (issues in column order)."""
    numbers = block.numbers
    by_row: dict[int, list[RowIssue]] = {}
    columns: list[list[object]] = []
    kinds = [set(map(type, cells)) for cells in block.columns]
    for parser in parsers:
        index = parser.index
        values, issues = parser.parse(block.columns[index], numbers, kinds[index])
        columns.append(values)
        for i, issue in issues:
            found = by_row.get(i)
            if found is None:
                by_row[i] = [issue]
            else:
                found.append(issue)
    raws: Sequence[tuple[object, ...]] = block.rows
    if any(CellProblem in types for types in kinds):
        raws = [tuple(v.text if isinstance(v, CellProblem) else v for v in r) for r in raws]
    out.add(numbers, raws, columns, by_row)

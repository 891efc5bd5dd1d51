"""CalamineSheet parses in a thread of its own; open_table's `meanwhile` runs once on every
path; an import kind's service, read-ahead and engine are readied meanwhile."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import python_calamine

from jjadmin.errors import FileRejected, NotAuthenticated
from jjadmin.importers import calamine_path, reader
from jjadmin.importers import xlsx as xlsx_reader
from jjadmin.importers.calamine_path import CalamineSheet
from jjadmin.importers.columns import ColumnSpec, ParsedColumns, read_rows
from jjadmin.importers.common import (
    ImportKind,
    LoadedService,
    ServiceLoader,
    run_file_import,
    run_import_kind,
)
from jjadmin.importers.reader import MSG_CORRUPT, open_table
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.results import FileMeta, ImportOptions, ImportReport, RowIssue
from tests.xlsx_helpers import make_xlsx, rewrite_member

HEADERS = ["学号", "姓名"]
ROWS = [HEADERS, ["1", "张三"], ["2", "李四"]]
SPECS = [ColumnSpec("学号", "learner_no", required=True), ColumnSpec("姓名", "name")]
NOW = datetime.fromisoformat("2026-03-15T10:00:00+08:00")
ADMIN = Actor(account_id=1, username="admin", role="city", name="市管理员")
HAS_PROC_FD = Path("/proc/self/fd").is_dir()


def small_xlsx(tmp_path: Path, name: str = "t.xlsx") -> Path:
    return make_xlsx(tmp_path / name, ROWS, sheet_title="名册")


def formula_xlsx(tmp_path: Path) -> Path:
    """A sheet the scan finds unfit for calamine (a formula cell): the expat path reads it."""
    return make_xlsx(tmp_path / "f.xlsx", [*ROWS, ["=1+2", "王五"]], sheet_title="名册")


def small_csv(tmp_path: Path) -> Path:
    path = tmp_path / "t.csv"
    path.write_text("学号,姓名\n1,张三\n2,李四\n", encoding="utf-8")
    return path


def open_fds(path: Path) -> int:
    """How many descriptors of this process point at `path` (Linux)."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}") == str(path):
                count += 1
        except OSError:
            continue
    return count


def join_loading_threads(sheets: list[CalamineSheet]) -> None:
    for sheet in sheets:
        thread = sheet._thread
        if thread is not None:
            thread.join(5)
            assert not thread.is_alive()


@pytest.fixture
def thread_errors(monkeypatch: pytest.MonkeyPatch) -> list[BaseException | None]:
    """Exceptions that escaped any thread while the test ran."""
    seen: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: seen.append(args.exc_value))
    return seen


@dataclass
class SlowCalamine:
    """Stands in for python_calamine.CalamineWorkbook: `from_path` waits for `go` (at most
    `patience` seconds), then opens the real workbook; `workbooks` records what was opened."""

    go: threading.Event = field(default_factory=threading.Event)
    patience: float = 5.0
    waited_out: list[bool] = field(default_factory=list)
    workbooks: list[Any] = field(default_factory=list)


@pytest.fixture
def slow_calamine(monkeypatch: pytest.MonkeyPatch) -> Iterator[SlowCalamine]:
    control = SlowCalamine()
    real = python_calamine.CalamineWorkbook

    class Workbook:
        def __init__(self, inner: Any) -> None:
            self.inner = inner
            self.closed = False

        @classmethod
        def from_path(cls, path: str) -> Workbook:
            control.waited_out.append(not control.go.wait(control.patience))
            book = cls(real.from_path(path))
            control.workbooks.append(book)
            return book

        def get_sheet_by_name(self, name: str) -> Any:
            return self.inner.get_sheet_by_name(name)

        def close(self) -> None:
            self.closed = True
            self.inner.close()

    monkeypatch.setattr(python_calamine, "CalamineWorkbook", Workbook)
    yield control
    control.go.set()  # never leave a loading thread behind


@pytest.fixture
def calamine_sheets(monkeypatch: pytest.MonkeyPatch) -> list[CalamineSheet]:
    """Every CalamineSheet open_table makes while the test runs."""
    made: list[CalamineSheet] = []
    original = calamine_path.CalamineSheet

    class Recorded(original):  # type: ignore[misc, valid-type]
        def __init__(self, path: Path, title: str) -> None:
            super().__init__(path, title)
            made.append(self)

    monkeypatch.setattr(calamine_path, "CalamineSheet", Recorded)
    return made


# --- CalamineSheet --------------------------------------------------------------------------


def test_a_calamine_sheet_gives_the_rows_of_a_small_workbook(tmp_path: Path) -> None:
    sheet = CalamineSheet(small_xlsx(tmp_path), "名册")
    try:
        assert list(sheet.rows(None)) == [(1, HEADERS), (2, ["1", "张三"]), (3, ["2", "李四"])]
        assert list(sheet.column_blocks(1, 3, 10)) == [
            (2, [["1", "2"], ["张三", "李四"], [None] * 2])
        ]
    finally:
        sheet.close()


def test_a_file_that_is_no_workbook_fails_at_first_use_not_at_construction(
    tmp_path: Path,
) -> None:
    path = tmp_path / "not.xlsx"
    path.write_text("学号,姓名\n1,张三\n", encoding="utf-8")
    sheet = CalamineSheet(path, "名册")  # nothing raised: the parse runs in its thread
    rows = sheet.rows(None)
    with pytest.raises(python_calamine.CalamineError):
        next(rows)
    with pytest.raises(python_calamine.CalamineError):  # and again on every later use
        next(sheet.column_blocks(1, 2, 10))
    sheet.close()


def test_an_unknown_sheet_title_fails_at_first_use(tmp_path: Path) -> None:
    sheet = CalamineSheet(small_xlsx(tmp_path), "没有这页")
    with pytest.raises(python_calamine.WorksheetNotFound):
        list(sheet.column_blocks(1, 2, 10))
    sheet.close()


def test_a_sheet_calamine_cannot_parse_becomes_file_rejected_through_open_table(
    tmp_path: Path, calamine_sheets: list[CalamineSheet]
) -> None:
    path = small_xlsx(tmp_path)
    rewrite_member(  # a number cell holding text: the scan passes it, calamine does not
        path,
        "xl/worksheets/sheet1.xml",
        lambda data: data.replace(
            b"</sheetData>", b'<row r="4"><c r="A4" t="n"><v>abc</v></c></row></sheetData>'
        ),
    )
    calls: list[str] = []
    with pytest.raises(FileRejected) as caught:
        open_table(path, header_candidates=HEADERS, meanwhile=lambda rows: calls.append("x"))
    assert caught.value.message == MSG_CORRUPT
    assert "float" in caught.value.data["detail"]
    assert len(calamine_sheets) == 1  # the error came from the calamine thread
    assert calls == ["x"]
    if HAS_PROC_FD:
        assert open_fds(path) == 0


def test_close_while_loading_returns_at_once_and_the_thread_closes_the_workbook(
    tmp_path: Path, slow_calamine: SlowCalamine, thread_errors: list[BaseException | None]
) -> None:
    sheet = CalamineSheet(small_xlsx(tmp_path), "名册")
    thread = sheet._thread
    assert thread is not None
    started = time.perf_counter()
    sheet.close()
    assert time.perf_counter() - started < 0.5
    assert thread.is_alive()  # still loading: close did not wait for it
    slow_calamine.go.set()
    thread.join(5)
    assert not thread.is_alive()
    assert slow_calamine.waited_out == [False]
    assert [book.closed for book in slow_calamine.workbooks] == [True]
    assert sheet._loaded is None
    assert thread_errors == []


def test_a_failed_load_of_a_closed_sheet_raises_nothing_anywhere(
    tmp_path: Path, slow_calamine: SlowCalamine, thread_errors: list[BaseException | None]
) -> None:
    path = tmp_path / "not.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    sheet = CalamineSheet(path, "名册")
    thread = sheet._thread
    assert thread is not None
    sheet.close()
    slow_calamine.go.set()
    thread.join(5)
    assert not thread.is_alive()
    assert slow_calamine.workbooks == []
    assert thread_errors == []


def test_close_after_loading_closes_the_workbook_at_once_and_twice_is_harmless(
    tmp_path: Path, slow_calamine: SlowCalamine
) -> None:
    slow_calamine.go.set()
    sheet = CalamineSheet(small_xlsx(tmp_path), "名册")
    assert [n for n, _ in sheet.rows(None)] == [1, 2, 3]
    sheet.close()
    assert [book.closed for book in slow_calamine.workbooks] == [True]
    sheet.close()
    assert [book.closed for book in slow_calamine.workbooks] == [True]


@pytest.mark.skipif(not HAS_PROC_FD, reason="counts descriptors in /proc/self/fd")
def test_closing_a_real_sheet_right_after_construction_leaves_no_open_file(
    tmp_path: Path, thread_errors: list[BaseException | None]
) -> None:
    path = small_xlsx(tmp_path)
    sheets = []
    for _ in range(20):
        started = time.perf_counter()
        sheet = CalamineSheet(path, "名册")
        sheet.close()
        assert time.perf_counter() - started < 0.5
        sheets.append(sheet)
    join_loading_threads(sheets)
    assert open_fds(path) == 0
    assert thread_errors == []


# --- open_table(meanwhile=…) ----------------------------------------------------------------


PATHS: dict[str, tuple[Callable[[Path], Path], bool, bool]] = {
    # name: (file, USE_CALAMINE, USE_FAST_XLSX)
    "calamine": (small_xlsx, True, True),
    "formula-fallback": (formula_xlsx, True, True),
    "expat": (small_xlsx, False, True),
    "openpyxl": (small_xlsx, False, False),
    "csv": (small_csv, True, True),
}


@pytest.fixture(params=sorted(PATHS))
def reading_path(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, Path]:
    build, use_calamine, use_fast = PATHS[request.param]
    monkeypatch.setattr(xlsx_reader, "USE_CALAMINE", use_calamine)
    monkeypatch.setattr(xlsx_reader, "USE_FAST_XLSX", use_fast)
    return request.param, build(tmp_path)


def test_meanwhile_is_called_exactly_once_on_every_path(
    reading_path: tuple[str, Path], calamine_sheets: list[CalamineSheet]
) -> None:
    name, path = reading_path
    calls: list[int | None] = []
    with open_table(
        path, header_candidates=HEADERS, meanwhile=lambda rows: calls.append(rows)
    ) as table:
        assert len(calls) == 1
        rows = [r.values for r in table]
        list(table.blocks(2))
    assert len(calls) == 1
    # the rows the sheet holds as far as known then: at least its data rows
    assert calls[0] is not None and calls[0] >= len(rows)
    assert rows[:2] == [("1", "张三"), ("2", "李四")]
    assert len(calamine_sheets) == (1 if name == "calamine" else 0)


def test_read_rows_passes_meanwhile_on(reading_path: tuple[str, Path]) -> None:
    calls: list[int | None] = []
    table = read_rows(reading_path[1], SPECS, meanwhile=lambda rows: calls.append(rows))
    assert len(calls) == 1 and calls[0] is not None and calls[0] >= len(table.rows)
    assert [r.values["name"] for r in table.rows][:2] == ["张三", "李四"]


def test_a_sheet_unfit_for_calamine_is_scanned_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, calamine_sheets: list[CalamineSheet]
) -> None:
    scans: list[str] = []
    original = calamine_path.scan_sheet

    def counting(zf: Any, member: str) -> calamine_path.ScanResult:
        scans.append(member)
        return original(zf, member)

    monkeypatch.setattr(calamine_path, "scan_sheet", counting)
    with open_table(formula_xlsx(tmp_path), header_candidates=HEADERS) as table:
        values = [r.values for r in table]
    assert scans == ["xl/worksheets/sheet1.xml"]
    assert calamine_sheets == []
    assert isinstance(values[-1][0], reader.CellProblem) and values[-1][1] == "王五"


def test_meanwhile_runs_while_calamine_is_still_loading(
    tmp_path: Path, slow_calamine: SlowCalamine
) -> None:
    slow_calamine.patience = 2.0
    with open_table(
        small_xlsx(tmp_path),
        header_candidates=HEADERS,
        meanwhile=lambda rows: slow_calamine.go.set(),
    ) as table:
        assert [r.values for r in table] == [("1", "张三"), ("2", "李四")]
    # had meanwhile run after the first read, the load would have waited its patience out
    assert slow_calamine.waited_out == [False]


class Refused(Exception):
    pass


def refuse(rows: int | None) -> None:
    raise Refused("尚未登录")


def test_what_meanwhile_raises_propagates_on_every_path(reading_path: tuple[str, Path]) -> None:
    with pytest.raises(Refused):
        open_table(reading_path[1], header_candidates=HEADERS, meanwhile=refuse)


@pytest.mark.skipif(not HAS_PROC_FD, reason="counts descriptors in /proc/self/fd")
def test_the_file_is_closed_when_meanwhile_raises(
    reading_path: tuple[str, Path], calamine_sheets: list[CalamineSheet]
) -> None:
    name, path = reading_path
    assert open_fds(path) == 0
    with pytest.raises(Refused) as caught:
        open_table(path, header_candidates=HEADERS, meanwhile=refuse)
    # `caught` holds the traceback, and with it the frames: a handle left open is not yet
    # collected here
    if name != "calamine":  # no thread: nothing may stay open even for an instant
        assert open_fds(path) == 0
    join_loading_threads(calamine_sheets)
    assert open_fds(path) == 0
    assert caught.value.args == ("尚未登录",)


@pytest.mark.skipif(not HAS_PROC_FD, reason="counts descriptors in /proc/self/fd")
def test_a_meanwhile_raising_during_a_slow_load_leaves_nothing_open(
    tmp_path: Path,
    slow_calamine: SlowCalamine,
    calamine_sheets: list[CalamineSheet],
    thread_errors: list[BaseException | None],
) -> None:
    path = small_xlsx(tmp_path)
    started = time.perf_counter()
    with pytest.raises(Refused) as caught:
        open_table(path, header_candidates=HEADERS, meanwhile=refuse)
    assert time.perf_counter() - started < 1.0  # the parse is not waited for
    assert open_fds(path) == 0  # the reader's own handle is closed at once
    slow_calamine.go.set()
    join_loading_threads(calamine_sheets)
    assert open_fds(path) == 0
    assert caught.value.args == ("尚未登录",)
    assert [book.closed for book in slow_calamine.workbooks] == [True]
    assert thread_errors == []


# --- run_import_kind ------------------------------------------------------------------------


SERVICE_CALLS: list[dict[str, Any]] = []
LOADS: list[str] = []


def recording_service(ctx: ServiceContext, **kwargs: Any) -> ImportReport:
    SERVICE_CALLS.append({"ctx": ctx, **kwargs})
    return ImportReport(total=len(kwargs["rows"]), dry_run=True)


def recording_read_ahead(ctx: ServiceContext, rows: int) -> None:
    LOADS.append(f"read-ahead {rows}")


def _load_recording() -> LoadedService:
    LOADS.append("load")
    return LoadedService(recording_service, read_ahead=recording_read_ahead)


KIND = ImportKind(
    name="test", title="导入测试", reading="读取测试表", columns=SPECS, load=_load_recording
)


@pytest.fixture(autouse=True)
def _no_service_calls() -> None:
    SERVICE_CALLS.clear()
    LOADS.clear()


def make_context(*, logged_in: bool = True, order: list[str] | None = None) -> ServiceContext:
    def resolve(_ctx: ServiceContext) -> Actor:
        if order is not None:
            order.append("actor")
        if not logged_in:
            raise NotAuthenticated("尚未登录或登录已过期")
        return ADMIN

    return ServiceContext(database_url="sqlite://", now=NOW, _actor_resolver=resolve)


def test_an_import_kind_hands_the_parsed_sheet_to_its_service(tmp_path: Path) -> None:
    ctx = make_context()
    path = small_xlsx(tmp_path)
    outcome = run_import_kind(
        ctx, KIND, path, options=ImportOptions(dry_run=True), extra="passed on"
    )
    assert outcome.report.total == 2
    (call,) = SERVICE_CALLS
    assert call["ctx"] is ctx
    assert isinstance(call["rows"], ParsedColumns)
    assert [r.values for r in call["rows"]] == [
        {"learner_no": "1", "name": "张三"},
        {"learner_no": "2", "name": "李四"},
    ]
    assert call["pre_issues"] == []
    assert call["file"] == FileMeta("t.xlsx", reader.file_sha256(path))
    assert call["options"] == ImportOptions(dry_run=True)
    assert call["present"] == frozenset({"learner_no", "name"})
    assert call["extra"] == "passed on"
    # loaded once, then read ahead with the sheet's row estimate (the header row included)
    assert LOADS == ["load", "read-ahead 3"]
    assert ctx._engine is not None  # built while the sheet loaded
    ctx.close()


def test_run_file_import_takes_a_service_at_hand(tmp_path: Path) -> None:
    ctx = make_context()
    outcome = run_file_import(
        ctx, small_xlsx(tmp_path), SPECS, recording_service, options=ImportOptions()
    )
    assert outcome.report.total == 2 and len(SERVICE_CALLS) == 1 and LOADS == []
    ctx.close()


def test_every_declared_import_kind_loads_a_real_service() -> None:
    from jjadmin.importers.course import COURSE_IMPORT
    from jjadmin.importers.enroll import ENROLL_IMPORT
    from jjadmin.importers.school import SCHOOL_IMPORT
    from jjadmin.importers.teacher import TEACHER_IMPORT
    from jjadmin.importers.transfer import TRANSFER_IMPORT

    kinds = [SCHOOL_IMPORT, TEACHER_IMPORT, COURSE_IMPORT, TRANSFER_IMPORT, ENROLL_IMPORT]
    assert len({k.name for k in kinds}) == len(kinds)
    for kind in kinds:
        loaded = kind.load()
        assert callable(loaded.service) and loaded.service.__name__.startswith("import_")
        assert kind.specs(NOW.date()), kind.name
        assert kind.title.startswith("导入") and kind.reading.startswith("读取")


def test_the_actor_is_resolved_before_the_sheet_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    order: list[str] = []
    original = calamine_path.CalamineSheet.rows

    def rows(self: CalamineSheet, max_col: int | None) -> Iterator[tuple[int, Any]]:
        order.append("rows")
        return original(self, max_col)

    monkeypatch.setattr(calamine_path.CalamineSheet, "rows", rows)
    ctx = make_context(order=order)
    run_import_kind(ctx, KIND, small_xlsx(tmp_path), options=ImportOptions())
    assert order[:2] == ["actor", "rows"]
    ctx.close()


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_not_logged_in_is_said_even_for_a_sheet_with_a_wrong_header(
    tmp_path: Path, kind: str
) -> None:
    if kind == "xlsx":
        path = make_xlsx(tmp_path / "wrong.xlsx", [["甲", "乙"], ["1", "2"]])
    else:
        path = tmp_path / "wrong.csv"
        path.write_text("甲,乙\n1,2\n", encoding="utf-8")
    assert read_rows(path, SPECS).schema_issues  # the header really is wrong
    ctx = make_context(logged_in=False)
    with pytest.raises(NotAuthenticated):
        run_import_kind(ctx, KIND, path, options=ImportOptions())
    assert SERVICE_CALLS == [] and LOADS == []
    assert ctx._engine is None  # nothing was built for an anonymous caller


def test_a_wrong_header_reaches_the_service_as_schema_issues(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "wrong.xlsx", [["甲", "乙"], ["1", "2"]])
    ctx = make_context()
    run_import_kind(ctx, KIND, path, options=ImportOptions())
    (call,) = SERVICE_CALLS
    issues: list[RowIssue] = call["pre_issues"]
    assert [i.code for i in issues] == ["missing-header"]
    assert list(call["rows"]) == []
    ctx.close()


def test_a_service_loader_never_called_as_meanwhile_readies_itself_when_asked() -> None:
    order: list[str] = []
    ctx = make_context(order=order)
    loader = ServiceLoader(ctx, _load_recording)
    assert order == ["actor"] and ctx._engine is None and LOADS == []  # the actor first
    assert loader.service is recording_service
    assert ctx._engine is not None
    assert loader.service is recording_service and order == ["actor"]
    assert LOADS == ["load"]  # once only; no rows known, so no read-ahead
    ctx.close()


@pytest.mark.parametrize("trouble", ["missing file", "blank csv", "unknown sheet"])
def test_not_logged_in_is_said_before_anything_about_the_file(tmp_path: Path, trouble: str) -> None:
    if trouble == "missing file":
        path = tmp_path / "nowhere.xlsx"
    elif trouble == "blank csv":
        path = tmp_path / "blank.csv"
        path.write_text("\n" * 30 + "学号,姓名\n1,张三\n", encoding="utf-8")
    else:
        path = small_xlsx(tmp_path)
    ctx = make_context(logged_in=False)
    with pytest.raises(NotAuthenticated):
        run_file_import(
            ctx, path, SPECS, recording_service, options=ImportOptions(), sheet="没有这张表"
        )
    assert SERVICE_CALLS == []

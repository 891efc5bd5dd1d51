"""The teacher import's paths for large sheets decide as the small-sheet paths do: a large
first load builds the indexes afterwards (SQLite: the same rows, every index back, a
duplicate still refused); a large sheet looks existing teachers up in one pass."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, Table, func, inspect, select

from jjadmin import db
from jjadmin.db import make_engine, session_factory
from jjadmin.errors import Conflict
from jjadmin.importers.common import LoadedService, run_file_import, run_import_kind
from jjadmin.importers.teacher import TEACHER_HEADERS, TEACHER_IMPORT, teacher_columns
from jjadmin.models import Teacher, metadata
from jjadmin.services import teachers
from jjadmin.services.accounts import seed_districts
from jjadmin.services.context import ServiceContext
from jjadmin.services.imports import undo_batch
from jjadmin.services.results import ImportOptions, ImportReport
from jjadmin.services.teachers import common, roster_lookup, roster_plan
from tests.conftest import CtxFactory, Outbox
from tests.factories import NOW, make_account, make_school
from tests.services.test_teachers import (  # noqa: F401 - fixtures
    World,
    import_sheet,
    new_id,
    sheet_row,
    world,
)
from tests.xlsx_helpers import make_xlsx

INDEXES = {ix.name for ix in common.T.indexes}


def index_names(engine: Engine) -> set[str]:
    return {str(ix["name"]) for ix in inspect(engine).get_indexes("teacher")}


def teacher_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Teacher)).scalar_one())


@pytest.fixture
def deferring(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """REINDEX_AT lowered to 2 rows; records the indexes each insert deferred."""
    monkeypatch.setattr(db, "REINDEX_AT", 2)
    seen: list[list[str]] = []
    original = db.deferred_indexes

    def spy(conn: object, table: Table, count: int) -> list[object]:
        found = original(conn, table, count)
        if table is common.T:
            seen.append(sorted(str(ix.name) for ix in found))
        return found

    monkeypatch.setattr(db, "deferred_indexes", spy)
    return seen


def test_a_bulk_load_into_an_empty_table_rebuilds_every_index(
    world: World,  # noqa: F811
    make_ctx: CtxFactory,
    import_sheet: Callable[..., ImportReport],  # noqa: F811
    deferring: list[list[str]],
    engine: Engine,
) -> None:
    ids = [new_id() for _ in range(3)]
    report = import_sheet(make_ctx(world.a1), [sheet_row(i) for i in ids])
    assert report.created == 3 and report.issues == []
    # both build the indexes after the load (PostgreSQL: COPY, and the school key checked after)
    assert deferring == [sorted(INDEXES)]
    assert INDEXES <= index_names(engine)
    with engine.connect() as conn:
        rows = conn.execute(
            select(Teacher.id_number, Teacher.learner_no).order_by(Teacher.id)  # type: ignore[arg-type]
        ).all()
    assert [r[0] for r in rows] == ids  # file order
    assert [r[1] for r in rows] == sorted(r[1] for r in rows)


def test_a_load_smaller_than_the_table_keeps_the_indexes(
    world: World,  # noqa: F811
    make_ctx: CtxFactory,
    import_sheet: Callable[..., ImportReport],  # noqa: F811
    deferring: list[list[str]],
    engine: Engine,
) -> None:
    import_sheet(make_ctx(world.a1), [sheet_row(new_id()) for _ in range(4)])
    report = import_sheet(make_ctx(world.a1), [sheet_row(new_id()) for _ in range(2)])
    assert report.created == 2
    assert deferring == [sorted(INDEXES), []]  # 2 new rows into a table of 4: through them
    assert teacher_count(engine) == 6 and INDEXES <= index_names(engine)


def test_a_duplicate_met_when_the_unique_index_is_rebuilt_writes_nothing(
    world: World,  # noqa: F811
    make_ctx: CtxFactory,
    import_sheet: Callable[..., ImportReport],  # noqa: F811
    deferring: list[list[str]],
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    taken = new_id()
    import_sheet(make_ctx(world.a1), [sheet_row(taken)])
    # another run inserted `taken` after this one looked: validation does not see it
    monkeypatch.setattr(roster_plan, "_existing_rows", lambda session, ids, ahead=None: {})
    rows = [sheet_row(new_id()), sheet_row(taken), sheet_row(new_id())]
    with pytest.raises(Conflict, match="同时进行的另一项操作"):
        import_sheet(make_ctx(world.a1), rows)
    assert deferring == [[], sorted(INDEXES)]  # the duplicate met the rebuilt index
    assert teacher_count(engine) == 1
    assert INDEXES <= index_names(engine)  # the dropped indexes came back with the rollback


def test_the_one_pass_lookup_of_existing_teachers_decides_as_the_in_lists(
    world: World,  # noqa: F811
    make_ctx: CtxFactory,
    import_sheet: Callable[..., ImportReport],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mine = [new_id() for _ in range(3)]
    theirs = new_id()
    import_sheet(make_ctx(world.a1), [sheet_row(i) for i in mine])
    import_sheet(make_ctx(world.a2), [sheet_row(theirs, "4401040002")])
    rows = [
        sheet_row(mine[0]),  # unchanged
        sheet_row(mine[1], 手机号="13700137000"),  # changed: updated with --upsert
        sheet_row(mine[2], 姓名="王五"),  # a name change: refused
        sheet_row(theirs),  # another school's teacher: refused
        sheet_row(new_id()),  # new
    ]
    outcomes = []
    for full_scan_at in (10**9, 1):  # IN lists of 500, then one pass over the table
        monkeypatch.setattr(roster_lookup, "FULL_SCAN_AT", full_scan_at)
        report = import_sheet(make_ctx(world.a1), rows, upsert=True, skip_invalid=True)
        codes = sorted(issue.code for issue in report.issues)
        outcomes.append(report.to_json() | {"batch_id": None, "codes": codes})
        if report.batch_id is not None:
            undo_batch(make_ctx(world.a1), report.batch_id)
    assert outcomes[0] == outcomes[1]
    found = outcomes[1]
    # 跳过 is the unchanged row alone; the two refused rows are errors (issue 13)
    assert (found["created"], found["updated"], found["skipped"]) == (1, 1, 1)
    assert found["codes"] == ["id-other-school", "name-change"]


# --- the read-ahead of existing teachers (while the sheet is parsed) -------------------------


@pytest.fixture
def fetches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """FULL_SCAN_AT lowered to 1 row; counts the one-pass reads of the teacher table."""
    monkeypatch.setattr(roster_lookup, "FULL_SCAN_AT", 1)
    seen: list[int] = []
    original = roster_lookup._fetch_all

    def spy(dbapi: object) -> list[tuple[object, ...]]:
        found = original(dbapi)
        seen.append(len(found))
        return found

    monkeypatch.setattr(roster_lookup, "_fetch_all", spy)
    return seen


def reimport(ctx: ServiceContext, tmp_path: Path, rows: list[list[object]], **kw: Any) -> Any:
    path = make_xlsx(tmp_path / f"again{len(rows)}.xlsx", [list(TEACHER_HEADERS), *rows])
    return run_file_import(
        ctx,
        path,
        teacher_columns(NOW.date()),
        teachers.import_teachers,
        options=ImportOptions(),
        **kw,
    ).report


def test_a_large_reimport_uses_the_teachers_read_while_the_sheet_loaded(
    world: World,  # noqa: F811
    make_ctx: CtxFactory,
    import_sheet: Callable[..., ImportReport],  # noqa: F811
    fetches: list[int],
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows = [sheet_row(new_id()) for _ in range(3)]
    import_sheet(make_ctx(world.a1), rows)
    fetches.clear()
    ctx = make_ctx(world.a1)
    read: list[object] = []
    original = teachers.read_ahead_teachers

    def reading(ctx: ServiceContext, rows: int) -> None:
        original(ctx, rows)
        read.append((rows, ctx.read_ahead.get(teachers.READ_AHEAD)))

    kind = replace(
        TEACHER_IMPORT, load=lambda: LoadedService(teachers.import_teachers, read_ahead=reading)
    )
    path = make_xlsx(tmp_path / "again.xlsx", [list(TEACHER_HEADERS), *rows])
    report = run_import_kind(ctx, kind, path, options=ImportOptions()).report
    assert (report.created, report.skipped, report.issues) == (0, 3, [])
    ((estimate, entry),) = read  # called once, with the rows the sheet holds
    assert estimate is not None and estimate >= 3
    # SQLite: read once while the sheet loaded and used as it was; PostgreSQL reads none
    # ahead and the lookup reads the table
    assert (entry is not None) == (engine.dialect.name == "sqlite")
    assert fetches == [3]
    assert ctx.read_ahead == {}  # used once, then gone


def test_teachers_read_on_another_connection_are_read_again(
    world: World,  # noqa: F811
    make_ctx: CtxFactory,
    import_sheet: Callable[..., ImportReport],  # noqa: F811
    fetches: list[int],
    tmp_path: Path,
) -> None:
    rows = [sheet_row(new_id()) for _ in range(3)]
    import_sheet(make_ctx(world.a1), rows)
    fetches.clear()
    ctx = make_ctx(world.a1)
    ctx.read_ahead[teachers.READ_AHEAD] = teachers.ReadAhead(object(), 0, [])  # not current
    report = reimport(ctx, tmp_path, rows)
    assert (report.created, report.skipped, report.issues) == (0, 3, [])
    assert fetches == [3]


def test_teachers_read_ahead_are_read_again_after_another_connection_committed(
    tmp_path: Path, outbox: Outbox, fetches: list[int]
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'city.db'}", create=True)
    metadata.create_all(engine)
    with session_factory(engine)() as s:
        seed_districts(s)
        school = make_school(s, "4401040001", "440104")
        admin = make_account(s, "school", school=school)
        s.commit()
    rows = [sheet_row(new_id()) for _ in range(3)]
    make = CtxFactory(engine, outbox)
    assert reimport(make(admin), tmp_path, rows[:2]).created == 2
    ctx = make(admin)
    teachers.read_ahead_teachers(ctx, 10)  # two teachers read ahead
    other = make_engine(f"sqlite:///{tmp_path / 'city.db'}")
    try:  # another process adds the third meanwhile
        assert reimport(CtxFactory(other, outbox)(admin), tmp_path, rows[2:]).created == 1
    finally:
        other.dispose()
    fetches.clear()
    report = reimport(ctx, tmp_path, rows)
    # the third is known: the rows read ahead were stale (data_version moved) and read again
    assert (report.created, report.skipped, report.issues) == (0, 3, [])
    assert fetches == [3]
    engine.dispose()

"""A large first load builds the teacher indexes afterwards (SQLite); the outcome is the one
the per-row inserts give: the same rows, every index back, a duplicate still refused."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine, func, inspect, select

from jjadmin.errors import Conflict
from jjadmin.models import Teacher
from jjadmin.services import teachers
from jjadmin.services.results import ImportReport
from tests.conftest import CtxFactory
from tests.services.test_teachers import (  # noqa: F401 - fixtures
    World,
    import_sheet,
    new_id,
    sheet_row,
    world,
)

INDEXES = {ix.name for ix in teachers.T.indexes}


def index_names(engine: Engine) -> set[str]:
    return {str(ix["name"]) for ix in inspect(engine).get_indexes("teacher")}


def teacher_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Teacher)).scalar_one())


@pytest.fixture
def deferring(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """REINDEX_AT lowered to 2 rows; records the indexes each insert deferred."""
    monkeypatch.setattr(teachers, "REINDEX_AT", 2)
    seen: list[list[str]] = []
    original = teachers._deferred_indexes

    def spy(conn: object, count: int) -> list[object]:
        found = original(conn, count)
        seen.append(sorted(str(ix.name) for ix in found))
        return found

    monkeypatch.setattr(teachers, "_deferred_indexes", spy)
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
    # PostgreSQL loads with COPY and keeps its indexes
    assert deferring == ([sorted(INDEXES)] if engine.dialect.name == "sqlite" else [])
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
    if engine.dialect.name == "sqlite":  # 2 new rows into a table of 4: through the indexes
        assert deferring == [sorted(INDEXES), []]
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
    monkeypatch.setattr(teachers, "_existing_by_id_number", lambda session, ids: {})
    rows = [sheet_row(new_id()), sheet_row(taken), sheet_row(new_id())]
    with pytest.raises(Conflict, match="同时进行的另一项操作"):
        import_sheet(make_ctx(world.a1), rows)
    if engine.dialect.name == "sqlite":  # the duplicate met the rebuilt index, not an insert
        assert deferring == [[], sorted(INDEXES)]
    assert teacher_count(engine) == 1
    assert INDEXES <= index_names(engine)  # the dropped indexes came back with the rollback

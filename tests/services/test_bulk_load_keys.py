"""db.indexes_built_after: a load as large as its table builds the indexes (and, on
PostgreSQL, checks the foreign keys) once after the load, inside the load's transaction."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from jjadmin import db
from jjadmin.models.course import Enrollment

TABLE = Enrollment.__table__  # type: ignore[attr-defined]


def keys_and_indexes(engine: Engine) -> tuple[set[str], set[str]]:
    found = inspect(engine)
    return (
        {str(k["name"]) for k in found.get_foreign_keys("enrollment")},
        {str(i["name"]) for i in found.get_indexes("enrollment")},
    )


def insert_orphan(conn: object) -> None:
    conn.execute(  # type: ignore[attr-defined]
        text(
            "INSERT INTO enrollment (period, course_id, teacher_id, school_id, state, paid,"
            " source, created_at) VALUES ('2601', 999999, 999999, 999999, 'active', false,"
            " 'import', :now)"
        ),
        {"now": datetime(2026, 3, 1, tzinfo=UTC)},
    )


def test_a_large_load_drops_what_it_rebuilds_and_a_rollback_restores_everything(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = keys_and_indexes(engine)
    monkeypatch.setattr(db, "REINDEX_AT", 1)
    with engine.connect() as conn:
        trans = conn.begin()
        with db.indexes_built_after(conn, TABLE, 1):
            inside = {str(i["name"]) for i in inspect(conn).get_indexes("enrollment")}
            keys = {str(k["name"]) for k in inspect(conn).get_foreign_keys("enrollment")}
            assert inside == set()
            if engine.dialect.name == "postgresql":  # checked once after the load
                assert keys == set()
        trans.rollback()
    assert keys_and_indexes(engine) == before


def test_a_row_without_its_parent_is_refused_when_the_keys_come_back(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = keys_and_indexes(engine)
    monkeypatch.setattr(db, "REINDEX_AT", 1)
    with engine.connect() as conn:
        trans = conn.begin()
        if engine.dialect.name == "postgresql":
            with pytest.raises(IntegrityError, match="fk_enrollment"):
                with db.indexes_built_after(conn, TABLE, 1):
                    insert_orphan(conn)  # no trigger refuses it during the load
        else:  # a SQLite file (as users run it) checks foreign keys row by row, as before
            with pytest.raises(IntegrityError, match="FOREIGN KEY"):
                with db.indexes_built_after(conn, TABLE, 1):
                    insert_orphan(conn)
        trans.rollback()
    assert keys_and_indexes(engine) == before
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn, pytest.raises(IntegrityError):
            insert_orphan(conn)  # the keys are enforced again


def test_a_load_smaller_than_the_table_goes_through_the_indexes_and_keys(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "REINDEX_AT", 1_000_000)
    with engine.connect() as conn:
        assert db.deferred_indexes(conn, TABLE, 10) == []

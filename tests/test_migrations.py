"""The shipped migrations build exactly the schema the models declare (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

import jjadmin.models  # noqa: F401  (every table in the metadata)
from jjadmin.db import current_revision, head_revision, make_engine, migrate
from jjadmin.models import metadata
from tests.conftest import PG_URL, create_pg_database, drop_pg_database


def _diffs(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "render_as_batch": True}
        )
        return list(compare_metadata(context, metadata))


def _check_fresh_upgrade(engine: Engine) -> None:
    assert current_revision(engine) is None
    before, head = migrate(engine)
    assert before is None and head == head_revision(engine)
    assert current_revision(engine) == head
    assert _diffs(engine) == []
    tables = set(inspect(engine).get_table_names())
    assert set(metadata.tables) <= tables
    assert migrate(engine) == (head, head)  # idempotent
    assert _diffs(engine) == []


def test_upgrade_head_on_an_empty_sqlite_database_matches_the_models(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}", create=True)
    try:
        _check_fresh_upgrade(engine)
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_upgrade_head_on_an_empty_postgresql_database_matches_the_models() -> None:
    assert PG_URL
    url = create_pg_database("jjmig")
    engine = make_engine(url)
    try:
        _check_fresh_upgrade(engine)
    finally:
        engine.dispose()
        drop_pg_database(url)


def test_the_metadata_differs_from_an_empty_database_so_the_check_can_fail(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'none.db'}", create=True)
    try:
        assert any(diff[0] == "add_table" for diff in _diffs(engine))
    finally:
        engine.dispose()


def test_upgrading_a_0001_database_drops_the_teacher_name_index(tmp_path: Path) -> None:
    from alembic import command

    from jjadmin.db import migrations_config

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}", create=True)
    try:
        command.upgrade(migrations_config(engine), "0001")
        names = {ix["name"] for ix in inspect(engine).get_indexes("teacher")}
        assert "ix_teacher_name" in names
        before, head = migrate(engine)
        assert before == "0001" and head == head_revision(engine)
        names = {ix["name"] for ix in inspect(engine).get_indexes("teacher")}
        assert "ix_teacher_name" not in names and "ix_teacher_id_number" in names
        assert _diffs(engine) == []
    finally:
        engine.dispose()

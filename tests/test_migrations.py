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


_POPULATE_0002 = [
    "INSERT INTO district (code, name) VALUES ('440104', '越秀区')",
    "INSERT INTO school (id, code, name, district_code, school_type, seal_name, town, nature,"
    " head_name, head_mobile, version, created_at, updated_at) VALUES (1, '4401040001', '甲校',"
    " '440104', '小学', '甲校', '某街', '公办', '校长', '13800138000', 1, :t, :t)",
    "INSERT INTO teacher (id, learner_no, name, id_number, gender, birth_date, mobile,"
    " school_id, stage, subject, status, review_state, version, created_at, updated_at) VALUES"
    " (1, '44012600000001', '张三', '110101199003074514', '男', '1990-03-07', '13800138001', 1,"
    " '小学', '数学', '在职', 'normal', 1, :t, :t)",
    "INSERT INTO account (id, username, role, name, disabled, failed_logins, created_at)"
    " VALUES (1, 'admin', 'city', '某人', false, 0, :t)",
    "INSERT INTO account (id, username, role, name, disabled, failed_logins, teacher_id,"
    " school_id, created_at) VALUES (2, '44012600000001', 'teacher', '张三', false, 0, 1, 1, :t)",
    "INSERT INTO auth_token (token_hash, account_id, kind, created_at, expires_at, revoked)"
    " VALUES ('h', 1, 'session', :t, :t, false)",
    "INSERT INTO period (code, select_from, select_to, pay_by, created_by, created_at)"
    " VALUES ('2601', :t, :t, :t, 1, :t)",
    "INSERT INTO course (id, period, code, name, level, course_type, hour_type, hours, fee,"
    " material_fee, charging_unit, enrolled, status, approval, version, created_at, updated_at)"
    " VALUES (1, '2601', 'C1', '课', '全员培训', '面授', '专业科目', 24, 100, 0, '中心', 1,"
    " '上线', 'approved', 1, :t, :t)",
    "INSERT INTO enrollment (period, course_id, teacher_id, school_id, state, paid, source,"
    " created_by, created_at) VALUES ('2601', 1, 1, 1, 'active', false, 'admin', 1, :t)",
    "INSERT INTO audit_log (at, actor_id, actor, action, target_type, target) VALUES"
    " (:t, 1, 'admin', 'x', 'account', 'admin')",
]


def _upgrade_a_populated_first_release(engine: Engine) -> None:
    from alembic import command
    from sqlalchemy import text

    from jjadmin.db import migrations_config

    command.upgrade(migrations_config(engine), "0002")
    with engine.begin() as conn:
        for sql in _POPULATE_0002:
            conn.execute(text(sql), {"t": "2026-03-01 00:00:00"})
    tables = ("school", "teacher", "account", "auth_token", "course", "enrollment", "audit_log")
    with engine.connect() as conn:
        before = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in tables}
    assert migrate(engine) == ("0002", head_revision(engine))
    assert _diffs(engine) == []
    with engine.connect() as conn:
        after = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in tables}
        assert after == before  # every row kept
        if engine.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # back on


def test_a_populated_database_of_the_first_release_upgrades_to_head_on_sqlite(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}", create=True)
    try:
        _upgrade_a_populated_first_release(engine)
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_a_populated_database_of_the_first_release_upgrades_to_head_on_postgresql() -> None:
    url = create_pg_database("jjold")
    engine = make_engine(url)
    try:
        _upgrade_a_populated_first_release(engine)
    finally:
        engine.dispose()
        drop_pg_database(url)


def _old_billing_rows(engine: Engine) -> None:
    """A school, teacher, period, bill and special-user row as revision 0002 stored them."""
    from sqlalchemy import text

    with engine.begin() as conn:
        conn.execute(text("INSERT INTO district (code, name) VALUES ('440104', '越秀区')"))
        conn.execute(
            text(
                "INSERT INTO school (id, code, name, district_code, school_type, seal_name, town,"
                " nature, head_name, head_mobile, version, created_at, updated_at) VALUES (1,"
                " '4401040001', '示范小学', '440104', '小学', '广州市示范小学', '街', '公办',"
                " '校长', '13800138000', 1, '2026-01-01', '2026-01-01')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO teacher (id, learner_no, name, id_number, gender, birth_date, mobile,"
                " school_id, stage, subject, status, review_state, version, created_at,"
                " updated_at) VALUES (1, '44012600000001', '张三', '440104199001010011', '男',"
                " '1990-01-01', '13800138000', 1, '小学', '语文', '在职', 'normal', 1,"
                " '2026-01-01', '2026-01-01')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO period (code, select_from, select_to, pay_by, created_at) VALUES"
                " ('2601', '2026-03-01', '2026-03-20', '2026-04-10', '2026-01-01')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO bill (id, bill_no, period, school_id, charging_unit, name, amount,"
                " state, created_at, updated_at) VALUES (1, 'ZD2601-000001', '2601', 1, '电大',"
                " '示范小学2601期培训费', 12000, 'paid', '2026-03-21', '2026-03-21')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO special_user (id, teacher_id, period, enrollment_ids, flagged_at,"
                " occurrence, detail) VALUES (1, 1, '2601', '[]', '2026-04-11', 1, '{}')"
            )
        )


def test_upgrading_a_0002_database_keeps_its_bills_and_special_users(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import text

    from jjadmin.db import migrations_config

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}", create=True)
    try:
        command.upgrade(migrations_config(engine), "0002")
        _old_billing_rows(engine)
        migrate(engine)
        assert _diffs(engine) == []
        with engine.connect() as conn:
            bill = conn.execute(text("SELECT amount, state, enrollments, version FROM bill")).one()
            flag = conn.execute(text("SELECT level, version, cleared_at FROM special_user")).one()
        assert tuple(bill) == (12000, "paid", 0, 1)
        assert tuple(flag) == ("全员培训", 1, None)
        names = {ix["name"] for ix in inspect(engine).get_indexes("enrollment")}
        assert "ix_enrollment_bill_id" not in names
    finally:
        engine.dispose()

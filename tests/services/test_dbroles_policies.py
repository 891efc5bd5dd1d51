"""A seeded city on a real PostgreSQL, each operator connected as its own login role: the
database enforces the scope the services check — the same rows, whichever form asks."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, select, text

import jjadmin.models  # noqa: F401
from jjadmin.db import session_factory
from jjadmin.models import School, metadata
from jjadmin.services.dbroles.tables import rules
from jjadmin.services.scope import school_clause, unit_clause
from jjadmin.services.scope_rules import COUNTERS, INTERNAL, school_in_scope, school_scope_sql
from tests.pgcity import SCHOOLS, TEACHERS, City, CityDatabase, seeded_city

pytestmark = pytest.mark.postgres

ROLES = ["admin", "cron", "yx", "hz", "s_yx1", "s_yx2", "s_hz1", "ia", "ib"]
ALL_TEACHERS = set(TEACHERS)
# written out by hand: what each account's role sees (t5 of hz1 is asked for by yx1)
EXPECTED_TEACHERS = {
    "admin": ALL_TEACHERS,
    "cron": ALL_TEACHERS,
    "yx": {"t1", "t2", "t3", "t5"},
    "hz": {"t4", "t5"},
    "s_yx1": {"t1", "t2", "t5"},
    "s_yx2": {"t3"},
    "s_hz1": {"t4", "t5"},
    "ia": {"t1", "t4"},  # enrolled in its course A1
    "ib": {"t3", "t5"},
}
EXPECTED_ENROLLED = {  # whose enrollments
    "admin": {"t1", "t3", "t4", "t5"},
    "cron": {"t1", "t3", "t4", "t5"},
    "yx": {"t1", "t3"},
    "hz": {"t4", "t5"},
    "s_yx1": {"t1"},
    "s_yx2": {"t3"},
    "s_hz1": {"t4", "t5"},
    "ia": {"t1", "t4"},
    "ib": {"t3", "t5"},
}
OPERATORS = {"admin", "cron", "yx", "hz", "s_yx1", "s_yx2", "s_hz1", "ia", "ib"}
EXPECTED_ACCOUNTS = {
    "admin": OPERATORS,
    "cron": OPERATORS,
    "yx": {"yx", "s_yx1", "s_yx2"},
    "hz": {"hz", "s_hz1"},
    "s_yx1": {"s_yx1"},
    "s_yx2": {"s_yx2"},
    "s_hz1": {"s_hz1"},
    "ia": {"ia"},
    "ib": {"ib"},
}
EXPECTED_WRITABLE_SCHOOLS = {
    "admin": set(SCHOOLS),
    "yx": {"yx1", "yx2"},
    "hz": {"hz1"},
    "s_yx1": {"yx1"},
    "s_yx2": {"yx2"},
    "s_hz1": {"hz1"},
}


@pytest.fixture(scope="module")
def city(city_db: CityDatabase) -> Iterator[tuple[City, Engine]]:
    with seeded_city(city_db) as built:
        yield built


def _column(conn: psycopg.Connection[Any], sql: str) -> set[Any]:
    return {row[0] for row in conn.execute(sql).fetchall()}


def _teacher_keys(city: City, ids: set[int]) -> set[str]:
    names = {v: k for k, v in city.teachers.items()}
    return {names[i] for i in ids}


@pytest.mark.parametrize("who", ROLES)
def test_each_role_reads_exactly_its_units_teachers_enrollments_and_accounts(
    who: str, city: tuple[City, Engine]
) -> None:
    c, _ = city
    with c.connect(who) as conn:
        assert _teacher_keys(c, _column(conn, "SELECT id FROM teacher")) == EXPECTED_TEACHERS[who]
        enrolled = _column(conn, "SELECT teacher_id FROM enrollment")
        assert _teacher_keys(c, enrolled) == EXPECTED_ENROLLED[who]
        assert _column(conn, "SELECT username FROM account") == EXPECTED_ACCOUNTS[who]
        # the directory: every school, for everyone
        assert _column(conn, "SELECT code FROM school") == {code for code, _ in SCHOOLS.values()}


@pytest.mark.parametrize("who", ROLES)
def test_row_security_agrees_with_the_services_clause_on_every_table(
    who: str, city: tuple[City, Engine]
) -> None:
    """What the role reads from each table is what services.scope.unit_clause (the services'
    form of the same rule) selects for the same account: the forms cannot drift."""
    c, engine = city
    actor = c.actor(engine, who)
    table_rules = rules(metadata)
    with session_factory(engine)() as session, c.connect(who) as conn:
        for name, rule in sorted(table_rules.items()):
            if rule.kind in (INTERNAL, COUNTERS) or name not in metadata.tables:
                continue
            t = metadata.tables[name]
            pk = list(t.primary_key.columns)[0]
            if rule.kind == "unit":
                expected = set(
                    session.execute(
                        select(pk).where(unit_clause(actor, name, visible=True))
                    ).scalars()
                )
            else:
                expected = set(session.execute(select(pk)).scalars())
            seen = _column(conn, f'SELECT "{pk.name}" FROM "{name}"')
            assert seen == expected, name
            conn.rollback()


@pytest.mark.parametrize("who", sorted(EXPECTED_WRITABLE_SCHOOLS) + ["ia"])
def test_the_schools_a_role_may_change_are_the_scope_rules_three_forms(
    who: str, city: tuple[City, Engine]
) -> None:
    c, engine = city
    actor = c.actor(engine, who)
    codes = {code: key for key, (code, _) in SCHOOLS.items()}
    with session_factory(engine)() as session:
        everyone = session.execute(select(School)).scalars().all()
        by_python = {codes[s.code] for s in everyone if school_in_scope(actor, s)}
        by_clause = {
            codes[code]
            for code in session.execute(select(School.code).where(school_clause(actor))).scalars()
        }
        where, params = school_scope_sql(actor, "s")
        by_text = {
            codes[code]
            for code in session.execute(
                text(f"SELECT s.code FROM school s WHERE {where}"), params
            ).scalars()
        }
    with c.connect(who) as conn:
        if who == "ia":
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("UPDATE school SET version = version")
            by_policy: set[str] = set()
        else:
            changed = conn.execute("UPDATE school SET version = version RETURNING code")
            by_policy = {codes[r[0]] for r in changed.fetchall()}
        conn.rollback()
    expected = EXPECTED_WRITABLE_SCHOOLS.get(who, set())
    assert by_python == by_clause == by_text == by_policy == expected


def test_a_school_updating_every_teacher_changes_only_its_own(city: tuple[City, Engine]) -> None:
    c, engine = city
    with c.connect("s_yx1") as conn:
        done = conn.execute("UPDATE teacher SET title = '被改了'")
        assert done.rowcount == 2  # t1, t2 — not t5, which it only asked for
        conn.rollback()
        # moving its own teacher into another school is refused (WITH CHECK)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE teacher SET school_id = %s", (c.schools["hz1"],))
        conn.rollback()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("TRUNCATE teacher")
        conn.rollback()
        for table in ("alembic_version", "db_role"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"SELECT * FROM {table}")
            conn.rollback()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE TABLE mine (x int)")
        conn.rollback()


def test_a_school_bumps_a_city_courses_seat_count_and_changes_nothing_else(
    city: tuple[City, Engine],
) -> None:
    c, _ = city
    with c.connect("s_yx1") as conn:
        assert (
            conn.execute("UPDATE course SET enrolled = enrolled + 1 WHERE code = 'A1'").rowcount
            == 1
        )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE course SET fee = 0 WHERE code = 'A1'")
        conn.rollback()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # not its own 校本 course
            conn.execute(
                "INSERT INTO course (period, code, name, level, course_type, hour_type, hours,"
                " fee, material_fee, charging_unit, enrolled, status, school_id, approval,"
                " version, created_at, updated_at) VALUES ('2601', 'X1', 'x', '校本培训', '面授',"
                " '专业科目', 1, 0, 0, 'x', 0, '上线', %s, 'pending', 1, now(), now())",
                (c.schools["hz1"],),
            )
        conn.rollback()


def test_a_school_draws_learner_numbers_and_never_touches_other_counters(
    city: tuple[City, Engine],
) -> None:
    c, _ = city
    with c.superuser() as su:
        su.execute(
            "INSERT INTO sequence (name, value) VALUES ('bill_no:2601', 7) ON CONFLICT DO NOTHING"
        )
        su.execute(
            "INSERT INTO sequence (name, value) VALUES ('learner_no:26', 5) ON CONFLICT DO NOTHING"
        )
    with c.connect("s_yx1") as conn:
        assert _column(conn, "SELECT name FROM sequence") == {"learner_no:26"}
        assert conn.execute("UPDATE sequence SET value = value + 1").rowcount == 1
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO sequence (name, value) VALUES ('bill_no:2602', 0)")
        conn.rollback()
        assert conn.execute("SELECT jjadmin_max_learner_no('440126')").fetchone() == (
            "44012600000005",
        )
    with c.connect("ia") as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT * FROM sequence")


def test_where_row_security_could_stop_nothing_lets_it(city: tuple[City, Engine]) -> None:
    """Owners bypass row security unless FORCE, superusers and BYPASSRLS roles always do,
    TRUNCATE ignores it: so the tables belong to an owner no account logs in as, and no
    account role is a superuser, bypasses RLS or may truncate — read from the catalogs."""
    c, _ = city
    with c.superuser() as su:
        account_roles = _column(su, "SELECT role_name FROM db_role")
        assert {c.prefix + u for u in OPERATORS} == account_roles
        attrs = su.execute(
            "SELECT rolname, rolsuper, rolbypassrls, rolcreaterole, rolcreatedb, rolreplication"
            " FROM pg_roles WHERE rolname = ANY(%s)",
            (sorted(account_roles),),
        ).fetchall()
        assert len(attrs) == len(account_roles)
        assert all(not any(row[1:]) for row in attrs), attrs
        tables = sorted([*metadata.tables, "alembic_version"])
        rows = su.execute(
            "SELECT c.relname, c.relrowsecurity, pg_get_userbyid(c.relowner) FROM pg_class c"
            " WHERE c.relname = ANY(%s) AND c.relnamespace = 'public'::regnamespace",
            (tables,),
        ).fetchall()
        assert {r[0] for r in rows} == set(tables)
        assert all(r[1] for r in rows), [r[0] for r in rows if not r[1]]
        owners = {r[2] for r in rows}
        assert owners == {c.owner}
        owner_attrs = su.execute(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = %s", (c.owner,)
        ).fetchone()
        assert owner_attrs == (False, False)
        # the owner is nobody's login: no account role is it or inherits from it
        for role in account_roles:
            member = su.execute("SELECT pg_has_role(%s, %s, 'MEMBER')", (role, c.owner)).fetchone()
            assert member == (False,), role
        for role in sorted(account_roles):
            for table in tables:
                for privilege in ("TRUNCATE", "REFERENCES", "TRIGGER"):
                    has = su.execute(
                        "SELECT has_table_privilege(%s, %s, %s)", (role, table, privilege)
                    ).fetchone()
                    assert has == (False,), (role, table, privilege)
        # every table a group may change has a policy for it (a table a group may only read
        # without one shows it nothing: row security is on everywhere, checked above)
        policies = su.execute(
            "SELECT tablename, unnest(roles)::text FROM pg_policies WHERE schemaname = 'public'"
        ).fetchall()
        covered = {(t, r) for t, r in policies}
        assert not any(r == "public" for _, r in covered)
        groups = _column(
            su, f"SELECT rolname FROM pg_roles WHERE rolname LIKE '{c.prefix}role\\_%'"
        )
        assert len(groups) == 5
        for group in sorted(groups):
            for table in tables:
                for privilege in ("INSERT", "UPDATE", "DELETE"):
                    may = su.execute(
                        "SELECT has_table_privilege(%s, %s, %s)", (group, table, privilege)
                    ).fetchone()
                    if may == (True,):
                        assert (table, group) in covered, (table, group, privilege)


@pytest.mark.skipif(shutil.which("psql") is None, reason="psql 未安装")
@pytest.mark.parametrize("who", ["s_yx1", "yx", "ia", "admin", "cron"])
def test_psql_as_each_role_sees_what_its_scope_allows(who: str, city: tuple[City, Engine]) -> None:
    c, _ = city
    query = (
        "SELECT string_agg(learner_no, ',' ORDER BY learner_no) FROM teacher;"
        " SELECT string_agg(username, ',' ORDER BY username) FROM account;"
        " SELECT count(*) FROM enrollment;"
    )
    done = subprocess.run(
        ["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", c.conninfo(c.prefix + who), "-c", query],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    teachers, accounts, enrollments = done.stdout.strip().splitlines()
    assert set(teachers.split(",")) == {TEACHERS[k][1] for k in EXPECTED_TEACHERS[who]}
    assert set(accounts.split(",")) == EXPECTED_ACCOUNTS[who]
    assert int(enrollments) == len(EXPECTED_ENROLLED[who])


def test_a_district_role_cannot_write_a_teacher_into_another_district(
    city: tuple[City, Engine],
) -> None:
    c, _ = city
    with c.connect("yx") as conn:
        assert (
            conn.execute(
                "UPDATE teacher SET school_id = %s WHERE id = %s",
                (c.schools["yx2"], c.teachers["t1"]),
            ).rowcount
            == 1
        )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "UPDATE teacher SET school_id = %s WHERE id = %s",
                (c.schools["hz1"], c.teachers["t1"]),
            )
        conn.rollback()
        # its view of another district's school admin: none
        assert conn.execute("UPDATE account SET name = 'x' WHERE username = 's_hz1'").rowcount == 0
        conn.rollback()

"""The writer: the seats taken with one guarded UPDATE per course, then the planned enrollments
inserted in large multi-row statements, all in the caller's transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import chain
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jjadmin import faults
from jjadmin.db import copy_allowed, copy_statement, indexes_built_after
from jjadmin.errors import Conflict
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.enrollment.common import (
    ACTIVE,
    COURSE_MASK,
    COURSE_T,
    ENROLLMENT_T,
    PAIR_SHIFT,
    CapacityExceeded,
)
from jjadmin.services.enrollment.planner import _Plan
from jjadmin.services.results import ImportReport

# PostgreSQL: rows per COPY
INSERT_CHUNK = 5000


def _db_value(column: Any, value: object, dialect: Any) -> object:
    """`value` as the driver wants it for `column` (the column type's bind processing)."""
    processor = column.type.dialect_impl(dialect).bind_processor(dialect)
    return processor(value) if processor is not None else value


def _take_seats(session: Session, plan: _Plan) -> None:
    """One guarded UPDATE per course: the seats are taken only if they are still free.

    Raises CapacityExceeded (5).
    """
    c = COURSE_T.c
    for course_id, n in sorted(plan.seats().items()):
        result = session.execute(
            update(COURSE_T)
            .where(c.id == course_id, or_(c.capacity.is_(None), c.enrolled + n <= c.capacity))
            .values(enrolled=c.enrolled + n)
        )
        if int(getattr(result, "rowcount", 0) or 0) != 1:
            code = plan.courses[course_id].code
            raise CapacityExceeded(
                f"课程 {code} 名额不足（其他人刚刚选满了剩余名额），本次未写入任何选课",
                hint="用 jjadmin enroll list 查看当前选课情况后重试",
            )


INSERT_COLUMNS = (
    "period",
    "course_id",
    "teacher_id",
    "school_id",
    "state",
    "paid",
    "source",
    "created_by",
    "created_at",
    "batch_id",
)
# the same for every row of a batch, in INSERT_COLUMNS order
CONSTANT_COLUMNS = ("period", "state", "paid", "source", "created_by", "created_at", "batch_id")
# SQLite: rows per multi-row INSERT (bounded by the driver's bound-parameter limit)
SQLITE_INSERT_ROWS = 10_000
# SQLite: from this many rows on, the insert runs with a larger page cache: the default 2 MB
# cannot hold the index pages a large batch keeps writing to (one per school in the
# (period, school) index), and re-reading spilled pages costs more than the inserts.
LARGE_INSERT_ROWS = 20_000
LARGE_INSERT_CACHE_KIB = 32 * 1024

Inserter = Callable[[list[int], list[int], list[int]], None]


def _apply(
    session: Session,
    ctx: ServiceContext,
    actor: Actor,
    plan: _Plan,
    report: ImportReport,
    *,
    source: str,
    batch_id: int | None = None,
) -> int:
    """Take the seats and insert the planned enrollments; returns how many were created.

    The rows go to the driver as plain values, many rows per statement: at 500,000 rows
    SQLAlchemy's per-row parameter processing, or even the driver's per-row executemany,
    would cost more than the database's own work. Every value still passes its column
    type's bind processing (once, since all but three are constant).

    Raises CapacityExceeded (5) when a guarded seat update finds the course full, Conflict
    (5) when another run inserted the same enrollment meanwhile.
    """
    _take_seats(session, plan)
    conn = session.connection()
    dialect = conn.dialect
    c = ENROLLMENT_T.c
    constants = {
        "period": plan.period,
        "state": ACTIVE,
        "paid": False,
        "source": source,
        "created_by": actor.account_id,
        "created_at": ctx.now,
        "batch_id": batch_id,
    }
    fixed = tuple(_db_value(c[k], constants[k], dialect) for k in CONSTANT_COLUMNS)
    step, insert = _pair_inserter(conn, fixed)
    # in teacher order: the (teacher, course) indexes then grow at their ends (SQLite ~30%
    # faster than course by course)
    pairs = sorted(plan.pairs)
    school_of = {tid: t.school_id for tid, t in plan.teachers.items()}
    try:
        # a rebuilt uq_enrollment_active refuses a pair inserted meanwhile, as inserts would
        with _insert_cache(conn, len(pairs)), indexes_built_after(conn, ENROLLMENT_T, len(pairs)):
            for i in range(0, len(pairs), step):
                chunk = pairs[i : i + step]
                teachers = list(map(PAIR_SHIFT.__rrshift__, chunk))
                courses = list(map(COURSE_MASK.__and__, chunk))
                insert(courses, teachers, list(map(school_of.__getitem__, teachers)))
    except IntegrityError as exc:
        raise Conflict(
            "有选课记录刚被其他操作写入（同一教师同一课程），本次未写入任何选课，请重试"
        ) from exc
    report.created += len(pairs)
    return len(pairs)


def _pair_inserter(conn: Any, fixed: tuple[object, ...]) -> tuple[int, Inserter]:
    """(rows per call, a function inserting enrollments given their course, teacher and
    school ids) on this connection; `fixed` are the CONSTANT_COLUMNS values of every row.

    SQLite: INSERT … SELECT FROM (VALUES (?,?,?), …) with thousands of rows per statement
    (one prepared statement, reused). PostgreSQL: COPY (psycopg's `cursor.copy`), one
    stream per chunk, in the caller's transaction; a row refused there (a pair another run
    inserted meanwhile, met by the unique index) raises IntegrityError as an INSERT would.
    A city's login role, under row-level security, may not COPY: the INSERT path serves it.
    """
    dialect = conn.dialect
    quote = dialect.identifier_preparer.quote
    columns = ", ".join(map(quote, INSERT_COLUMNS))
    head = f"INSERT INTO {quote(ENROLLMENT_T.name)} ({columns}) "
    driver = conn.connection.driver_connection
    if (
        dialect.name == "postgresql"
        and hasattr(driver, "cursor")
        and copy_allowed(conn, ENROLLMENT_T)
    ):
        copy_sql, types = copy_statement(ENROLLMENT_T, INSERT_COLUMNS)
        # INSERT_COLUMNS: period, course_id, teacher_id, school_id, then the other constants
        first, rest = fixed[0], fixed[1:]

        def copy_rows(courses: list[int], teachers: list[int], schools: list[int]) -> None:
            if not courses:
                return
            try:
                with driver.cursor() as cursor, cursor.copy(copy_sql) as copy:
                    if types is not None:
                        copy.set_types(types)
                    for row in zip(courses, teachers, schools, strict=True):
                        copy.write_row((first, *row, *rest))
                faults.point("db.write")
            except dialect.loaded_dbapi.IntegrityError as exc:
                raise IntegrityError(copy_sql, None, exc) from exc

        return INSERT_CHUNK, copy_rows
    mark = "?" if dialect.paramstyle in ("qmark", "numeric") else "%s"
    per = max(1, min(SQLITE_INSERT_ROWS, (_sqlite_parameter_limit(conn) - len(fixed)) // 3))
    select_list = f"{mark}, column1, column2, column3, " + ", ".join([mark] * (len(fixed) - 1))
    triple = f"({mark}, {mark}, {mark})"
    statements: dict[int, str] = {}

    def values(courses: list[int], teachers: list[int], schools: list[int]) -> None:
        n = len(courses)
        if not n:
            return
        sql = statements.get(n)
        if sql is None:
            rows = ", ".join([triple] * n)
            sql = statements[n] = f"{head}SELECT {select_list} FROM (VALUES {rows}) AS v"
        conn.exec_driver_sql(
            sql, (*fixed, *chain.from_iterable(zip(courses, teachers, schools, strict=True)))
        )

    return per, values


def _sqlite_parameter_limit(conn: Any) -> int:
    """How many parameters one statement may bind (SQLITE_LIMIT_VARIABLE_NUMBER)."""
    driver = conn.connection.driver_connection
    getlimit = getattr(driver, "getlimit", None)
    if getlimit is None:  # a driver without it: SQLite's historical default
        return 999
    return int(getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))


@contextmanager
def _insert_cache(conn: Any, rows: int) -> Iterator[None]:
    """SQLite: a larger page cache while a large batch is inserted, the previous size after."""
    if conn.dialect.name != "sqlite" or rows < LARGE_INSERT_ROWS:
        yield
        return
    before = int(conn.exec_driver_sql("PRAGMA cache_size").scalar())
    conn.exec_driver_sql(f"PRAGMA cache_size = {-LARGE_INSERT_CACHE_KIB}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size = {before}")

"""Roster import, last step: the new teachers inserted column by column (an executemany of
plain tuples; COPY on PostgreSQL)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import repeat
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jjadmin import faults
from jjadmin.db import copy_allowed, copy_statement, indexes_built_after
from jjadmin.errors import Conflict
from jjadmin.rules.enums import ReviewState, TeacherStatus
from jjadmin.rules.ids import IdNumber
from jjadmin.services.teachers.common import T

INSERT_COLUMNS = (
    "learner_no",
    "name",
    "id_number",
    "gender",
    "birth_date",
    "mobile",
    "school_id",
    "stage",
    "subject",
    "title",
    "status",
    "email",
    "address",
    "review_state",
    "version",
    "created_batch_id",
    "created_at",
    "updated_at",
)


NewTeacher = tuple[dict[str, Any], IdNumber, int]  # cell values, ID number, school id

# The sheet columns a new teacher's row is built from (besides 身份证号 and 学校代码).
_NEW_FROM_SHEET = ("name", "mobile", "stage", "subject", "title", "status", "email", "address")


@dataclass
class _NewTeachers:
    """New teachers column by column: the cells of `_NEW_FROM_SHEET` by key, the parsed ID
    numbers and the school ids, all in row order."""

    cells: dict[str, list[Any]]
    idents: list[IdNumber]
    school_ids: list[int]

    @classmethod
    def of_rows(cls, new: Sequence[NewTeacher]) -> _NewTeachers:
        values = [v for v, _, _ in new]
        return cls(
            {key: _column(values, key) for key in _NEW_FROM_SHEET},
            [ident for _, ident, _ in new],
            [sid for _, _, sid in new],
        )

    def __len__(self) -> int:
        return len(self.idents)


def _insert_teachers(
    session: Session,
    now: datetime,
    batch_id: int | None,
    new: _NewTeachers,
    learner_nos: Sequence[str],
) -> None:
    """Insert new teachers with one driver-level executemany of plain tuples.

    SQLAlchemy's per-row parameter processing (dates, aware timestamps) cost more than SQLite's
    own work on a 100,000-row roster, so each column's bind processor runs once per distinct
    value here: the stored representation is exactly what SQLAlchemy would store.

    Raises Conflict (5) when a concurrent run took an ID number or 学号 meanwhile.
    """
    if not new:
        return
    conn = session.connection()
    dialect = conn.dialect
    if dialect.name == "sqlite":
        # A roster's indexes (学号, 身份证号, 姓名, 学校…) outgrow the default 2 MB page cache.
        conn.exec_driver_sql("PRAGMA cache_size=-65536")
    convert = {
        name: _memo_converter(proc)
        for name in INSERT_COLUMNS
        if (proc := T.c[name].type.dialect_impl(dialect).bind_processor(dialect)) is not None
    }

    def bound(name: str, value: Any) -> Any:
        conv = convert.get(name)
        return value if conv is None or value is None else conv(value)

    stamp = bound("created_at", now)
    birth = convert.get("birth_date")
    active = TeacherStatus.ACTIVE.value
    count = len(new)
    # Zipped column by column (no Python call per row) into the row tuples the driver
    # wants, in INSERT_COLUMNS order.
    cells = new.cells
    idents = new.idents
    births = [ident.birth_date for ident in idents]
    statuses = cells["status"]
    params = list(
        zip(
            learner_nos,
            cells["name"],
            [ident.value for ident in idents],
            [ident.gender for ident in idents],
            births if birth is None else list(map(birth, births)),
            cells["mobile"],
            new.school_ids,
            cells["stage"],
            cells["subject"],
            cells["title"],
            [status or active for status in statuses] if None in statuses else statuses,
            cells["email"],
            cells["address"],
            repeat(ReviewState.NORMAL.value, count),
            repeat(1, count),
            repeat(batch_id, count),
            repeat(stamp, count),
            repeat(stamp, count),
            strict=True,
        )
    )
    taken = Conflict("身份证号或学号已被同时进行的另一项操作使用，未写入任何数据，请重试")
    driver = conn.connection.driver_connection
    if (
        dialect.name == "postgresql"
        and driver is not None
        and len(params) > 1
        and copy_allowed(conn, T)
    ):
        # COPY is PostgreSQL's bulk path: one stream instead of one execute per row; a load
        # as large as the table goes in without its indexes and key, built and checked after
        try:
            with driver.cursor() as cursor:
                if hasattr(cursor, "copy"):
                    statement, types = copy_statement(T, INSERT_COLUMNS)
                    with (
                        indexes_built_after(conn, T, len(params)),
                        cursor.copy(statement) as copy,
                    ):
                        if types is not None:
                            copy.set_types(types)
                        for values in params:
                            copy.write_row(values)
                    faults.point("db.write")
                    return
        except (dialect.loaded_dbapi.IntegrityError, IntegrityError) as exc:
            raise taken from exc
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {T.name} ({', '.join(INSERT_COLUMNS)}) "
        f"VALUES ({', '.join([marker] * len(INSERT_COLUMNS))})"
    )
    try:
        # the rebuilt unique indexes refuse a 学号 or 身份证号 taken meanwhile, as inserts would
        with indexes_built_after(conn, T, len(params)):
            conn.exec_driver_sql(sql, params)  # type: ignore[arg-type]
    except IntegrityError as exc:
        raise taken from exc


def _memo_converter(proc: Any) -> Any:
    seen: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        try:
            return seen[value]
        except KeyError:
            out = seen[value] = proc(value)
            return out

    return convert


def _column(cells: Sequence[dict[str, Any]], key: str) -> list[Any]:
    """`[v.get(key) for v in cells]`, the loop in C."""
    return list(map(dict.get, cells, repeat(key)))

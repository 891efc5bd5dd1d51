"""Roster import, step 1: the existing teachers by ID number (IN lists, one pass, or what was
read ahead while the sheet was parsed)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from jjadmin.services.context import ServiceContext
from jjadmin.services.dbroles.rows import row_security
from jjadmin.services.teachers.common import CHUNK, T, _Existing

# Above this many ID numbers one pass over the table beats IN lists of 500.
FULL_SCAN_AT = 20_000


_EXISTING_COLS = (
    T.c.id,
    T.c.learner_no,
    T.c.id_number,
    T.c.name,
    T.c.school_id,
    T.c.mobile,
    T.c.stage,
    T.c.subject,
    T.c.title,
    T.c.status,
    T.c.email,
    T.c.address,
    T.c.version,
)


def _existing_by_id_number(session: Session, ids: Sequence[str]) -> dict[str, _Existing]:
    """Existing teachers by ID number (see `_existing_rows`)."""
    return {k: _Existing._make(row) for k, row in _existing_rows(session, ids).items()}


_ALL_EXISTING = f"SELECT {', '.join(c.name for c in _EXISTING_COLS)} FROM {T.name}"


def _existing_rows(
    session: Session, ids: Sequence[str], ahead: ReadAhead | None = None
) -> dict[str, tuple[Any, ...]]:
    """Existing teachers by ID number, as plain rows in `_Existing` field order: IN lists of
    500, or one pass over the table when the file is large (a city roster) — or the rows
    `read_ahead_teachers` read, when they are still current — never a query per row. (A
    city's 100,000 `_Existing` tuples alone took 0.2 s: the bulk path makes one only for a
    row it looks at alone.)"""
    found: dict[str, tuple[Any, ...]] = {}
    if not ids:
        return found
    if len(ids) >= FULL_SCAN_AT:
        rows = ahead.rows if ahead is not None and ahead.current(session) else None
        if rows is None:
            # one pass on the driver's cursor: plain values (no column here needs
            # SQLAlchemy's result processing), a third of the time of SQLAlchemy rows
            rows = _fetch_all(session.connection().connection.dbapi_connection)
        wanted = set(ids)
        found = {row[2]: row for row in rows if row[2] in wanted}
    else:
        for i in range(0, len(ids), CHUNK):
            chunk = ids[i : i + CHUNK]
            for row in session.execute(select(*_EXISTING_COLS).where(T.c.id_number.in_(chunk))):
                found[row[2]] = tuple(row)
    if len(found) < len(ids) and row_security(session):
        found.update(_elsewhere(session, [i for i in ids if i not in found]))
    return found


def _elsewhere(session: Session, ids: Sequence[str]) -> dict[str, tuple[Any, ...]]:
    """A city's school or district role reads only its own teachers: whether an ID number
    belongs to another unit's teacher (and whose: what the refusal tells) comes from the
    owner's function jjadmin_teachers_elsewhere. The other columns stay empty — such a row
    is only ever refused."""
    blank = (None,) * (len(_EXISTING_COLS) - 6)
    found: dict[str, tuple[Any, ...]] = {}
    for i in range(0, len(ids), CHUNK):
        rows = session.execute(
            text("SELECT * FROM jjadmin_teachers_elsewhere(CAST(:ids AS text[]))"),
            {"ids": list(ids[i : i + CHUNK])},
        )
        for tid, learner_no, id_number, name, school_id in rows:
            found[id_number] = (tid, learner_no, id_number, name, school_id, *blank, 0)
    return found


def _fetch_all(dbapi: Any) -> list[tuple[Any, ...]]:
    cursor = dbapi.cursor()
    try:
        cursor.execute(_ALL_EXISTING)
        return list(cursor.fetchall())
    finally:
        cursor.close()


READ_AHEAD = "teachers.existing"


@dataclass
class ReadAhead:
    """Every teacher, read on a SQLite connection before the import's transaction began,
    with the connection's `PRAGMA data_version` then: the rows are still what the table
    holds when the transaction runs on that same connection and no other connection has
    committed since (the version is unchanged)."""

    connection: Any
    data_version: int
    rows: list[tuple[Any, ...]]

    def current(self, session: Session) -> bool:
        conn = session.connection()
        if conn.connection.dbapi_connection is not self.connection:
            return False
        return bool(conn.exec_driver_sql("PRAGMA data_version").scalar_one() == self.data_version)


def read_ahead_teachers(ctx: ServiceContext, rows: int) -> None:
    """`ServiceLoader`'s read-ahead for a roster import: while calamine parses a sheet of
    `rows` rows, read every teacher for `_existing_rows` (a city re-import's 0.25 s, then
    hidden). Only for a sheet large enough for the one-pass lookup, and only on SQLite,
    whose `data_version` tells whether the rows are still current."""
    if rows < FULL_SCAN_AT or ctx.engine.dialect.name != "sqlite":
        return
    with ctx.engine.connect() as conn:
        dbapi = conn.connection.dbapi_connection
        version = int(conn.exec_driver_sql("PRAGMA data_version").scalar_one())
        fetched = _fetch_all(dbapi)
    ctx.read_ahead[READ_AHEAD] = ReadAhead(dbapi, version, fetched)

"""Driver-level executemany for the ledger's and the grades' bulk writes.

At 100,000 rows SQLAlchemy's per-row parameter processing (compiling each parameter set,
every column's bind processor) costs more than the database's own work. These helpers build
the statement text once (the same text on SQLite and PostgreSQL: `INSERT … ON CONFLICT … DO
UPDATE`, `UPDATE … WHERE id = ?`) and hand the driver plain tuples: each distinct value of a
typed column (a timestamp, a decimal) passes its column type's bind processing once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session

_CHUNK = 20_000
LARGE_ROWS = 10_000
LARGE_CACHE_KIB = 256 * 1024


class Binder:
    """Each column's bind processing, memoised per distinct value."""

    def __init__(self, conn: Any, table: Table, columns: Sequence[str]) -> None:
        dialect = conn.dialect
        self._processors = [
            table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns
        ]
        self._memo: list[dict[Any, Any]] = [{} for _ in columns]

    def rows(self, rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        """The rows with every typed value processed (the others passed as they are)."""
        typed = [
            (i, processor, self._memo[i])
            for i, processor in enumerate(self._processors)
            if processor is not None
        ]
        if not typed:
            return [tuple(r) for r in rows]
        out: list[tuple[Any, ...]] = []
        append = out.append
        for row in rows:
            values = list(row)
            for i, processor, memo in typed:
                value = values[i]
                if value is None:
                    continue
                try:
                    values[i] = memo[value]
                except KeyError:
                    values[i] = memo[value] = processor(value)
            append(tuple(values))
        return out


def _mark(conn: Any) -> str:
    return "?" if conn.dialect.paramstyle in ("qmark", "numeric") else "%s"


def _q(conn: Any, name: str) -> str:
    return str(conn.dialect.identifier_preparer.quote(name))


def insert_rows(
    session: Session,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    conflict: Sequence[str] = (),
    replace: Sequence[str] = (),
) -> None:
    """INSERT `rows` (values in `columns` order); with `conflict`, an upsert replacing
    `replace` from the new row (ON CONFLICT (…) DO UPDATE SET c = excluded.c). Callers pass
    the rows in their key order where they can: the indexes then grow at their ends."""
    if not rows:
        return
    conn = session.connection()
    mark = _mark(conn)
    sql = (
        f"INSERT INTO {_q(conn, table.name)} ({', '.join(_q(conn, c) for c in columns)}) "
        f"VALUES ({', '.join([mark] * len(columns))})"
    )
    if conflict:
        sets = ", ".join(f"{_q(conn, c)} = excluded.{_q(conn, c)}" for c in replace)
        sql += f" ON CONFLICT ({', '.join(_q(conn, c) for c in conflict)}) DO UPDATE SET {sets}"
    binder = Binder(conn, table, columns)
    with _page_cache(conn, len(rows)):
        for i in range(0, len(rows), _CHUNK):
            conn.exec_driver_sql(sql, binder.rows(rows[i : i + _CHUNK]))


def execute_rows(
    session: Session,
    table: Table,
    sql_template: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> int:
    """Run `sql_template` (with `{t}` the table, `{c:name}`-free text, `?` marks) once per
    row; `columns` name the table columns whose types bind each mark. Returns the rows
    the statements touched."""
    if not rows:
        return 0
    conn = session.connection()
    sql = sql_template.replace("{t}", _q(conn, table.name)).replace("?", _mark(conn))
    binder = Binder(conn, table, columns)
    touched = 0
    with _page_cache(conn, len(rows)):
        for i in range(0, len(rows), _CHUNK):
            result = conn.exec_driver_sql(sql, binder.rows(rows[i : i + _CHUNK]))
            touched += max(int(getattr(result, "rowcount", 0) or 0), 0)
    return touched


@contextmanager
def _page_cache(conn: Any, rows: int) -> Iterator[None]:
    """SQLite: a larger page cache while many rows go into large indexes (a city's ledger
    holds millions of rows: the default 2 MB cache would re-read index pages for every
    row), the previous size after."""
    if conn.dialect.name != "sqlite" or rows < LARGE_ROWS:
        yield
        return
    before = int(conn.exec_driver_sql("PRAGMA cache_size").scalar())
    conn.exec_driver_sql(f"PRAGMA cache_size = {-LARGE_CACHE_KIB}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size = {before}")

"""Reads through the DB-API driver itself (sqlite3 or psycopg), without SQLAlchemy.

The read paths a person waits on at the terminal — resolving the actor, `teacher list`,
`teacher show`, `me show`, `enroll stats` — run here: importing SQLAlchemy and building the
model classes costs more than the 0.5 s those commands have in all (bench/README.md, step (f)).
SQL is written once with `:name` parameters and runs unchanged on both backends; values come
back normalised (dates, aware UTC datetimes, booleans, JSON) the way the models would give them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from jjadmin import faults
from jjadmin.errors import JjadminError, NotFound

UNINITIALISED = "数据库尚未初始化"
_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
_PASSWORD = re.compile(r"^([a-z0-9+]+://[^:/@]*):[^@]*@")


class DatabaseUnavailable(JjadminError):
    """The database cannot be reached or written (exit 10, one clear line)."""

    exit_code = 10
    code = "database-unavailable"


def display_url(url: str) -> str:
    """The URL as messages show it: the password replaced by ***."""
    return _PASSWORD.sub(r"\1:***@", url)


def describe_error(message: str, where: str) -> str:
    """One Chinese line for a driver error message about the database at `where`."""
    first = message.strip().splitlines()[0] if message.strip() else ""
    low = first.lower()
    if "disk is full" in low or "no space left" in low or "could not extend" in low:
        return f"磁盘空间已满，本次操作未写入任何数据（释放磁盘空间后重试）：{where}"
    if "readonly" in low or "read-only" in low:
        return f"数据库文件只读，无法写入：{where}"
    if "unable to open" in low:
        return f"无法打开数据库文件：{where}"
    if "file is not a database" in low or "malformed" in low:
        return f"该文件不是 jjadmin 的 SQLite 数据库（或已损坏）：{where}"
    if "no such table" in low or ("relation" in low and "does not exist" in low):
        return f"{UNINITIALISED}（先运行 jjadmin db init）：{where}"
    if "locked" in low:
        return f"数据库正忙（被其他进程锁定），请稍后重试：{where}"
    if "connection refused" in low:
        return f"无法连接数据库服务器（连接被拒绝，请确认服务已启动、地址和端口正确）：{where}"
    if "timeout" in low or "timed out" in low:
        return f"连接数据库服务器超时：{where}"
    if "password authentication failed" in low or "no password supplied" in low:
        return f"数据库用户名或密码错误：{where}"
    if "database" in low and "does not exist" in low:
        return f"数据库不存在（请先在服务器上创建该数据库）：{where}"
    if "could not translate host name" in low or "name or service not known" in low:
        return f"找不到数据库服务器主机：{where}"
    return f"无法连接数据库 {where}：{first}"


def uninitialised(where: str) -> NotFound:
    return NotFound(f"{UNINITIALISED}：{where}", hint="先运行 jjadmin db init")


INSUFFICIENT_PRIVILEGE = "42501"


class RoleRefused(JjadminError):
    """The database refused: the connected login role may not see or change this (a city's
    row-level security, exit 3) — the database enforcing the scope the services check."""

    exit_code = 3
    code = "database-role-refused"


def role_refused(message: str) -> RoleRefused:
    first = message.strip().splitlines()[0] if message.strip() else ""
    return RoleRefused(
        f"数据库拒绝了这个操作：当前数据库角色无权访问或修改这些数据（{first}）",
        hint="每个管理员账号的数据库角色只能访问本单位的数据；"
        "请用本人账号的数据库连接，或请市级管理员运行 jjadmin db roles sync",
    )


def map_driver_error(exc: BaseException, where: str) -> JjadminError | None:
    """The user-facing error for a raw driver error, or None when it is a bug."""
    module = type(exc).__module__
    if not (module.startswith("sqlite3") or module.startswith("psycopg")):
        return None
    if getattr(exc, "sqlstate", None) == INSUFFICIENT_PRIVILEGE:
        return role_refused(str(exc))
    message = describe_error(str(exc), where)
    if message.startswith(UNINITIALISED):
        return uninitialised(where)
    if any(c.__name__ == "OperationalError" for c in type(exc).__mro__):
        return DatabaseUnavailable(message)
    return None


def direct_target(url: str) -> tuple[str, str] | None:
    """(dialect, path-or-conninfo) when this URL can be opened without SQLAlchemy.

    Plain SQLite files and PostgreSQL URLs qualify; memory databases and SQLite URI
    filenames with options are left to the engine.
    """
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///") :]
        if not path or path == ":memory:" or path.startswith("file:") or "?" in path:
            return None
        return "sqlite", path
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql", "postgresql://" + url[len(prefix) :]
    return None


def connect(url: str) -> RawReader:
    """Open the database behind `url` for reading (see direct_target).

    Raises NotFound (4) for a missing SQLite file, DatabaseUnavailable (10) when the server or
    file cannot be opened, ValueError for a URL direct_target does not accept.
    """
    target = direct_target(url)
    if target is None:
        raise ValueError(f"not a direct URL: {url}")
    dialect, where_to = target
    shown = display_url(url)
    if dialect == "sqlite":
        import sqlite3

        path = Path(where_to)
        if not path.exists():
            raise NotFound(f"数据库文件不存在：{path}", hint="先运行 jjadmin db init 创建数据库")
        try:
            conn: Any = sqlite3.connect(
                path, timeout=30, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA query_only=ON")
        except sqlite3.Error as exc:
            raise DatabaseUnavailable(describe_error(str(exc), shown)) from exc
    else:
        import psycopg

        try:
            conn = psycopg.connect(where_to, connect_timeout=5)
        except psycopg.Error as exc:
            raise DatabaseUnavailable(describe_error(str(exc), shown)) from exc
    return RawReader(conn, dialect, shown, owned=True)


class RawReader:
    """A DB-API connection with `:name` parameters on both backends and mapped errors.

    Values always travel as parameters: the SQL text holds no `:word` inside string literals
    (the PostgreSQL conversion to `%(word)s` does not parse literals).
    """

    def __init__(self, conn: Any, dialect: str, where: str, *, owned: bool = False) -> None:
        self.conn = conn
        self.dialect = dialect
        self.where = where
        self.owned = owned
        self._sql: dict[str, str] = {}

    def _convert(self, sql: str) -> str:
        if self.dialect != "postgresql":
            return sql
        done = self._sql.get(sql)
        if done is None:
            done = _PARAM.sub(r"%(\1)s", sql.replace("%", "%%"))
            self._sql[sql] = done
        return done

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        try:
            cur = self.conn.cursor()
            try:
                cur.execute(self._convert(sql), dict(params or {}))
                return [tuple(r) for r in cur.fetchall()]
            finally:
                cur.close()
        except Exception as exc:
            mapped = map_driver_error(exc, self.where)
            if mapped is None:
                raise
            raise mapped from exc

    def one_or_none(
        self, sql: str, params: Mapping[str, Any] | None = None
    ) -> tuple[Any, ...] | None:
        found = self.rows(sql, params)
        return found[0] if found else None

    def scalar(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        row = self.one_or_none(sql, params)
        return None if row is None else row[0]

    def has_schema(self) -> bool:
        """True when the migrations table exists (the database was initialised)."""
        if self.dialect == "sqlite":
            sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        else:
            sql = "SELECT 1 WHERE to_regclass('alembic_version') IS NOT NULL"
        return self.scalar(sql) is not None

    @contextmanager
    def snapshot(self) -> Iterator[RawReader]:
        """One read transaction (all queries see the same data); always rolled back."""
        if self.dialect == "sqlite":
            started = not self.conn.in_transaction
            if started:
                self.rows("BEGIN DEFERRED")
            try:
                yield self
            finally:
                if started and self.conn.in_transaction:
                    self.conn.rollback()
        else:
            try:
                yield self
            finally:
                self.conn.rollback()

    def close(self) -> None:
        if self.owned:
            self.conn.close()


def in_list(name: str, values: Iterable[Any], params: dict[str, Any]) -> str:
    """`(:name0, :name1, …)` with the values added to `params` (never empty: NULL)."""
    keys = []
    for i, value in enumerate(values):
        key = f"{name}{i}"
        params[key] = value
        keys.append(f":{key}")
    return "(" + (", ".join(keys) or "NULL") + ")"


def like_prefix(text: str) -> str:
    """A LIKE pattern matching values that start with `text`; use with ESCAPE '/'."""
    escaped = text.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"{escaped}%"


def like_contains(text: str) -> str:
    """A LIKE pattern matching `text` anywhere; use with ESCAPE '/'."""
    escaped = text.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{escaped}%"


def as_date(value: Any) -> date | None:
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, datetime):
        return value.date()
    return date.fromisoformat(str(value)[:10])


def as_utc(value: Any) -> datetime | None:
    """Aware UTC, as TZDateTime reads it back (SQLite stores naive UTC text)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.fromisoformat(str(value))
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def as_json(value: Any) -> Any:
    if isinstance(value, str | bytes):
        return json.loads(value)
    return value


def as_bool(value: Any) -> bool:
    return bool(value)


class RawWriter(RawReader):
    """A write transaction on the DB-API connection (see ServiceContext.raw_writing):
    `execute` returns the row count; `when` binds an instant the way the models store it
    (SQLite: naive UTC text with microseconds, as TZDateTime does; PostgreSQL: aware)."""

    def __init__(self, conn: Any, dialect: str, where: str, *, reader: bool = False) -> None:
        super().__init__(conn, dialect, where)
        self.reader = reader  # the read-only connection of `connect`, made writable for now
        self.keep = True  # False: roll back at the end (a dry run)

    def _run(self, sql: str, params: Mapping[str, Any] | None) -> int:
        try:
            cur = self.conn.cursor()
            try:
                cur.execute(self._convert(sql), dict(params or {}))
                return int(cur.rowcount or 0)
            finally:
                cur.close()
        except Exception as exc:
            mapped = map_driver_error(exc, self.where)
            if mapped is None:
                raise
            raise mapped from exc

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        count = self._run(sql, params)
        faults.point("db.write")
        return count

    def begin(self) -> None:
        faults.point("tx.begin")
        if self.dialect == "sqlite":
            if self.reader:
                self._run("PRAGMA query_only=OFF", None)
            self._run("PRAGMA foreign_keys=ON", None)
            self._run("BEGIN IMMEDIATE", None)
        faults.point("tx.start")

    def finish(self, *, commit: bool) -> None:
        if commit:
            faults.point("tx.before_commit")
        if self.dialect == "sqlite":
            if self.conn.in_transaction:
                self._run("COMMIT" if commit else "ROLLBACK", None)
            if self.reader:
                self._run("PRAGMA query_only=ON", None)
        elif commit:
            self.conn.commit()
        else:
            self.conn.rollback()
        if commit:
            faults.point("tx.after_commit")

    def when(self, moment: datetime) -> Any:
        if self.dialect == "sqlite":
            return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
        return moment


def bind_instant(reader: RawReader, moment: datetime) -> Any:
    """An instant bound for a read the way the models store it (as RawWriter.when does for
    writes: SQLite naive UTC text with microseconds, PostgreSQL aware)."""
    if reader.dialect == "sqlite":
        return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    return moment

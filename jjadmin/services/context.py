"""ServiceContext (engine, actor, clock, SMS), the Actor with its role and scope, and how the
actor is resolved from a session or automation token.

The resolution runs on the DB-API driver (ServiceContext.raw_reading) because every command
needs it and it must not cost SQLAlchemy's start-up.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from jjadmin import faults
from jjadmin.errors import (
    AccessDenied,
    AccountLocked,
    JjadminError,
    NotAuthenticated,
    PermissionDenied,
)
from jjadmin.rawdb import as_utc

if TYPE_CHECKING:  # SQLAlchemy loads only when a command needs the engine (start-up time)
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    from jjadmin.config import Settings
    from jjadmin.rawdb import RawReader, RawWriter
    from jjadmin.services.sms import SmsSender

ROLE_NAMES = {
    "city": "市级培训中心管理员",
    "district": "区级培训管理员",
    "institution": "培训机构管理员",
    "school": "学校继续教育管理员",
    "teacher": "学员",
    "system": "自动化账号",
}


@dataclass(frozen=True)
class Actor:
    """Who is acting: role plus the unit that bounds their scope."""

    account_id: int | None
    username: str
    role: str
    name: str
    district_code: str | None = None
    school_id: int | None = None
    school_code: str | None = None
    institution: str | None = None
    teacher_id: int | None = None
    token_id: int | None = None
    verified_until: datetime | None = None
    # the school a teacher's login also administers — as its 校长 (principal) or as one of
    # the teachers it authorised (授权, school_admin); `admin_grant` says which
    principal_school_id: int | None = None
    must_change_password: bool = False
    admin_grant: str | None = None  # "principal" | "school_admin"

    def has_role(self, *roles: str) -> bool:
        if self.role in roles:
            return True
        return "school" in roles and self.principal_school_id is not None

    @property
    def acting_school_id(self) -> int | None:
        """The school a school admin (or a principal or authorised teacher acting as one)
        administers."""
        if self.role == "school":
            return self.school_id
        return self.principal_school_id

    def is_verified(self, now: datetime) -> bool:
        return self.verified_until is not None and self.verified_until > now

    @property
    def label(self) -> str:
        return f"{self.username}（{ROLE_NAMES.get(self.role, self.role)}）"


BOOTSTRAP = Actor(account_id=None, username="system:init", role="system", name="初始化")


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def unlock_hint_for(role: str) -> str:
    if role == "teacher":
        return "请联系本校继续教育管理员解锁：jjadmin teacher unlock 学号"
    if role == "school":
        return "请联系本校其他管理员或所属区培训管理员解锁：jjadmin account unlock 用户名"
    if role in ("district", "institution", "system"):
        return "请联系市级培训中心管理员解锁：jjadmin account unlock 用户名"
    return "请联系其他市级培训中心管理员解锁：jjadmin account unlock 用户名"


class PasswordChangeRequired(AccessDenied):
    """A first (ID-derived) or reset password must be replaced before anything else."""

    code = "password-change-required"


def password_change_hint(role: str) -> str:
    command = "jjadmin me passwd" if role == "teacher" else "jjadmin account passwd"
    return f"先运行 {command} 设置新密码（--password-stdin：第一行原密码，第二行新密码）"


def not_logged_in() -> NotAuthenticated:
    return NotAuthenticated(
        "尚未登录或登录已过期",
        hint="运行 jjadmin login 用户名 登录；自动化任务请设置 JJADMIN_TOKEN",
    )


_TOKEN_SQL = """
SELECT t.id, t.revoked, t.expires_at, t.verified_until,
       a.id, a.username, a.role, a.name, a.disabled, a.locked_at, a.district_code,
       a.school_id, a.institution, a.teacher_id, s.code,
       (SELECT p.school_id FROM principal p WHERE p.teacher_id = a.teacher_id),
       te.school_id, ts.code, a.must_change_password,
       (SELECT g.school_id FROM school_admin g WHERE g.teacher_id = a.teacher_id)
FROM auth_token t
JOIN account a ON a.id = t.account_id
LEFT JOIN school s ON s.id = a.school_id
LEFT JOIN teacher te ON te.id = a.teacher_id
LEFT JOIN school ts ON ts.id = te.school_id
WHERE t.token_hash = :digest
"""


def resolve_actor(ctx: ServiceContext, *, password_change: bool = False) -> Actor:
    """The actor behind ctx.credentials (a session or account token).

    An account whose password must be replaced (a first or reset password) acts only to
    change it (`password_change=True`: `me passwd`, `account passwd`, `whoami`).
    Raises NotAuthenticated / AccountLocked / PasswordChangeRequired (exit 3).
    """
    if not ctx.credentials:
        raise not_logged_in()
    with ctx.raw_reading() as db:
        row = db.one_or_none(_TOKEN_SQL, {"digest": token_digest(ctx.credentials)})
    if row is None:
        raise not_logged_in()
    (token_id, revoked, expires_at, verified_until, account_id, username, role, name) = row[:8]
    disabled, locked_at, district_code, school_id, institution, teacher_id = row[8:14]
    school_code, principal_school, teacher_school, teacher_school_code = row[14:18]
    must_change = bool(row[18])
    granted_school = row[19]
    if bool(disabled):  # before the token's own state: `account disable` revokes the tokens
        raise NotAuthenticated("账号已停用", hint="请联系上级管理员")
    expires = as_utc(expires_at)
    if bool(revoked) or expires is None or expires <= ctx.now:
        raise not_logged_in()
    if locked_at is not None:
        raise AccountLocked(f"账号 {username} 已锁定", hint=unlock_hint_for(role))
    if must_change and not password_change:
        raise PasswordChangeRequired(
            "须先修改密码（首次登录或密码已被重置）", hint=password_change_hint(role)
        )
    if teacher_id is not None:
        grant = "principal" if principal_school is not None else None
        if grant is None and granted_school is not None:
            grant = "school_admin"
        return Actor(
            account_id,
            username,
            role,
            name,
            school_id=teacher_school,
            school_code=teacher_school_code,
            teacher_id=teacher_id,
            token_id=token_id,
            verified_until=as_utc(verified_until),
            principal_school_id=principal_school if grant == "principal" else granted_school,
            must_change_password=must_change,
            admin_grant=grant,
        )
    return Actor(
        account_id,
        username,
        role,
        name,
        district_code=district_code,
        school_id=school_id,
        school_code=school_code,
        institution=institution,
        token_id=token_id,
        verified_until=as_utc(verified_until),
        must_change_password=must_change,
    )


class ServiceContext:
    """What every service receives: database, clock, SMS, settings and a lazily resolved actor.

    Give it an `engine`, or a `database_url` from which the engine is built on first use:
    the read paths that run on the DB-API driver alone (`raw_reading`) then never load
    SQLAlchemy at all.
    """

    def __init__(
        self,
        engine: Engine | None = None,
        now: datetime | None = None,
        settings: Settings | None = None,
        sms: SmsSender | None = None,
        credentials: str | None = None,
        credentials_source: str | None = None,
        _actor: Actor | None = None,
        _actor_resolver: Callable[[ServiceContext], Actor] | None = None,
        *,
        database_url: str | None = None,
    ) -> None:
        if engine is None and database_url is None:
            raise ValueError("ServiceContext needs an engine or a database_url")
        if now is None:
            raise ValueError("ServiceContext needs now")
        self._engine = engine
        self.database_url = database_url
        self.now = now
        self.settings = settings
        self.sms = sms
        self.credentials = credentials
        self.credentials_source = credentials_source
        self._actor = _actor
        self._actor_resolver = _actor_resolver
        self._sessions: Any = None
        self._read_sessions: Any = None
        self._raw: RawReader | None = None
        # what a service read ahead of its transaction while a sheet was being parsed; the
        # service checks that it is still current before it uses it
        # (services.teachers.roster_lookup)
        self.read_ahead: dict[str, Any] = {}

    @property
    def actor(self) -> Actor:
        if self._actor is None:
            if self._actor_resolver is None:
                self._actor = resolve_actor(self)
            else:
                self._actor = self._actor_resolver(self)
        return self._actor

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from jjadmin.db import make_engine

            assert self.database_url is not None
            self._engine = make_engine(self.database_url)
        return self._engine

    def close(self) -> None:
        """Release the direct connection and the engine's pool (end of a CLI invocation)."""
        if self._raw is not None:
            self._raw.close()
            self._raw = None
        if self._engine is not None:
            self._engine.dispose()

    def _direct(self) -> RawReader | None:
        """The direct DB-API connection, when no engine exists yet and the URL allows one."""
        if self._raw is not None:
            return self._raw
        if self._engine is not None or self.database_url is None:
            return None
        from jjadmin.rawdb import connect, direct_target

        if direct_target(self.database_url) is None:
            return None
        self._raw = connect(self.database_url)
        return self._raw

    def check_schema(self) -> None:
        """Fail early and clearly: the database answers and holds our schema.

        Raises DatabaseUnavailable (10) or NotFound (4, hint `db init`).
        """
        raw = self._direct()
        if raw is None:
            from jjadmin.db import probe

            probe(self.engine, require_schema=True)
            return
        from jjadmin.rawdb import DatabaseUnavailable, describe_error, uninitialised

        try:
            with raw.snapshot():
                initialised = raw.has_schema()
        except JjadminError:
            raise
        except Exception as exc:  # not a database at all ("file is not a database"…)
            if not type(exc).__module__.startswith(("sqlite3", "psycopg")):
                raise
            raise DatabaseUnavailable(describe_error(str(exc), raw.where)) from exc
        if not initialised:
            raise uninitialised(raw.where)

    @contextmanager
    def raw_reading(self) -> Iterator[RawReader]:
        """A read-only transaction on the DB-API connection itself (no SQLAlchemy import
        when the context was built from a URL); the engine's connection otherwise."""
        raw = self._direct()
        if raw is not None:
            with raw.snapshot():
                yield raw
            return
        from jjadmin.rawdb import RawReader

        with self.reading() as session:
            dbapi = session.connection().connection.driver_connection
            yield RawReader(
                dbapi,
                self.engine.dialect.name,
                self.engine.url.render_as_string(hide_password=True),
            )

    @contextmanager
    def raw_writing(self) -> Iterator[RawWriter]:
        """One write transaction on the DB-API driver, for a set-based service that needs no
        ORM (`period close`): no SQLAlchemy import when the context was built from a URL.
        SQLite: BEGIN IMMEDIATE. Committed at the end (rolled back when `keep` was set to
        False, or the block raises)."""
        from jjadmin.rawdb import RawWriter

        raw = self._direct()
        pooled: Any = None
        if raw is not None:
            writer = RawWriter(raw.conn, raw.dialect, raw.where, reader=True)
        else:
            pooled = self.engine.raw_connection()
            writer = RawWriter(
                pooled.driver_connection,
                self.engine.dialect.name,
                self.engine.url.render_as_string(hide_password=True),
            )
        try:
            writer.begin()
            yield writer
            writer.finish(commit=writer.keep)
        except BaseException:
            writer.finish(commit=False)
            raise
        finally:
            if pooled is not None:
                pooled.close()

    def with_actor(self, actor: Actor) -> ServiceContext:
        """A copy acting as `actor` (tests, bootstrap)."""
        return ServiceContext(
            engine=self._engine,
            database_url=self.database_url,
            now=self.now,
            settings=self.settings,
            sms=self.sms,
            credentials=self.credentials,
            _actor=actor,
        )

    def set_actor(self, actor: Actor | None) -> None:
        self._actor = actor

    @property
    def actor_resolved(self) -> bool:
        """Whether the actor is already known (given, or resolved once)."""
        return self._actor is not None or self._actor_resolver is not None

    @property
    def is_authenticated(self) -> bool:
        try:
            _ = self.actor
        except NotAuthenticated:
            return False
        return True

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One write transaction (SQLite: BEGIN IMMEDIATE); commits only at the end."""
        from sqlalchemy.exc import DBAPIError

        from jjadmin.db import db_error, session_factory

        if self._sessions is None:
            self._sessions = session_factory(self.engine)
        session = self._sessions()
        try:
            yield session
            faults.point("tx.before_commit")
            session.commit()
            faults.point("tx.after_commit")
        except DBAPIError as exc:
            session.rollback()
            mapped = db_error(self.engine, exc)
            if mapped is None:
                raise
            raise mapped from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only transaction that does not wait for SQLite's write lock."""
        from sqlalchemy.exc import DBAPIError

        from jjadmin.db import db_error, read_engine, session_factory

        if self._read_sessions is None:
            self._read_sessions = session_factory(read_engine(self.engine))
        session = self._read_sessions()
        try:
            yield session
            session.rollback()
        except DBAPIError as exc:
            session.rollback()
            mapped = db_error(self.engine, exc)
            if mapped is None:
                raise
            raise mapped from exc
        finally:
            session.close()

    def require(self, *roles: str, action: str = "执行此操作") -> Actor:
        """The actor, if it holds one of `roles`; else PermissionDenied (exit 3)."""
        actor = self.actor
        if not actor.has_role(*roles):
            allowed = "、".join(ROLE_NAMES[r] for r in roles if r in ROLE_NAMES)
            raise PermissionDenied(
                f"当前账号 {actor.label} 无权{action}", hint=f"需要以下角色之一：{allowed}"
            )
        return actor

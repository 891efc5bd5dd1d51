"""Database lifecycle: init (migrate + bootstrap), upgrade, check, backup."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from jjadmin import faults
from jjadmin.db import (
    DatabaseUnavailable,
    current_revision,
    db_error,
    head_revision,
    migrate,
    sqlite_path,
)
from jjadmin.errors import Conflict, InputRejected, NotFound, PermissionDenied
from jjadmin.rawdb import as_utc
from jjadmin.services import accounts
from jjadmin.services.context import BOOTSTRAP, Actor, ServiceContext, not_logged_in, token_digest
from jjadmin.services.dbroles.sync import SyncReport, roles_enabled, sync_roles


@dataclass(frozen=True)
class InitResult:
    revision: str
    admin: str | None
    database: str


@dataclass(frozen=True)
class UpgradeResult:
    revision: str
    previous: str | None
    roles: SyncReport | None = None  # a city with login roles: the sync that followed


@dataclass(frozen=True)
class CheckResult:
    revision: str | None
    head: str
    integrity: str


def _migrate(ctx: ServiceContext) -> tuple[str | None, str]:
    try:
        return migrate(ctx.engine)
    except DBAPIError as exc:
        mapped = db_error(ctx.engine, exc)
        if mapped is None:
            raise
        raise mapped from exc


def init_database(
    ctx: ServiceContext,
    *,
    admin: str | None,
    name: str | None,
    mobile: str | None,
    password: str | None,
) -> InitResult:
    """Create/upgrade the schema, seed districts, create the first city account if none."""
    _, head = _migrate(ctx)
    created = accounts.bootstrap(ctx, username=admin, name=name, mobile=mobile, password=password)
    if roles_enabled(ctx):  # new tables get their policies before anyone uses them
        sync_roles(ctx, actor=BOOTSTRAP)
    return InitResult(head, created, ctx.engine.url.render_as_string(hide_password=True))


def ensure_initialised(ctx: ServiceContext) -> None:
    """Raise NotFound when the schema was never created."""
    try:
        with ctx.engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                raise NotFound("数据库尚未初始化", hint="先运行 jjadmin db init")
    except DBAPIError as exc:
        mapped = db_error(ctx.engine, exc)
        if mapped is None:
            raise
        raise mapped from exc


# Who may upgrade, read with the columns of the first schema only: a database made by an older
# version must be upgradable by the version that knows the new columns.
_UPGRADER_SQL = """
SELECT a.username, a.role, a.disabled, a.locked_at, t.revoked, t.expires_at
FROM auth_token t JOIN account a ON a.id = t.account_id
WHERE t.token_hash = :digest
"""


def upgrade_database(ctx: ServiceContext) -> UpgradeResult:
    """Upgrade the schema to head (a city or system account); on a city's PostgreSQL with
    login roles, sync the roles and the row-level security policies too (a new table is
    covered before anyone uses it).

    Raises NotAuthenticated / PermissionDenied (3).
    """
    actor: Actor | None = None
    if current_revision(ctx.engine) == head_revision(ctx.engine):
        actor = ctx.require("city", "system", action="升级数据库")
    else:
        _require_upgrader(ctx)
    before, head = _migrate(ctx)
    if not roles_enabled(ctx):
        return UpgradeResult(head, before)
    return UpgradeResult(head, before, sync_roles(ctx, actor=actor or ctx.actor))


def _require_upgrader(ctx: ServiceContext) -> None:
    """`ctx.require("city", "system")` on a schema older than this version's."""
    if not ctx.credentials:
        raise not_logged_in()
    with ctx.engine.connect() as conn:
        row = conn.execute(text(_UPGRADER_SQL), {"digest": token_digest(ctx.credentials)}).first()
    if row is None:
        raise not_logged_in()
    username, role, disabled, locked_at, revoked, expires_at = row
    expires = as_utc(expires_at)
    if disabled or locked_at is not None or revoked or expires is None or expires <= ctx.now:
        raise not_logged_in()
    if role not in ("city", "system"):
        raise PermissionDenied(
            f"当前账号 {username} 无权升级数据库", hint="需要市级培训中心管理员或自动化账号"
        )


def check_database(ctx: ServiceContext) -> CheckResult:
    ensure_initialised(ctx)
    rev = current_revision(ctx.engine)
    head = head_revision(ctx.engine)
    with ctx.engine.connect() as conn:
        if ctx.engine.dialect.name == "sqlite":
            integrity = str(conn.execute(text("PRAGMA integrity_check")).scalar())
            fk = conn.execute(text("PRAGMA foreign_key_check")).fetchall()
            if fk:
                integrity = f"外键不一致 {len(fk)} 处"
        else:
            conn.execute(text("SELECT 1"))
            integrity = "ok"
    if integrity != "ok":
        raise Conflict(f"数据库完整性检查失败：{integrity}")
    if rev != head:
        raise Conflict(f"数据库结构版本 {rev} 不是最新 {head}", hint="运行 jjadmin db upgrade")
    return CheckResult(rev, head, integrity)


def backup_database(ctx: ServiceContext, target: Path, *, overwrite: bool = False) -> int:
    """Online backup; returns the size of the written file in bytes.

    SQLite: the online backup API. PostgreSQL: pg_dump in its custom format (restore with
    pg_restore into an empty database), as the connected role — the database owner, since
    pg_dump refuses to leave rows out that row-level security would hide. The copy is
    written next to the target and renamed over it only when complete.
    Raises Conflict (5: the file exists, no --overwrite), InputRejected (1: no directory, a
    memory database, no pg_dump), DatabaseUnavailable (10: pg_dump failed).
    """
    ctx.require("city", "system", action="备份数据库")
    if target.is_dir():
        raise InputRejected(f"备份位置是一个目录：{target}", hint="请给出文件名")
    if target.exists() and not overwrite:
        raise Conflict(f"备份文件已存在：{target}", hint="换一个文件名，或加 --overwrite 覆盖")
    if not target.parent.exists():
        raise InputRejected(f"目录不存在：{target.parent}")
    url = ctx.engine.url
    if ctx.engine.dialect.name == "sqlite":
        path = sqlite_path(url.render_as_string(hide_password=False))
        if path is None:
            raise InputRejected("内存数据库无法备份")
        with _staged(target) as partial:
            src = sqlite3.connect(str(path))
            dst = sqlite3.connect(str(partial))
            try:
                src.backup(dst)
            finally:
                dst.close()
                src.close()
        return target.stat().st_size
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise InputRejected(
            "未找到 pg_dump，无法备份 PostgreSQL 数据库", hint="安装与服务器同版本的客户端工具"
        )
    # the password travels in the environment, never on the command line (ps shows that)
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    conninfo = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    with _staged(target) as partial:
        proc = subprocess.run(
            [pg_dump, "--format=custom", "--no-password", "--file", str(partial), conninfo],
            capture_output=True,
            text=True,
            check=False,
            env=env,
        )
        if proc.returncode != 0:
            raise DatabaseUnavailable(f"pg_dump 失败：{proc.stderr.strip()[:300]}")
    return target.stat().st_size


class _staged:
    """A temporary file next to `target`, renamed over it when the block succeeds and
    removed when it fails."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self.partial = target

    def __enter__(self) -> Path:
        fd, name = tempfile.mkstemp(prefix=f".{self.target.name}.", dir=self.target.parent)
        os.close(fd)
        self.partial = Path(name)
        self.partial.unlink()  # sqlite3 and pg_dump create it themselves
        return self.partial

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            if self.partial.exists():
                os.chmod(self.partial, 0o600)  # a backup holds every teacher's personal data
            faults.point("db.backup")
            os.replace(self.partial, self.target)
        else:
            self.partial.unlink(missing_ok=True)

"""Database lifecycle: init (migrate + bootstrap), upgrade, check, backup."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

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
from jjadmin.services.context import ServiceContext, not_logged_in, token_digest


@dataclass(frozen=True)
class InitResult:
    revision: str
    admin: str | None
    database: str


@dataclass(frozen=True)
class UpgradeResult:
    revision: str
    previous: str | None


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
    """Upgrade the schema to head (a city or system account).

    Raises NotAuthenticated / PermissionDenied (3).
    """
    if current_revision(ctx.engine) == head_revision(ctx.engine):
        ctx.require("city", "system", action="升级数据库")
    else:
        _require_upgrader(ctx)
    before, head = _migrate(ctx)
    return UpgradeResult(head, before)


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


def backup_database(ctx: ServiceContext, target: Path) -> int:
    """Online backup; returns the size of the written file in bytes."""
    ctx.require("city", "system", action="备份数据库")
    if target.exists():
        raise Conflict(f"备份文件已存在：{target}")
    if not target.parent.exists():
        raise InputRejected(f"目录不存在：{target.parent}")
    path = sqlite_path(ctx.engine.url.render_as_string(hide_password=False))
    if ctx.engine.dialect.name == "sqlite":
        if path is None:
            raise InputRejected("内存数据库无法备份")
        src = sqlite3.connect(str(path))
        dst = sqlite3.connect(str(target))
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        return target.stat().st_size
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise InputRejected("未找到 pg_dump，无法备份 PostgreSQL 数据库")
    url = ctx.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    proc = subprocess.run(
        [pg_dump, "--format=custom", "--file", str(target), url],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise DatabaseUnavailable(f"pg_dump 失败：{proc.stderr.strip()[:300]}")
    return target.stat().st_size

"""Passwords: changing one's own, an admin resetting a forgotten one, and the database owner
recovering the last city account (SPEC §3, §6 Teacher)."""

from __future__ import annotations

import getpass
import os
import secrets
from dataclasses import dataclass

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session
from sqlmodel import col

from jjadmin.db import sqlite_path
from jjadmin.errors import (
    Conflict,
    InputRejected,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)
from jjadmin.models import Account, AuthToken, School, Teacher
from jjadmin.rules.ids import mask_mobile
from jjadmin.services import audit
from jjadmin.services.accounts import can_manage, check_password_strength
from jjadmin.services.auth import hash_password, verify_password
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.identity import acting_to_change_password
from jjadmin.services.scope_rules import OUT_OF_SCOPE, school_in_scope

# no 0/O, 1/l/I: a one-time password is read off a phone and typed by hand
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
RESET_LENGTH = 10


def one_time_password() -> str:
    """A random password with letters and digits (it passes check_password_strength)."""
    while True:
        candidate = "".join(secrets.choice(_ALPHABET) for _ in range(RESET_LENGTH))
        if not candidate.isalpha() and not candidate.isdigit():
            return candidate


def change_password(ctx: ServiceContext, *, old: str, new: str) -> None:
    """Change one's own password (also the first or a reset one that must be replaced).

    Raises NotAuthenticated (the old password is wrong), InputRejected (a weak new password,
    or the old one again; the 6-character ID-derived first password is always too short).
    """
    actor = acting_to_change_password(ctx)
    check_password_strength(new)
    if new == old:
        raise InputRejected("新密码不能与原密码相同")
    with ctx.transaction() as session:
        account = session.get(Account, actor.account_id)
        assert account is not None
        if account.password_hash is None or not verify_password(account.password_hash, old):
            raise NotAuthenticated("原密码错误")
        was_forced = account.must_change_password
        account.password_hash = hash_password(new)
        account.must_change_password = False
        account.password_changed_at = ctx.now
        audit.record(
            session,
            actor,
            ctx.now,
            "account.passwd",
            "account",
            actor.username,
            after={"replaced_first_or_reset": was_forced},
        )


@dataclass(frozen=True)
class PasswordReset:
    """A reset: the one-time password when it is to be shown, else where it was texted."""

    learner_no: str | None
    username: str
    password: str | None
    sent_to: str | None


def reset_teacher_password(
    ctx: ServiceContext, learner_no: str, *, show: bool = False
) -> PasswordReset:
    """A one-time password for a teacher (or principal) who forgot theirs: texted to the
    teacher's bound mobile, or returned to be shown once (`show`). It must be replaced at the
    next login; the reset also lifts a lock and ends the teacher's sessions.

    The seed: 若校长遗忘，可由学校继续教育管理员重新设置. By the school's admin, or a district
    or city admin whose scope covers the school.
    Raises NotFound (4), PermissionDenied (3).
    """
    actor = ctx.require("city", "district", "school", action="重置教师密码")
    password = one_time_password()
    with ctx.transaction() as session:
        teacher = session.execute(
            select(Teacher).where(col(Teacher.learner_no) == learner_no.strip())
        ).scalar_one_or_none()
        if teacher is None:
            raise NotFound(f"学号不存在：{learner_no}")
        school = session.get(School, teacher.school_id)
        if school is None or not school_in_scope(actor, school):
            raise PermissionDenied(OUT_OF_SCOPE, hint="只能重置本单位管辖范围内教师的密码")
        account = session.execute(
            select(Account).where(col(Account.teacher_id) == teacher.id)
        ).scalar_one_or_none()
        if account is None:  # never logged in: the account is made now, with this password
            account = Account(
                username=teacher.learner_no,
                role="teacher",
                name=teacher.name,
                mobile=teacher.mobile,
                teacher_id=teacher.id,
                school_id=teacher.school_id,
                created_at=ctx.now,
            )
            session.add(account)
        _set_one_time(session, ctx, actor, account, password, target=teacher.learner_no)
        sent_to = None if show else _text(ctx, teacher.mobile, password)
        return PasswordReset(
            teacher.learner_no, account.username, password if show else None, sent_to
        )


def reset_account_password(
    ctx: ServiceContext, username: str, *, show: bool = False
) -> PasswordReset:
    """The same for an administrator's account, by an admin of the same unit or above.

    Raises NotFound (4), PermissionDenied (3), Conflict (5: one's own account — use passwd).
    """
    actor = ctx.require("city", "district", "school", "institution", action="重置账号密码")
    password = one_time_password()
    with ctx.transaction() as session:
        account = session.execute(
            select(Account).where(col(Account.username) == username.strip())
        ).scalar_one_or_none()
        if account is None:
            raise NotFound(f"账号不存在：{username}")
        if not can_manage(session, actor, account):
            raise PermissionDenied(OUT_OF_SCOPE)
        if account.id == actor.account_id:
            raise Conflict("不能重置自己的密码", hint="修改自己的密码：jjadmin account passwd")
        if account.mobile is None and not show:
            raise Conflict(
                f"账号 {account.username} 没有绑定手机，无法发送新密码",
                hint="加 --show 当面告知新密码",
            )
        _set_one_time(session, ctx, actor, account, password, target=account.username)
        sent_to = None if show else _text(ctx, account.mobile or "", password)
        return PasswordReset(None, account.username, password if show else None, sent_to)


def _set_one_time(
    session: Session,
    ctx: ServiceContext,
    actor: Actor,
    account: Account,
    password: str,
    *,
    target: str,
) -> None:
    was_locked = account.locked_at is not None
    account.password_hash = hash_password(password)
    account.must_change_password = True
    account.failed_logins = 0
    account.locked_at = None
    session.flush()
    session.execute(
        update(AuthToken)
        .where(col(AuthToken.account_id) == account.id, col(AuthToken.kind) == "session")
        .values(revoked=True)
    )
    audit.record(
        session,
        actor,
        ctx.now,
        "account.passwd_reset",
        "account",
        target,
        after={"must_change_password": True, "unlocked": was_locked},
    )


def _text(ctx: ServiceContext, mobile: str, password: str) -> str:
    if ctx.sms is not None:
        ctx.sms.send(
            mobile,
            f"【继续教育】您的登录密码已重置为 {password}，请尽快登录并修改密码。",
            None,
            ctx.now,
        )
    return mask_mobile(mobile)


@dataclass(frozen=True)
class Recovered:
    username: str
    unlocked: bool
    enabled: bool
    owner: str


def recover_admin(ctx: ServiceContext, username: str, password: str) -> Recovered:
    """The last city account locked or forgotten: unlock (and re-enable) it and set a new
    password — with the database owner's own access only (the SQLite file's owner; on
    PostgreSQL the database's owner role or a superuser), never over an application login.

    Raises PermissionDenied (3: not the owner), NotFound (4), InputRejected (1: not a city
    account, weak password).
    """
    owner = _database_owner(ctx)
    check_password_strength(password)
    with ctx.transaction() as session:
        account = session.execute(
            select(Account).where(col(Account.username) == username.strip())
        ).scalar_one_or_none()
        if account is None:
            raise NotFound(f"账号不存在：{username}")
        if account.role != "city":
            raise InputRejected(
                f"{username} 不是市级培训中心管理员账号",
                hint="其他账号由上级管理员解锁或重置：jjadmin account unlock / passwd-reset",
            )
        unlocked, enabled = account.locked_at is not None, account.disabled
        account.password_hash = hash_password(password)
        account.locked_at = None
        account.failed_logins = 0
        account.disabled = False
        account.must_change_password = False
        account.password_changed_at = ctx.now
        recoverer = Actor(
            account_id=None, username=f"db-owner:{owner}"[:40], role="system", name=owner
        )
        audit.record(
            session,
            recoverer,
            ctx.now,
            "account.recover",
            "account",
            account.username,
            after={"unlocked": unlocked, "enabled": enabled},
        )
        return Recovered(account.username, unlocked, enabled, owner)


def _database_owner(ctx: ServiceContext) -> str:
    """Who holds the database owner's access here, or PermissionDenied."""
    engine = ctx.engine
    if engine.dialect.name == "sqlite":
        path = sqlite_path(engine.url.render_as_string(hide_password=False))
        if path is None or not path.exists():
            raise PermissionDenied("只能恢复本机 SQLite 数据库文件中的账号")
        euid = os.geteuid()
        if euid not in (0, path.stat().st_uid):
            raise PermissionDenied(
                f"只有数据库文件 {path} 的所有者才能恢复管理员账号",
                hint="以该文件所有者的系统账号运行本命令",
            )
        return _os_user()
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT current_user, pg_get_userbyid(d.datdba) = current_user OR r.rolsuper"
                " FROM pg_database d JOIN pg_roles r ON r.rolname = current_user"
                " WHERE d.datname = current_database()"
            )
        ).one()
    if not row[1]:
        raise PermissionDenied(
            f"数据库角色 {row[0]} 不是该数据库的所有者，不能恢复管理员账号",
            hint="用数据库所有者角色的连接地址运行本命令（--db）",
        )
    return str(row[0])


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.geteuid())

"""Who is acting: the actor behind a session or automation token.

Runs on the DB-API driver (ServiceContext.raw_reading) because every command needs it and it
must not cost SQLAlchemy's start-up.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from jjadmin.errors import (
    AccessDenied,
    AccountLocked,
    NotAuthenticated,
    VerificationRequired,
)
from jjadmin.rawdb import as_utc
from jjadmin.services.context import ROLE_NAMES, Actor, ServiceContext


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


VERIFY_HINT = "先运行 jjadmin verify send，再运行 jjadmin verify check 验证码（30 分钟内有效）"


def require_verified(ctx: ServiceContext, what: str = "导出敏感数据") -> Actor:
    """The actor, if its session passed SMS verification in the last 30 minutes."""
    actor = ctx.actor
    if not actor.is_verified(ctx.now):
        raise VerificationRequired(f"{what}需要先完成短信验证", hint=VERIFY_HINT)
    return actor


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
       te.school_id, ts.code, a.must_change_password
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
            principal_school_id=principal_school,
            must_change_password=must_change,
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


@dataclass(frozen=True)
class WhoAmI:
    username: str
    name: str
    role: str
    role_name: str
    district_code: str | None
    school_code: str | None
    institution: str | None
    principal: bool
    verified_until: datetime | None
    must_change_password: bool


def acting_to_change_password(ctx: ServiceContext) -> Actor:
    """The actor, also when its password must be replaced first (changing it, whoami)."""
    if not ctx.actor_resolved:
        ctx.set_actor(resolve_actor(ctx, password_change=True))
    return ctx.actor


def whoami(ctx: ServiceContext) -> WhoAmI:
    a = acting_to_change_password(ctx)
    verified = a.verified_until if a.is_verified(ctx.now) else None
    return WhoAmI(
        a.username,
        a.name,
        a.role,
        ROLE_NAMES.get(a.role, a.role),
        a.district_code,
        a.school_code,
        a.institution,
        a.principal_school_id is not None,
        verified,
        a.must_change_password,
    )

"""Passwords (argon2id), login with lockout, session and automation tokens, the actor."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from jjadmin.errors import AccountLocked, NotAuthenticated
from jjadmin.models import Account, AuthToken, Teacher
from jjadmin.services import audit
from jjadmin.services.context import Actor, ServiceContext, unlock_hint_for
from jjadmin.services.context import resolve_actor as resolve_actor  # re-exported
from jjadmin.services.context import token_digest as token_digest  # re-exported

if TYPE_CHECKING:
    from argon2 import PasswordHasher

MAX_FAILED_LOGINS = 10
SESSION_HOURS = 8
LEARNER_NO_LEN = 14


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    from argon2 import PasswordHasher

    return PasswordHasher()  # argon2id with the library's RFC 9106 defaults


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def initial_teacher_password(id_number: str) -> str:
    """A teacher's first password: the last six characters of the ID number (X upper-case)."""
    return id_number[-6:].upper()


def unlock_hint(account: Account) -> str:
    return unlock_hint_for(account.role)


@dataclass(frozen=True)
class LoginResult:
    token: str
    username: str
    name: str
    role: str
    expires_at: datetime
    must_change_password: bool = False


def _teacher_account(session: Session, username: str, now: datetime) -> Account | None:
    """A teacher's login account, created on first use (username = 学号)."""
    if len(username) != LEARNER_NO_LEN or not username.isdigit():
        return None
    teacher = session.execute(
        select(Teacher).where(col(Teacher.learner_no) == username)
    ).scalar_one_or_none()
    if teacher is None:
        return None
    account = session.execute(
        select(Account).where(col(Account.teacher_id) == teacher.id)
    ).scalar_one_or_none()
    if account is None:
        account = Account(
            username=username,
            role="teacher",
            name=teacher.name,
            mobile=teacher.mobile,
            password_hash=hash_password(initial_teacher_password(teacher.id_number)),
            teacher_id=teacher.id,
            school_id=teacher.school_id,
            created_at=now,
        )
        session.add(account)
        session.flush()
    return account


WRONG_CREDENTIALS = f"用户名或密码错误（连续 {MAX_FAILED_LOGINS} 次输错密码将锁定账号）"


def login(ctx: ServiceContext, username: str, password: str) -> LoginResult:
    """Check the password; 10 consecutive failures lock the account.

    A wrong user and a wrong password get the same answer (nothing tells which accounts
    exist). A teacher who logs in with the first, ID-derived password, or anyone with a reset
    password, is logged in only to change it (`must_change_password`).
    Raises NotAuthenticated (wrong user or password, disabled), AccountLocked (exit 3).
    """
    username = username.strip()
    failure: Exception | None = None
    result: LoginResult | None = None
    with ctx.transaction() as session:
        account = session.execute(
            select(Account).where(col(Account.username) == username)
        ).scalar_one_or_none()
        if account is None:
            account = _teacher_account(session, username, ctx.now)
        if account is None or account.password_hash is None:
            failure = NotAuthenticated(WRONG_CREDENTIALS)
        elif account.locked_at is not None:
            failure = AccountLocked(
                f"账号 {account.username} 已锁定（连续 {MAX_FAILED_LOGINS} 次密码错误）",
                hint=unlock_hint(account),
            )
        elif not verify_password(account.password_hash, password):
            account.failed_logins += 1
            actor = Actor(account.id, account.username, account.role, account.name)
            if account.failed_logins >= MAX_FAILED_LOGINS:
                account.locked_at = ctx.now
                audit.record(session, actor, ctx.now, "account.lock", "account", account.username)
                failure = AccountLocked(
                    f"密码错误次数达到 {MAX_FAILED_LOGINS} 次，账号 {account.username} 已锁定",
                    hint=unlock_hint(account),
                )
            else:
                failure = NotAuthenticated(WRONG_CREDENTIALS)
        elif account.disabled:
            failure = NotAuthenticated("账号已停用", hint="请联系上级管理员")
        else:
            account.failed_logins = 0
            if _is_first_password(session, account, password):
                account.must_change_password = True
            token = secrets.token_urlsafe(32)
            expires = ctx.now + timedelta(hours=SESSION_HOURS)
            session.add(
                AuthToken(
                    token_hash=token_digest(token),
                    account_id=account.id or 0,
                    kind="session",
                    created_at=ctx.now,
                    expires_at=expires,
                )
            )
            actor = Actor(account.id, account.username, account.role, account.name)
            audit.record(session, actor, ctx.now, "auth.login", "account", account.username)
            result = LoginResult(
                token,
                account.username,
                account.name,
                account.role,
                expires,
                account.must_change_password,
            )
    if failure is not None:
        raise failure
    assert result is not None
    return result


def _is_first_password(session: Session, account: Account, password: str) -> bool:
    """A teacher still using the first password, derived from the ID number."""
    if account.teacher_id is None:
        return False
    teacher = session.get(Teacher, account.teacher_id)
    return teacher is not None and password == initial_teacher_password(teacher.id_number)


def logout(ctx: ServiceContext) -> None:
    """Revoke the current session token (automation tokens are revoked by `account disable`)."""
    if not ctx.credentials:
        return
    with ctx.transaction() as session:
        tok = session.execute(
            select(AuthToken).where(col(AuthToken.token_hash) == token_digest(ctx.credentials))
        ).scalar_one_or_none()
        if tok is not None and tok.kind == "session":
            tok.revoked = True

"""Identity: argon2id passwords, login with lockout, sessions, automation tokens (SPEC §3)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from jjadmin.errors import AccountLocked, NotAuthenticated
from jjadmin.models import Account, AuditLog, AuthToken
from jjadmin.services import accounts, auth
from jjadmin.services.auth import MAX_FAILED_LOGINS, hash_password
from tests.conftest import CtxFactory
from tests.factories import NOW, make_account, make_school, make_teacher

PASSWORD = "Passw0rd!"


def _operator(session: Session, role: str = "city", **kw: Any) -> str:
    actor = make_account(session, role, password_hash=hash_password(PASSWORD), **kw)
    session.commit()
    return actor.username


def _lock_state(session: Session, username: str) -> tuple[int, bool]:
    """(failed_logins, locked), read in a short transaction (one connection in SQLite tests)."""
    row = session.execute(
        select(Account.failed_logins, Account.locked_at).where(Account.username == username)
    ).one()
    session.rollback()
    return row[0], row[1] is not None


def test_passwords_are_hashed_with_argon2id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # the production hasher, not the fast one of the test suite
    stored = hash_password(PASSWORD)
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert auth.verify_password(stored, PASSWORD)
    assert not auth.verify_password(stored, "wrong")
    assert not auth.verify_password("not-a-hash", PASSWORD)


def test_login_issues_a_session_valid_for_eight_hours(
    session: Session, make_ctx: CtxFactory
) -> None:
    user = _operator(session)
    result = auth.login(make_ctx(), user, PASSWORD)
    assert result.expires_at == NOW + timedelta(hours=8)
    stored = session.execute(select(AuthToken.token_hash)).scalar_one()
    session.rollback()
    assert stored == auth.token_digest(result.token)  # only the digest is kept

    just_before = make_ctx(now=NOW + timedelta(hours=7, minutes=59), credentials=result.token)
    assert just_before.actor.username == user
    after = make_ctx(now=NOW + timedelta(hours=8, seconds=1), credentials=result.token)
    with pytest.raises(NotAuthenticated, match="登录已过期"):
        _ = after.actor


def test_unknown_user_and_wrong_password_give_the_same_message(
    session: Session, make_ctx: CtxFactory
) -> None:
    user = _operator(session)
    with pytest.raises(NotAuthenticated, match="用户名或密码错误") as unknown:
        auth.login(make_ctx(), "nobody", PASSWORD)
    with pytest.raises(NotAuthenticated, match="用户名或密码错误") as wrong:
        auth.login(make_ctx(), user, "Wrong0pass")
    assert unknown.value.exit_code == wrong.value.exit_code == 3
    # the same words: nothing tells which accounts exist
    assert unknown.value.message == wrong.value.message and unknown.value.hint == wrong.value.hint
    assert _lock_state(session, user) == (1, False)


def test_ten_wrong_passwords_lock_an_operator_and_say_who_can_unlock(
    session: Session, make_ctx: CtxFactory
) -> None:
    user = _operator(session, "district", district="440104")
    for _ in range(1, MAX_FAILED_LOGINS):
        with pytest.raises(NotAuthenticated, match=f"连续 {MAX_FAILED_LOGINS} 次输错密码将锁定"):
            auth.login(make_ctx(), user, "Wrong0pass")
    with pytest.raises(AccountLocked, match="已锁定") as locked:
        auth.login(make_ctx(), user, "Wrong0pass")
    assert "市级培训中心管理员" in (locked.value.hint or "")
    assert "jjadmin account unlock" in (locked.value.hint or "")
    # the right password no longer helps
    with pytest.raises(AccountLocked):
        auth.login(make_ctx(), user, PASSWORD)
    assert _lock_state(session, user) == (MAX_FAILED_LOGINS, True)
    actions = session.execute(select(AuditLog.action)).scalars().all()
    session.rollback()
    assert "account.lock" in actions


def test_a_successful_login_resets_the_failure_counter(
    session: Session, make_ctx: CtxFactory
) -> None:
    user = _operator(session)
    for _ in range(MAX_FAILED_LOGINS - 1):
        with pytest.raises(NotAuthenticated):
            auth.login(make_ctx(), user, "Wrong0pass")
    auth.login(make_ctx(), user, PASSWORD)
    assert _lock_state(session, user) == (0, False)
    for _ in range(MAX_FAILED_LOGINS - 1):
        with pytest.raises(NotAuthenticated):
            auth.login(make_ctx(), user, "Wrong0pass")
    assert _lock_state(session, user) == (MAX_FAILED_LOGINS - 1, False)


def test_teachers_are_locked_too_and_a_school_admin_unlocks_them(
    session: Session, make_ctx: CtxFactory
) -> None:
    school = make_school(session)
    teacher = make_teacher(session, school)
    admin = make_account(session, "school", school=school)
    session.commit()
    initial = auth.initial_teacher_password(teacher.id_number)
    for _ in range(MAX_FAILED_LOGINS - 1):
        with pytest.raises(NotAuthenticated):
            auth.login(make_ctx(), teacher.learner_no, "Wrong0pass")
    with pytest.raises(AccountLocked) as locked:
        auth.login(make_ctx(), teacher.learner_no, "Wrong0pass")
    assert "本校继续教育管理员" in (locked.value.hint or "")
    with pytest.raises(AccountLocked):
        auth.login(make_ctx(), teacher.learner_no, initial)

    accounts.unlock_teacher(make_ctx(admin), teacher.learner_no)
    result = auth.login(make_ctx(), teacher.learner_no, initial)
    assert result.role == "teacher"


def test_a_disabled_account_cannot_log_in(session: Session, make_ctx: CtxFactory) -> None:
    city = make_account(session, "city")
    user = _operator(session, "district", district="440104")
    accounts.disable_account(make_ctx(city), user)
    with pytest.raises(NotAuthenticated, match="已停用"):
        auth.login(make_ctx(), user, PASSWORD)


def test_logout_revokes_the_session(session: Session, make_ctx: CtxFactory) -> None:
    user = _operator(session)
    token = auth.login(make_ctx(), user, PASSWORD).token
    auth.logout(make_ctx(credentials=token))
    with pytest.raises(NotAuthenticated):
        _ = make_ctx(credentials=token).actor


def test_an_account_token_identifies_its_account_until_disabled(
    session: Session, make_ctx: CtxFactory
) -> None:
    city = make_account(session, "city")
    school = make_school(session)
    user = _operator(session, "school", school=school)
    issued = accounts.issue_token(make_ctx(city), user, days=30)
    assert issued.token.startswith("jj_")
    actor = make_ctx(credentials=issued.token).actor
    assert (actor.username, actor.role, actor.school_code) == (user, "school", school.code)
    expired = make_ctx(now=NOW + timedelta(days=30, seconds=1), credentials=issued.token)
    with pytest.raises(NotAuthenticated):
        _ = expired.actor
    accounts.disable_account(make_ctx(city), user)
    with pytest.raises(NotAuthenticated):
        _ = make_ctx(credentials=issued.token).actor


def test_a_locked_account_loses_its_live_sessions(session: Session, make_ctx: CtxFactory) -> None:
    user = _operator(session)
    token = auth.login(make_ctx(), user, PASSWORD).token
    for _ in range(MAX_FAILED_LOGINS):
        with pytest.raises((NotAuthenticated, AccountLocked)):
            auth.login(make_ctx(), user, "Wrong0pass")
    with pytest.raises(AccountLocked):
        _ = make_ctx(credentials=token).actor


def test_no_credentials_means_not_logged_in(make_ctx: CtxFactory) -> None:
    with pytest.raises(NotAuthenticated, match="尚未登录") as err:
        _ = make_ctx().actor
    assert "jjadmin login" in (err.value.hint or "")

"""Passwords (SPEC §3, §6 Teacher; the seed's 设置校长账号: 若校长遗忘，可由学校继续教育管理员
重新设置): the first password and reset ones must be replaced; admins reset forgotten ones; the
database owner recovers the last city account."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from jjadmin.db import make_engine, migrate, session_factory
from jjadmin.errors import (
    AccountLocked,
    Conflict,
    InputRejected,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)
from jjadmin.models import Account, AuditLog
from jjadmin.services import accounts, auth, passwords
from jjadmin.services.accounts import seed_districts
from jjadmin.services.context import ServiceContext
from jjadmin.services.identity import PasswordChangeRequired, whoami
from jjadmin.services.sms import SmsSender
from tests.conftest import PG_URL, CtxFactory, Outbox
from tests.factories import NOW, id_number, make_account, make_school, make_teacher

NEW = "Teach3rPass"


def _first(ident: str) -> str:
    return ident[-6:].upper()


def _teacher(session: Session, school_code: str = "4401040001", district: str = "440104"):
    school = make_school(session, school_code, district)
    ident = id_number()
    t = make_teacher(session, school, id_number=ident)
    session.commit()
    return school, t.learner_no, ident


def test_the_first_id_derived_password_allows_only_changing_it(
    session: Session, make_ctx: CtxFactory
) -> None:
    _, no, ident = _teacher(session)
    login = auth.login(make_ctx(), no, _first(ident))
    assert login.must_change_password
    with pytest.raises(PasswordChangeRequired, match="须先修改密码") as refused:
        _ = make_ctx(credentials=login.token).actor
    assert refused.value.exit_code == 3 and "me passwd" in (refused.value.hint or "")
    assert whoami(make_ctx(credentials=login.token)).must_change_password  # whoami still answers
    with pytest.raises(InputRejected, match="至少 8 位"):  # the ID-derived one never passes
        passwords.change_password(make_ctx(credentials=login.token), old=NEW, new=_first(ident))
    passwords.change_password(make_ctx(credentials=login.token), old=_first(ident), new=NEW)
    actor = make_ctx(credentials=login.token).actor
    assert (actor.username, actor.must_change_password) == (no, False)
    again = auth.login(make_ctx(), no, NEW)
    assert not again.must_change_password


def test_a_new_password_equal_to_the_old_one_is_refused(
    session: Session, make_ctx: CtxFactory
) -> None:
    _, no, ident = _teacher(session)
    token = auth.login(make_ctx(), no, _first(ident)).token
    passwords.change_password(make_ctx(credentials=token), old=_first(ident), new=NEW)
    with pytest.raises(InputRejected, match="不能与原密码相同"):
        passwords.change_password(make_ctx(credentials=token), old=NEW, new=NEW)


def test_the_school_admin_resets_a_forgotten_password_texted_to_the_teacher(
    session: Session, make_ctx: CtxFactory, outbox: Outbox
) -> None:
    school, no, ident = _teacher(session)
    admin = make_account(session, "school", school=school)
    session.commit()
    old_token = auth.login(make_ctx(), no, _first(ident)).token
    passwords.change_password(make_ctx(credentials=old_token), old=_first(ident), new=NEW)

    reset = passwords.reset_teacher_password(make_ctx(admin), no)
    assert reset.password is None and reset.sent_to is not None and "****" in reset.sent_to
    (sms,) = outbox.messages()
    one_time = sms["text"].split("重置为 ")[1].split("，")[0]
    assert len(one_time) == passwords.RESET_LENGTH and one_time not in reset.sent_to
    with pytest.raises(NotAuthenticated):  # the reset ends the teacher's sessions
        _ = make_ctx(credentials=old_token).actor
    with pytest.raises(NotAuthenticated):
        auth.login(make_ctx(), no, NEW)  # the forgotten password no longer works
    login = auth.login(make_ctx(), no, one_time)
    assert login.must_change_password  # and must be replaced at this login
    with pytest.raises(PasswordChangeRequired):
        _ = make_ctx(credentials=login.token).actor
    passwords.change_password(make_ctx(credentials=login.token), old=one_time, new="Another9pass")
    assert make_ctx(credentials=login.token).actor.username == no
    actions = session.execute(select(AuditLog.action, AuditLog.target)).all()
    session.rollback()
    assert ("account.passwd_reset", no) in [tuple(a) for a in actions]
    assert all(one_time not in str(row) for row in session.execute(select(AuditLog)).all())


def test_a_reset_shown_once_sends_no_text_and_lifts_a_lock(
    session: Session, make_ctx: CtxFactory, outbox: Outbox
) -> None:
    school, no, ident = _teacher(session)
    district = make_account(session, "district", district="440104")
    session.commit()
    for _ in range(auth.MAX_FAILED_LOGINS - 1):
        with pytest.raises(NotAuthenticated):
            auth.login(make_ctx(), no, "Wrong0pass")
    with pytest.raises(AccountLocked):
        auth.login(make_ctx(), no, "Wrong0pass")
    reset = passwords.reset_teacher_password(make_ctx(district), no, show=True)
    assert reset.password is not None and reset.sent_to is None
    assert outbox.messages() == []
    assert auth.login(make_ctx(), no, reset.password).must_change_password


def test_a_principal_who_forgot_is_reset_by_the_school_admin(
    session: Session, make_ctx: CtxFactory
) -> None:
    from jjadmin.services import teachers

    school, no, ident = _teacher(session)
    admin = make_account(session, "school", school=school)
    session.commit()
    teachers.grant_principal(make_ctx(admin), no)
    reset = passwords.reset_teacher_password(make_ctx(admin), no, show=True)
    assert reset.password is not None
    token = auth.login(make_ctx(), no, reset.password).token
    passwords.change_password(make_ctx(credentials=token), old=reset.password, new=NEW)
    assert make_ctx(credentials=token).actor.has_role("school")


def test_no_one_resets_a_teacher_outside_their_scope(
    session: Session, make_ctx: CtxFactory
) -> None:
    _, no, _ident = _teacher(session)
    other = make_school(session, "4401050001", "440105")
    other_admin = make_account(session, "school", school=other)
    other_district = make_account(session, "district", district="440105")
    teacher_itself = make_account(session, "institution", institution="某机构")
    session.commit()
    for actor in (other_admin, other_district, teacher_itself):
        with pytest.raises(PermissionDenied):
            passwords.reset_teacher_password(make_ctx(actor), no, show=True)
    with pytest.raises(NotFound):
        passwords.reset_teacher_password(make_ctx(other_district), "44012699999999")


def test_a_district_resets_a_school_admin_but_nobody_resets_themself(
    session: Session, make_ctx: CtxFactory, outbox: Outbox
) -> None:
    school = make_school(session, "4401040001", "440104")
    district = make_account(session, "district", district="440104", username="yx")
    session.commit()
    accounts.add_account(
        make_ctx(district),
        username="s01",
        role="school",
        name="王老师",
        mobile="13900139002",
        password="Passw0rd!",
        school=school.code,
    )
    reset = passwords.reset_account_password(make_ctx(district), "s01")
    assert reset.sent_to == "139****9002" and outbox.messages()[-1]["to"] == "13900139002"
    with pytest.raises(Conflict, match="不能重置自己的密码"):
        passwords.reset_account_password(make_ctx(district), "yx")


def _owned_sqlite(tmp_path: Path) -> tuple[Engine, ServiceContext, Outbox]:
    engine = make_engine(f"sqlite:///{tmp_path / 'own.db'}", create=True)
    migrate(engine)
    outbox = Outbox(tmp_path / "sms.jsonl")
    ctx = ServiceContext(engine=engine, now=NOW, sms=SmsSender(f"file:{outbox.path}"))
    return engine, ctx, outbox


def _lock_city(engine: Engine, ctx: ServiceContext) -> None:
    with session_factory(engine)() as s:
        seed_districts(s)
        make_account(s, "city", username="admin", password_hash=auth.hash_password("Passw0rd!"))
        s.commit()
    for _ in range(auth.MAX_FAILED_LOGINS):
        with pytest.raises((NotAuthenticated, AccountLocked)):
            auth.login(ctx, "admin", "Wrong0pass")


def test_the_file_owner_recovers_the_last_locked_city_account(tmp_path: Path) -> None:
    engine, ctx, _ = _owned_sqlite(tmp_path)
    try:
        _lock_city(engine, ctx)
        with pytest.raises(AccountLocked):
            auth.login(ctx, "admin", "Passw0rd!")
        done = passwords.recover_admin(ctx, "admin", "Rec0vered!")
        assert (done.username, done.unlocked, done.enabled) == ("admin", True, False)
        assert not auth.login(ctx, "admin", "Rec0vered!").must_change_password
        with session_factory(engine)() as s:
            row = s.execute(
                select(AuditLog.actor, AuditLog.action).where(AuditLog.action == "account.recover")
            ).one()
        assert row[0].startswith("db-owner:")
    finally:
        engine.dispose()


def test_someone_else_than_the_file_owner_cannot_recover(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, ctx, _ = _owned_sqlite(tmp_path)
    try:
        _lock_city(engine, ctx)
        owner = (tmp_path / "own.db").stat().st_uid
        monkeypatch.setattr(os, "geteuid", lambda: owner + 4242)
        with pytest.raises(PermissionDenied, match="所有者"):
            passwords.recover_admin(ctx, "admin", "Rec0vered!")
        with pytest.raises(AccountLocked):
            auth.login(ctx, "admin", "Passw0rd!")
    finally:
        engine.dispose()


def test_recover_admin_is_for_city_accounts_only(tmp_path: Path) -> None:
    engine, ctx, _ = _owned_sqlite(tmp_path)
    try:
        with session_factory(engine)() as s:
            seed_districts(s)
            s.commit()
            make_account(s, "district", username="yx", district="440104")
            s.commit()
        with pytest.raises(InputRejected, match="不是市级"):
            passwords.recover_admin(ctx, "yx", "Rec0vered!")
        with pytest.raises(NotFound):
            passwords.recover_admin(ctx, "nobody", "Rec0vered!")
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_on_postgresql_only_the_database_owner_recovers() -> None:
    from tests.conftest import create_pg_database, drop_pg_database

    assert PG_URL
    url = create_pg_database("jjrec")
    role = f"jj_t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    engine = make_engine(url)
    try:
        migrate(engine)
        ctx = ServiceContext(engine=engine, now=NOW)
        _lock_city(engine, ctx)
        with admin.connect() as conn:
            conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        stranger = make_engine(make_url(url).set(username=role).render_as_string(False))
        try:
            with pytest.raises(PermissionDenied, match="不是该数据库的所有者"):
                passwords.recover_admin(
                    ServiceContext(engine=stranger, now=NOW), "admin", "Rec0vered!"
                )
        finally:
            stranger.dispose()
        assert passwords.recover_admin(ctx, "admin", "Rec0vered!").unlocked
    finally:
        engine.dispose()
        admin.dispose()
        drop_pg_database(url)
        cleanup = create_engine(
            make_url(url).set(database="postgres").render_as_string(False),
            isolation_level="AUTOCOMMIT",
        )
        with cleanup.connect() as conn:
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        cleanup.dispose()


def test_a_disabled_account_is_enabled_again_without_its_old_sessions(
    session: Session, make_ctx: CtxFactory
) -> None:
    city = make_account(session, "city")
    session.commit()
    accounts.add_account(
        make_ctx(city),
        username="yx",
        role="district",
        name="李四",
        mobile="13900139003",
        password="Passw0rd!",
        district="440104",
    )
    token = auth.login(make_ctx(), "yx", "Passw0rd!").token
    accounts.disable_account(make_ctx(city), "yx")
    with pytest.raises(NotAuthenticated, match="账号已停用"):
        _ = make_ctx(credentials=token).actor
    with pytest.raises(NotAuthenticated, match="账号已停用"):
        auth.login(make_ctx(), "yx", "Passw0rd!")
    with pytest.raises(NotAuthenticated, match="用户名或密码错误"):  # says nothing without it
        auth.login(make_ctx(), "yx", "Wrong0pass")
    accounts.enable_account(make_ctx(city), "yx")
    with pytest.raises(Conflict, match="未停用"):
        accounts.enable_account(make_ctx(city), "yx")
    with pytest.raises(NotAuthenticated, match="尚未登录"):
        _ = make_ctx(credentials=token).actor  # the old session stays revoked
    assert auth.login(make_ctx(), "yx", "Passw0rd!").username == "yx"


def test_an_admin_edits_its_own_profile(session: Session, make_ctx: CtxFactory) -> None:
    from jjadmin.errors import InvalidValue

    city = make_account(session, "city", username="admin")
    session.commit()
    view = accounts.update_my_profile(
        make_ctx(city),
        name=" 张 三 ",
        gender="女",
        phone="020-83480247",
        address="广州市麓景西路41号",
        email="zs@example.cn",
    )
    assert (view.name, view.gender, view.phone, view.email) == (
        "张 三",
        "女",
        "020-83480247",
        "zs@example.cn",
    )
    assert accounts.my_profile(make_ctx(city)).address == "广州市麓景西路41号"
    with pytest.raises(InvalidValue, match="性别"):
        accounts.update_my_profile(make_ctx(city), gender="未知")
    with pytest.raises(InvalidValue, match="电子邮箱"):
        accounts.update_my_profile(make_ctx(city), email="not-an-email")
    cleared = accounts.update_my_profile(make_ctx(city), phone="", email="")
    assert (cleared.phone, cleared.email) == (None, None)
    stored = session.execute(select(Account).where(Account.username == "admin")).scalar_one()
    assert stored.name == "张 三"
    session.rollback()

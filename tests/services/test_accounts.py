"""Operator accounts: real name, bound mobile, "same unit or below", disable/unlock/passwd."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from jjadmin.errors import (
    AccessDenied,
    Conflict,
    InputRejected,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)
from jjadmin.models import Account, AuditLog
from jjadmin.services import accounts, auth, passwords
from jjadmin.services.context import Actor
from tests.conftest import CtxFactory
from tests.factories import make_account, make_school

PASSWORD = "Passw0rd!"


def _add(make_ctx: CtxFactory, actor: Actor, username: str, role: str, **kw: Any) -> Any:
    return accounts.add_account(
        make_ctx(actor),
        username=username,
        role=role,
        name=kw.pop("name", "王小明"),
        mobile=kw.pop("mobile", "139 0013 9001"),
        password=kw.pop("password", PASSWORD),
        **kw,
    )


def _audit(session: Session) -> list[tuple[str, str]]:
    rows = session.execute(select(AuditLog.action, AuditLog.target).order_by(AuditLog.id)).all()
    session.rollback()
    return [(a, t) for a, t in rows]


def test_city_creates_a_real_name_district_admin_with_a_bound_mobile(
    session: Session, make_ctx: CtxFactory
) -> None:
    city = make_account(session, "city")
    session.commit()
    view = _add(make_ctx, city, "yuexiu", "district", district="440104", mobile="+86 139-0013-9001")
    assert (view.role, view.name, view.district_code) == ("district", "王小明", "440104")
    assert view.mobile == "139****9001"  # masked in views
    stored = session.execute(select(Account).where(Account.username == "yuexiu")).scalar_one()
    assert stored.mobile == "13900139001"
    assert stored.password_hash and stored.password_hash.startswith("$argon2id$")
    session.rollback()
    assert ("account.add", "yuexiu") in _audit(session)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "  ", "实名"),
        ("mobile", "12345", "手机"),
        ("password", "short1", "至少"),
        ("password", "onlyletters", "字母和数字"),
    ],
)
def test_account_add_rejects_bad_input(
    session: Session, make_ctx: CtxFactory, field: str, value: str, message: str
) -> None:
    city = make_account(session, "city")
    session.commit()
    with pytest.raises(InputRejected, match=message):
        _add(make_ctx, city, "bad", "district", district="440104", **{field: value})


def test_a_username_is_unique(session: Session, make_ctx: CtxFactory) -> None:
    city = make_account(session, "city", username="boss")
    session.commit()
    with pytest.raises(Conflict, match="用户名已存在"):
        _add(make_ctx, city, "boss", "district", district="440104")


def test_a_district_admin_creates_accounts_only_in_its_own_district(
    session: Session, make_ctx: CtxFactory
) -> None:
    own = make_school(session, district="440104")
    other = make_school(session, district="440106", name="天河别校")
    district = make_account(session, "district", district="440104")
    session.commit()
    _add(make_ctx, district, "yx2", "district", district="440104")
    _add(make_ctx, district, "own_school", "school", school=own.code)
    with pytest.raises(PermissionDenied, match="市级"):
        _add(make_ctx, district, "newcity", "city")
    with pytest.raises(PermissionDenied):
        _add(make_ctx, district, "th", "district", district="440106")
    with pytest.raises(PermissionDenied) as denied:
        _add(make_ctx, district, "other_school", "school", school=other.code)
    assert "天河别校" not in denied.value.message + (denied.value.hint or "")
    with pytest.raises(PermissionDenied):
        _add(make_ctx, district, "inst", "institution", institution="某培训机构")


def test_a_school_admin_creates_admins_only_for_its_own_school(
    session: Session, make_ctx: CtxFactory
) -> None:
    mine = make_school(session)
    other = make_school(session, name="隔壁学校")
    admin = make_account(session, "school", school=mine)
    session.commit()
    view = _add(make_ctx, admin, "second", "school", school=mine.code)
    assert view.school_code == mine.code
    with pytest.raises(PermissionDenied) as denied:
        _add(make_ctx, admin, "intruder", "school", school=other.code)
    assert "隔壁学校" not in denied.value.message + (denied.value.hint or "")
    with pytest.raises(PermissionDenied):
        _add(make_ctx, admin, "up", "district", district=mine.district_code)


def test_account_add_checks_the_unit_exists(session: Session, make_ctx: CtxFactory) -> None:
    city = make_account(session, "city")
    session.commit()
    with pytest.raises(InputRejected, match="区代码不存在"):
        _add(make_ctx, city, "x1", "district", district="999999")
    with pytest.raises(NotFound, match="学校不存在"):
        _add(make_ctx, city, "x2", "school", school="4401990001")
    with pytest.raises(InputRejected, match="未知角色"):
        _add(make_ctx, city, "x3", "teacher")


def test_teachers_cannot_manage_accounts(session: Session, make_ctx: CtxFactory) -> None:
    teacher = make_account(session, "teacher")
    session.commit()
    with pytest.raises(PermissionDenied):
        accounts.list_accounts(make_ctx(teacher))


def test_account_list_shows_only_the_actors_units(session: Session, make_ctx: CtxFactory) -> None:
    yx = make_school(session, district="440104")
    th = make_school(session, district="440106")
    city = make_account(session, "city", username="city")
    district = make_account(session, "district", username="d104", district="440104")
    make_account(session, "district", username="d106", district="440106")
    make_account(session, "school", username="s_yx", school=yx)
    make_account(session, "school", username="s_th", school=th)
    session.commit()
    seen = {v.username for v in accounts.list_accounts(make_ctx(district))}
    assert seen == {"d104", "s_yx"}
    assert {v.username for v in accounts.list_accounts(make_ctx(city))} == {
        "city",
        "d104",
        "d106",
        "s_yx",
        "s_th",
    }


def test_disable_revokes_access_and_refuses_the_actor_itself(
    session: Session, make_ctx: CtxFactory
) -> None:
    city = make_account(session, "city")
    session.commit()
    _add(make_ctx, city, "gone", "district", district="440104")
    token = auth.login(make_ctx(), "gone", PASSWORD).token
    accounts.disable_account(make_ctx(city), "gone")
    with pytest.raises(NotAuthenticated):
        _ = make_ctx(credentials=token).actor
    with pytest.raises(Conflict, match="已停用"):
        accounts.disable_account(make_ctx(city), "gone")
    with pytest.raises(Conflict, match="自己"):
        accounts.disable_account(make_ctx(city), city.username)
    with pytest.raises(NotFound):
        accounts.disable_account(make_ctx(city), "nobody")
    assert ("account.disable", "gone") in _audit(session)


def test_unlock_clears_the_lock_and_the_counter(session: Session, make_ctx: CtxFactory) -> None:
    school = make_school(session)
    other = make_school(session)
    admin = make_account(session, "school", school=school)
    outsider = make_account(session, "school", school=other)
    session.commit()
    _add(make_ctx, admin, "colleague", "school", school=school.code)
    with pytest.raises(Conflict, match="未被锁定"):
        accounts.unlock_account(make_ctx(admin), "colleague")
    for _ in range(auth.MAX_FAILED_LOGINS):
        with pytest.raises(AccessDenied):  # wrong password, then locked
            auth.login(make_ctx(), "colleague", "Wrong0pass")
    with pytest.raises(PermissionDenied):
        accounts.unlock_account(make_ctx(outsider), "colleague")
    accounts.unlock_account(make_ctx(admin), "colleague")
    assert auth.login(make_ctx(), "colleague", PASSWORD).username == "colleague"
    assert ("account.unlock", "colleague") in _audit(session)


def test_change_password_needs_the_old_one(session: Session, make_ctx: CtxFactory) -> None:
    city = make_account(session, "city")
    session.commit()
    _add(make_ctx, city, "me", "district", district="440104")
    token = auth.login(make_ctx(), "me", PASSWORD).token
    me = make_ctx(credentials=token)
    with pytest.raises(NotAuthenticated, match="原密码错误"):
        passwords.change_password(me, old="Wrong0pass", new="NewPassw0rd")
    with pytest.raises(InputRejected):
        passwords.change_password(me, old=PASSWORD, new="short")
    passwords.change_password(me, old=PASSWORD, new="NewPassw0rd")
    with pytest.raises(NotAuthenticated):
        auth.login(make_ctx(), "me", PASSWORD)
    assert auth.login(make_ctx(), "me", "NewPassw0rd").username == "me"
    assert ("account.passwd", "me") in _audit(session)


def test_tokens_are_issued_only_within_scope_and_for_a_sane_lifetime(
    session: Session, make_ctx: CtxFactory
) -> None:
    district = make_account(session, "district", district="440104")
    make_account(session, "district", username="th_admin", district="440106")
    make_account(session, "system", username="cron")
    session.commit()
    with pytest.raises(PermissionDenied):
        accounts.issue_token(make_ctx(district), "th_admin")
    with pytest.raises(PermissionDenied):
        accounts.issue_token(make_ctx(district), "cron")
    with pytest.raises(InputRejected, match="--days"):
        accounts.issue_token(make_ctx(district), district.username, days=0)
    issued = accounts.issue_token(make_ctx(district), district.username, days=1)
    assert make_ctx(credentials=issued.token).actor.district_code == "440104"
    assert ("account.token", district.username) in _audit(session)

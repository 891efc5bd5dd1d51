"""基础信息管理 (3) 设置校长账号 · 授权 (seed; SPEC §6 Teacher), on SQLite and PostgreSQL:
"学校继续教育管理员可通过此功能授权本校多位教师为学校继续教育管理员，共同分担学校继续教育管理
工作" — the granted teacher's login acts as the school's admin, as a principal's does, until the
teacher leaves the school."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jjadmin.errors import Conflict, NotFound, PermissionDenied
from jjadmin.importers.common import run_file_import
from jjadmin.importers.teacher import TEACHER_HEADERS, teacher_columns
from jjadmin.models import AuditLog, Principal, SchoolAdmin
from jjadmin.services import identity, special_training, teachers, transfers
from jjadmin.services.context import Actor
from jjadmin.services.imports import ImportOptions
from jjadmin.services.scope_rules import scope_of, scope_role
from jjadmin.services.teachers import TeacherFilter
from tests.factories import (
    NOW,
    id_number,
    login_teacher,
    make_account,
    make_school,
    make_teacher,
)
from tests.helpers_courses import make_course, make_period
from tests.xlsx_helpers import make_xlsx


@dataclass
class Member:
    learner_no: str
    first_password: str
    id_number: str = ""
    name: str = ""


@dataclass
class World:
    admin: Actor  # school A's admin account
    other_admin: Actor  # school B's
    district: Actor  # 440104
    school_a: int
    school_b: int
    staff: list[Member]  # school A
    outsider: Member  # school B


@pytest.fixture
def world(session: Session) -> World:
    a = make_school(session, "4401040001", "440104")
    b = make_school(session, "4401040002", "440104")
    staff = []
    for n in range(4):
        ident = id_number(seq=7000 + n)
        t = make_teacher(session, a, id_number=ident)
        staff.append(Member(t.learner_no, ident[-6:], ident, t.name))
    ident = id_number(seq=7100)
    outsider = Member(make_teacher(session, b, id_number=ident).learner_no, ident[-6:])
    w = World(
        admin=make_account(session, "school", school=a),
        other_admin=make_account(session, "school", school=b),
        district=make_account(session, "district", district="440104"),
        school_a=a.id or 0,
        school_b=b.id or 0,
        staff=staff,
        outsider=outsider,
    )
    session.commit()
    return w


def grants(session: Session) -> int:
    n = session.execute(select(func.count()).select_from(SchoolAdmin)).scalar_one()
    session.commit()
    return int(n)


def test_授权_a_granted_teachers_login_acts_as_the_schools_admin(
    world: World, make_ctx: Any
) -> None:
    m = world.staff[0]
    token = login_teacher(make_ctx, m.learner_no, m.first_password)
    assert not make_ctx(credentials=token).actor.has_role("school")
    assert teachers.grant_school_admin(make_ctx(world.admin), m.learner_no) == "4401040001"
    actor = make_ctx(credentials=token).actor
    assert actor.has_role("school") and actor.acting_school_id == world.school_a
    assert (actor.admin_grant, scope_role(actor)) == ("school_admin", "school")
    assert scope_of(actor) == scope_of(world.admin)
    rows, total = teachers.list_teachers(make_ctx(credentials=token))
    assert total == 4 and all(r.learner_no != world.outsider.learner_no for r in rows)
    with pytest.raises(PermissionDenied):
        teachers.show_teacher(make_ctx(credentials=token), world.outsider.learner_no)
    who = identity.whoami(make_ctx(credentials=token))
    assert (who.is_school_admin, who.is_principal) == (True, False)


def test_授权_a_school_authorises_several_teachers_besides_its_principal(
    world: World, make_ctx: Any, session: Session
) -> None:
    principal, first, second, _ = (m.learner_no for m in world.staff)
    teachers.grant_principal(make_ctx(world.admin), principal)
    teachers.grant_school_admin(make_ctx(world.admin), first)
    teachers.grant_school_admin(make_ctx(world.admin), second)
    assert grants(session) == 2
    with pytest.raises(Conflict, match="已是本校的学校继续教育管理员"):
        teachers.grant_school_admin(make_ctx(world.admin), first)
    with pytest.raises(Conflict, match="是校长"):
        teachers.grant_school_admin(make_ctx(world.admin), principal)
    rows, _ = teachers.list_teachers(
        make_ctx(world.admin), filters=TeacherFilter(school_admin=True)
    )
    assert sorted(r.learner_no for r in rows) == sorted([first, second])
    assert all(r.is_school_admin and not r.is_principal for r in rows)
    detail = teachers.show_teacher(make_ctx(world.admin), first)
    assert detail.is_school_admin


def test_授权_only_a_schools_own_teachers_in_post(
    world: World, make_ctx: Any, session: Session
) -> None:
    with pytest.raises(PermissionDenied):
        teachers.grant_school_admin(make_ctx(world.admin), world.outsider.learner_no)
    teachers.archive_teachers(make_ctx(world.admin), [world.staff[3].learner_no], "离职")
    with pytest.raises(Conflict, match="在职"):
        teachers.grant_school_admin(make_ctx(world.admin), world.staff[3].learner_no)
    with pytest.raises(NotFound):
        teachers.grant_school_admin(make_ctx(world.admin), "44012699999999")
    assert grants(session) == 0


def test_授权_revoking_ends_the_grant_and_the_school_role(
    world: World, make_ctx: Any, session: Session
) -> None:
    m = world.staff[0]
    token = login_teacher(make_ctx, m.learner_no, m.first_password)
    teachers.grant_school_admin(make_ctx(world.admin), m.learner_no)
    teachers.revoke_school_admin(make_ctx(world.admin), m.learner_no)
    assert not make_ctx(credentials=token).actor.has_role("school")
    with pytest.raises(Conflict, match="不是授权的学校继续教育管理员"):
        teachers.revoke_school_admin(make_ctx(world.admin), m.learner_no)
    actions = list(
        session.execute(
            select(AuditLog.action).where(AuditLog.action.startswith("teacher.admin"))
        ).scalars()
    )
    session.commit()
    assert actions == ["teacher.admin.grant", "teacher.admin.revoke"]


def test_授权_archiving_as_离职_or_退休_ends_the_grant(
    world: World, make_ctx: Any, session: Session
) -> None:
    first, second = world.staff[0].learner_no, world.staff[1].learner_no
    for no in (first, second):
        teachers.grant_school_admin(make_ctx(world.admin), no)
    result = teachers.archive_teachers(make_ctx(world.admin), [first], "退休")
    assert result.admins_revoked == [first]
    assert grants(session) == 1
    ended = session.execute(
        select(AuditLog.target).where(AuditLog.action == "teacher.admin.end")
    ).scalars()
    assert list(ended) == [first]
    session.commit()


def test_授权_a_transfer_to_another_school_ends_the_grant(
    world: World, make_ctx: Any, session: Session
) -> None:
    m = world.staff[0]
    token = login_teacher(make_ctx, m.learner_no, m.first_password)
    teachers.grant_school_admin(make_ctx(world.admin), m.learner_no)
    request = transfers.request_transfer(
        make_ctx(world.other_admin), learner_no=m.learner_no, to_school="4401040002"
    )
    transfers.approve_transfer(make_ctx(world.district), request.id)
    assert grants(session) == 0
    actor = make_ctx(credentials=token).actor
    assert not actor.has_role("school") and actor.school_id == world.school_b


def test_授权_a_granted_teacher_reviews_its_schools_special_training_applications(
    world: World, make_ctx: Any, session: Session
) -> None:
    make_period(session)
    make_course(session, "2601", "ZX01", level="专项培训")
    session.commit()
    m = world.staff[0]
    token = login_teacher(make_ctx, m.learner_no, m.first_password)
    teachers.grant_school_admin(make_ctx(world.admin), m.learner_no)
    app = special_training.apply_for_training(
        make_ctx(credentials=token), course="ZX01", teacher=world.staff[1].learner_no
    )
    reviewed = special_training.review_application(
        make_ctx(credentials=token), app.id, approve=True
    )
    assert reviewed.state == "待区审核"


def test_授权_a_roster_import_that_sets_离职_ends_the_grants(
    world: World, make_ctx: Any, session: Session, tmp_path: Path
) -> None:
    principal, granted = world.staff[0], world.staff[1]
    teachers.grant_principal(make_ctx(world.admin), principal.learner_no)
    teachers.grant_school_admin(make_ctx(world.admin), granted.learner_no)
    row = {
        "学校代码": "4401040001",
        "手机号": "13700137000",
        "任教学段": "小学",
        "任教学科": "语文",
    }
    rows = [
        [
            {**row, "姓名": m.name, "身份证号": m.id_number, "在岗状态": "离职"}.get(h)
            for h in TEACHER_HEADERS
        ]
        for m in (principal, granted)
    ]
    path = make_xlsx(tmp_path / "roster.xlsx", [list(TEACHER_HEADERS), *rows])
    report = run_file_import(
        make_ctx(world.admin),
        path,
        teacher_columns(NOW.date()),
        teachers.import_teachers,
        options=ImportOptions(),
        upsert=True,
    ).report
    assert report.ok and report.updated == 2
    left = session.execute(select(func.count()).select_from(Principal)).scalar_one()
    session.commit()
    assert (left, grants(session)) == (0, 0)

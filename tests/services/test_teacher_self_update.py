"""我的（个人中心） and 信息审核 (seed; SPEC §6 Teacher), on SQLite and PostgreSQL: "教师能够通过
编辑的方式核对和修改手机号码、邮箱、通讯地址等信息"; 任教学段/任教学科 (选课指引 §2: "必须填写准确
… 提交审核") and 职称 go through the school's review; 姓名 and 身份证号 only after 重新更新."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from jjadmin.errors import Conflict, InvalidValue, PermissionDenied
from jjadmin.models import Account, AuditLog, Teacher, TeacherChange
from jjadmin.services import teachers
from jjadmin.services.context import Actor
from tests.factories import id_number, login_teacher, make_account, make_school, make_teacher


@dataclass
class World:
    admin: Actor
    learner_no: str
    teacher_id: int
    mobile: str
    token: str


@pytest.fixture
def world(session: Session, make_ctx: Any) -> World:
    school = make_school(session, "4401040001", "440104")
    admin = make_account(session, "school", school=school)
    ident = id_number(seq=4242)
    t = make_teacher(session, school, id_number=ident, stage="小学", subject="语文")
    learner_no, teacher_id, mobile = t.learner_no, t.id or 0, t.mobile
    session.commit()
    token = login_teacher(make_ctx, learner_no, ident[-6:])
    return World(admin, learner_no, teacher_id, mobile, token)


def stored(session: Session, learner_no: str) -> Teacher:
    session.commit()  # forget what the session loaded before the service ran
    t = session.execute(select(Teacher).where(Teacher.learner_no == learner_no)).scalar_one()
    session.expunge(t)
    session.commit()
    return t


def test_我的个人中心_mobile_email_and_address_change_at_once_and_are_audited(
    world: World, make_ctx: Any, session: Session
) -> None:
    r = teachers.update_my_info(
        make_ctx(credentials=world.token),
        mobile="+86 135-0013-5000",
        email="li@example.cn",
        address="越秀区中山一路 1 号",
    )
    assert (r.applied, r.submitted, r.round, r.review_state) == (
        ["address", "email", "mobile"],
        [],
        None,
        "normal",
    )
    t = stored(session, world.learner_no)
    assert (t.mobile, t.email, t.address) == ("13500135000", "li@example.cn", "越秀区中山一路 1 号")
    bound = session.execute(
        select(Account.mobile).where(Account.teacher_id == world.teacher_id)
    ).scalar_one()
    audit = session.execute(
        select(AuditLog).where(AuditLog.action == "teacher.update.self")
    ).scalar_one()
    session.commit()
    assert bound == "13500135000"  # the bound mobile for SMS follows
    assert audit.actor == world.learner_no
    assert audit.after is not None and audit.after["mobile"] == "135****5000"  # masked


def test_我的个人中心_an_unchanged_value_changes_nothing(
    world: World, make_ctx: Any, session: Session
) -> None:
    r = teachers.update_my_info(make_ctx(credentials=world.token), mobile=world.mobile)
    assert (r.applied, r.submitted) == ([], [])
    assert stored(session, world.learner_no).version == 1


def test_能力提升工程选课指引_stage_and_subject_are_submitted_for_the_schools_review(
    world: World, make_ctx: Any, session: Session
) -> None:
    r = teachers.update_my_info(
        make_ctx(credentials=world.token), stage="初中", subject="数学", title="一级教师"
    )
    assert (r.applied, r.submitted, r.round, r.review_state) == (
        [],
        ["stage", "subject", "title"],
        1,
        "submitted",
    )
    assert stored(session, world.learner_no).stage == "小学"  # not yet
    teachers.review_change(make_ctx(world.admin), world.learner_no, approve=True)
    t = stored(session, world.learner_no)
    assert (t.stage, t.subject, t.title, t.review_state) == ("初中", "数学", "一级教师", "normal")


def test_信息审核_a_direct_edit_and_a_submission_in_one_update(
    world: World, make_ctx: Any, session: Session
) -> None:
    r = teachers.update_my_info(make_ctx(credentials=world.token), email="a@b.cn", stage="初中")
    assert (r.applied, r.submitted) == (["email"], ["stage"])
    t = stored(session, world.learner_no)
    assert (t.email, t.stage, t.review_state) == ("a@b.cn", "小学", "submitted")


def test_信息审核_a_refused_submission_leaves_the_direct_fields_unchanged(
    world: World, make_ctx: Any, session: Session
) -> None:
    ctx = make_ctx(credentials=world.token)
    teachers.update_my_info(ctx, stage="初中")
    with pytest.raises(Conflict, match="已提交未审核"):
        teachers.update_my_info(make_ctx(credentials=world.token), email="x@y.cn", subject="数学")
    assert stored(session, world.learner_no).email is None


def test_信息审核_stage_and_subject_come_from_the_value_lists(world: World, make_ctx: Any) -> None:
    with pytest.raises(InvalidValue, match="任教学段"):
        teachers.update_my_info(make_ctx(credentials=world.token), stage="大学")
    with pytest.raises(InvalidValue, match="任教学科"):
        teachers.update_my_info(make_ctx(credentials=world.token), subject="魔法")


def test_学员身份证信息修改_name_and_id_number_only_after_reopen(
    world: World, make_ctx: Any, session: Session
) -> None:
    new = id_number(seq=4343)
    with pytest.raises(Conflict, match="重新更新"):
        teachers.update_my_info(make_ctx(credentials=world.token), id_number=new)
    teachers.reopen_teacher(make_ctx(world.admin), world.learner_no)
    r = teachers.update_my_info(
        make_ctx(credentials=world.token), id_number=new, mobile="13500135000"
    )
    assert (r.applied, r.submitted, r.round) == (["mobile"], ["id_number"], 1)
    teachers.review_change(make_ctx(world.admin), world.learner_no, approve=True)
    assert stored(session, world.learner_no).id_number == new


def test_信息审核_a_field_waiting_in_a_submitted_change_is_not_edited_around_it(
    world: World, make_ctx: Any, session: Session
) -> None:
    teachers.submit_change(make_ctx(world.admin), world.learner_no, mobile="13600136000")
    with pytest.raises(Conflict, match="手机号有已提交未审核的修改"):
        teachers.update_my_info(make_ctx(credentials=world.token), mobile="13500135000")
    teachers.update_my_info(make_ctx(credentials=world.token), email="ok@b.cn")
    rounds = list(session.execute(select(TeacherChange.changes)).scalars())
    session.commit()
    assert rounds == [{"mobile": "13600136000"}]


def test_我的个人中心_is_for_teachers_only(world: World, make_ctx: Any) -> None:
    with pytest.raises(PermissionDenied):
        teachers.update_my_info(make_ctx(world.admin), mobile="13500135000")

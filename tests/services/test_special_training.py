"""专项培训 (seed 学员平台 · 专项培训课程; SPEC §6 Special training), on SQLite and PostgreSQL:
"在网上报名，经过学员所在学校的校长\\各区行政管理员以及承担项目的培训机构审核通过后，即可获得
培训资格" — and never selected directly."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jjadmin.errors import (
    Conflict,
    InputRejected,
    NotFound,
    PermissionDenied,
    UsageError,
)
from jjadmin.models import (
    AuditLog,
    Course,
    Enrollment,
    SpecialTrainingApplication,
    SpecialTrainingReview,
    SpecialUser,
    Teacher,
)
from jjadmin.services import enrollment, special_training
from jjadmin.services.context import Actor
from jjadmin.services.enrollment import CapacityExceeded
from jjadmin.services.imports import ImportOptions
from jjadmin.services.results import FileMeta
from jjadmin.services.special_training import ApplicationFilter
from tests.factories import NOW, make_account, make_school, make_teacher
from tests.helpers_courses import make_course, make_period

CENTRE = "广州市教师继续教育指导中心"
COLLEGE = "华南师大教师培训学院"
AFTER_WINDOW = datetime.fromisoformat("2026-06-20T10:00:00+08:00")


@dataclass
class World:
    city: Actor
    yuexiu: Actor  # district 440104
    haizhu: Actor  # district 440105
    school: Actor  # school A (440104)
    other_school: Actor  # school C (440105)
    centre: Actor  # charges for ZX01 (收费单位)
    college: Actor  # declared ZX01 (申报单位)
    stranger: Actor  # another institution
    t1: Teacher  # school A
    t2: Teacher  # school A
    far: Teacher  # school C
    me: Actor  # t1 logged in
    principal: Actor  # t2, principal of school A


def teacher_actor(t: Teacher, **over: Any) -> Actor:
    return Actor(
        None, t.learner_no, "teacher", t.name, school_id=t.school_id, teacher_id=t.id, **over
    )


@pytest.fixture
def world(session: Session) -> World:
    a = make_school(session, "4401040001", "440104")
    c = make_school(session, "4401050001", "440105")
    t1, t2 = make_teacher(session, a), make_teacher(session, a)
    far = make_teacher(session, c)
    p = make_period(session)
    make_course(session, p, "ZX01", level="专项培训", capacity=1, charging_unit=CENTRE)
    session.execute(
        Course.__table__.update().where(Course.code == "ZX01").values(declarer=COLLEGE)  # type: ignore[attr-defined]
    )
    make_course(session, p, "ZX02", level="专项培训", charging_unit=CENTRE)
    make_course(session, p, "ZXOFF", level="专项培训", status="下线", charging_unit=CENTRE)
    make_course(session, p, "C001")
    w = World(
        city=make_account(session, "city"),
        yuexiu=make_account(session, "district", district="440104"),
        haizhu=make_account(session, "district", district="440105"),
        school=make_account(session, "school", school=a),
        other_school=make_account(session, "school", school=c),
        centre=make_account(session, "institution", institution=CENTRE),
        college=make_account(session, "institution", institution=COLLEGE),
        stranger=make_account(session, "institution", institution="某培训机构"),
        t1=t1,
        t2=t2,
        far=far,
        me=teacher_actor(t1),
        principal=teacher_actor(t2, principal_school_id=a.id, admin_grant="principal"),
    )
    session.commit()
    return w


def apply(ctx: Any, course: str = "ZX01", **kw: Any) -> int:
    return special_training.apply_for_training(ctx, course=course, **kw).id


def review(ctx: Any, app_id: int, approve: bool = True, reason: str | None = None) -> Any:
    return special_training.review_application(ctx, app_id, approve=approve, reason=reason)


def count(session: Session, stmt: Any) -> int:
    n = int(session.execute(stmt).scalar_one())
    session.commit()
    return n


def active_in(session: Session, code: str) -> int:
    return count(
        session,
        select(func.count())
        .select_from(Enrollment)
        .join(Course, Course.id == Enrollment.course_id)
        .where(Course.code == code, Enrollment.state == "active"),
    )


# --- the three approvals ------------------------------------------------------------------------


def test_专项培训_an_application_passes_school_district_and_institution_and_enrolls_the_teacher(
    world: World, make_ctx: Any, session: Session
) -> None:
    view = special_training.apply_for_training(make_ctx(world.me), course="ZX01", note="符合条件")
    assert (view.state, view.learner_no, view.course_code, view.note) == (
        "待学校审核",
        world.t1.learner_no,
        "ZX01",
        "符合条件",
    )
    assert review(make_ctx(world.school), view.id).state == "待区审核"
    assert review(make_ctx(world.yuexiu), view.id).state == "待机构审核"
    assert active_in(session, "ZX01") == 0  # qualified only on the last approval
    done = review(make_ctx(world.centre), view.id)
    assert done.state == "已通过" and done.decided_at == NOW
    assert [(r.stage, r.decision) for r in done.reviews] == [
        ("school", "通过"),
        ("district", "通过"),
        ("institution", "通过"),
    ]
    assert [r.reviewer for r in done.reviews] == [
        world.school.username,
        world.yuexiu.username,
        world.centre.username,
    ]
    assert active_in(session, "ZX01") == 1
    source = session.execute(select(Enrollment.source)).scalar_one()
    seats = session.execute(select(Course.enrolled).where(Course.code == "ZX01")).scalar_one()
    session.commit()
    assert (source, seats) == ("special", 1)
    actions = list(session.execute(select(AuditLog.action).order_by(AuditLog.id)).scalars())
    session.commit()
    assert actions.count("special_training.review") == 3
    assert "special_training.apply" in actions and "enroll.special" in actions


def test_专项培训_a_rejection_at_the_second_stage_ends_the_application_with_its_reason(
    world: World, make_ctx: Any, session: Session
) -> None:
    app_id = apply(make_ctx(world.me))
    review(make_ctx(world.school), app_id)
    done = review(make_ctx(world.yuexiu), app_id, approve=False, reason="不符合参训条件")
    assert (done.state, done.reason) == ("未通过", "不符合参训条件")
    assert done.reviews[-1].decision == "未通过" and done.reviews[-1].stage == "district"
    with pytest.raises(Conflict, match="已审核完毕（未通过）"):
        review(make_ctx(world.centre), app_id)
    assert active_in(session, "ZX01") == 0
    audit = session.execute(
        select(AuditLog.after).where(AuditLog.action == "special_training.review")
    ).scalars()
    reasons = [a["reason"] for a in audit]
    session.commit()
    assert reasons == [None, "不符合参训条件"]


def test_专项培训_a_rejection_needs_a_reason(world: World, make_ctx: Any) -> None:
    app_id = apply(make_ctx(world.me))
    with pytest.raises(UsageError, match="原因"):
        review(make_ctx(world.school), app_id, approve=False, reason="  ")


def test_专项培训_reviewing_out_of_order_or_twice_is_a_conflict(
    world: World, make_ctx: Any
) -> None:
    app_id = apply(make_ctx(world.me))
    with pytest.raises(Conflict, match="区审核须在学校审核通过之后"):
        review(make_ctx(world.yuexiu), app_id)
    with pytest.raises(Conflict, match="机构审核须在学校审核通过之后"):
        review(make_ctx(world.centre), app_id)
    review(make_ctx(world.school), app_id)
    with pytest.raises(Conflict, match="学校审核已完成"):
        review(make_ctx(world.school), app_id)
    with pytest.raises(Conflict, match="机构审核须在区审核通过之后"):
        review(make_ctx(world.centre), app_id)


def test_专项培训_each_stage_is_reviewed_only_inside_its_scope(world: World, make_ctx: Any) -> None:
    app_id = apply(make_ctx(world.me))
    for outsider in (world.other_school, world.city, world.me):
        with pytest.raises(PermissionDenied):
            review(make_ctx(outsider), app_id)
    review(make_ctx(world.school), app_id)
    with pytest.raises(PermissionDenied, match="无权访问"):
        review(make_ctx(world.haizhu), app_id)
    review(make_ctx(world.yuexiu), app_id)
    with pytest.raises(PermissionDenied, match="无权访问"):
        review(make_ctx(world.stranger), app_id)
    with pytest.raises(NotFound):
        review(make_ctx(world.school), app_id + 100)


def test_专项培训_the_principal_reviews_for_the_school_and_the_declaring_institution_may_decide(
    world: World, make_ctx: Any
) -> None:
    app_id = apply(make_ctx(world.me))
    assert review(make_ctx(world.principal), app_id).state == "待区审核"
    review(make_ctx(world.yuexiu), app_id)
    assert review(make_ctx(world.college), app_id).state == "已通过"


def test_专项培训_nobody_reviews_their_own_application(world: World, make_ctx: Any) -> None:
    app_id = apply(make_ctx(world.principal))
    with pytest.raises(PermissionDenied, match="本人"):
        review(make_ctx(world.principal), app_id)
    assert review(make_ctx(world.school), app_id).state == "待区审核"


def test_专项培训_capacity_is_checked_on_the_last_approval(
    world: World, make_ctx: Any, session: Session
) -> None:
    first, second = (
        apply(make_ctx(world.me)),
        apply(make_ctx(world.school), teacher=world.t2.learner_no),
    )
    for app_id in (first, second):
        review(make_ctx(world.school), app_id)
        review(make_ctx(world.yuexiu), app_id)
    review(make_ctx(world.centre), first)
    with pytest.raises(CapacityExceeded, match="名额已满"):
        review(make_ctx(world.centre), second)
    view = special_training.show_application(make_ctx(world.school), second)
    assert view.state == "待机构审核" and len(view.reviews) == 2
    assert (
        review(make_ctx(world.centre), second, approve=False, reason="名额已满").state == "未通过"
    )
    assert active_in(session, "ZX01") == 1


def test_专项培训_the_last_approval_needs_a_teacher_still_in_post(
    world: World, make_ctx: Any, session: Session
) -> None:
    app_id = apply(make_ctx(world.me))
    review(make_ctx(world.school), app_id)
    review(make_ctx(world.yuexiu), app_id)
    teacher = session.get(Teacher, world.t1.id)
    assert teacher is not None
    teacher.status = "离职"
    session.commit()
    with pytest.raises(Conflict, match="离职"):
        review(make_ctx(world.centre), app_id)


# --- applying -----------------------------------------------------------------------------------


def test_专项培训_a_school_admin_applies_for_its_teacher_and_only_for_its_own(
    world: World, make_ctx: Any
) -> None:
    view = special_training.apply_for_training(
        make_ctx(world.school), course="ZX02", teacher=world.t2.learner_no
    )
    assert view.learner_no == world.t2.learner_no and view.applied_by == world.school.username
    with pytest.raises(PermissionDenied):
        apply(make_ctx(world.school), teacher=world.far.learner_no)
    with pytest.raises(UsageError, match="--teacher"):
        apply(make_ctx(world.school))
    with pytest.raises(PermissionDenied, match="本人"):
        apply(make_ctx(world.me), teacher=world.t2.learner_no)
    with pytest.raises(PermissionDenied):
        apply(make_ctx(world.yuexiu), teacher=world.t1.learner_no)


def test_专项培训_only_online_special_projects_take_applications(
    world: World, make_ctx: Any
) -> None:
    with pytest.raises(Conflict, match="不是专项培训项目"):
        apply(make_ctx(world.me), course="C001")
    with pytest.raises(Conflict, match="未上线"):
        apply(make_ctx(world.me), course="ZXOFF")
    with pytest.raises(NotFound):
        apply(make_ctx(world.me), course="NOPE")


def test_专项培训_a_project_of_several_periods_needs_the_period(
    world: World, make_ctx: Any, session: Session
) -> None:
    make_period(session, "2602")
    make_course(session, "2602", "ZX02", level="专项培训", charging_unit=CENTRE)
    session.commit()
    with pytest.raises(InputRejected, match="--period|请指定期数"):
        apply(make_ctx(world.me), course="ZX02")
    view = special_training.apply_for_training(make_ctx(world.me), course="ZX02", period="2602")
    assert view.period == "2602"


def test_专项培训_one_live_application_per_teacher_and_project_and_a_new_one_after_未通过(
    world: World, make_ctx: Any
) -> None:
    first = apply(make_ctx(world.me))
    with pytest.raises(Conflict, match="已申报"):
        apply(make_ctx(world.me))
    review(make_ctx(world.school), first, approve=False, reason="材料不全")
    again = apply(make_ctx(world.me))
    assert again != first


def test_专项培训_teachers_not_in_post_or_special_users_cannot_apply(
    world: World, make_ctx: Any, session: Session
) -> None:
    session.add(SpecialUser(teacher_id=world.t2.id, period="2601", flagged_at=NOW))
    far = session.get(Teacher, world.far.id)
    assert far is not None
    far.status = "退休"
    session.commit()
    with pytest.raises(Conflict, match="特殊用户"):
        apply(make_ctx(world.school), teacher=world.t2.learner_no)
    with pytest.raises(Conflict, match="退休"):
        apply(make_ctx(world.other_school), teacher=world.far.learner_no)


def test_专项培训_applying_is_not_bound_to_the_selection_window(
    world: World, make_ctx: Any
) -> None:
    app_id = apply(make_ctx(world.me, now=AFTER_WINDOW))
    for reviewer in (world.school, world.yuexiu, world.centre):
        review(make_ctx(reviewer, now=AFTER_WINDOW), app_id)
    assert special_training.show_application(make_ctx(world.me), app_id).state == "已通过"


# --- never selected directly --------------------------------------------------------------------


def test_专项培训_is_never_enrolled_collectively_by_import_or_by_the_teacher(
    world: World, make_ctx: Any, session: Session
) -> None:
    with pytest.raises(Conflict, match="专项培训") as by_course:
        enrollment.add_enrollments(
            make_ctx(world.school),
            period="2601",
            course="ZX02",
            learners=[(1, world.t1.learner_no)],
        )
    assert by_course.value.hint is not None and "special-training apply" in by_course.value.hint
    with pytest.raises(Conflict, match="专项培训"):
        enrollment.add_enrollments(
            make_ctx(world.city),
            period="2601",
            teacher=world.t1.learner_no,
            courses=[(1, "C001"), (2, "ZX02")],
            force=True,
        )
    with pytest.raises(Conflict, match="专项培训"):
        enrollment.import_enrollments(
            make_ctx(world.school),
            period="2601",
            rows=[
                enrollment.EnrollRow(2, {"learner_no": world.t1.learner_no, "course_code": "ZX02"})
            ],
            pre_issues=[],
            file=FileMeta("选课.xlsx", "0" * 64),
            options=ImportOptions(),
        )
    with pytest.raises(Conflict, match="专项培训") as by_self:
        enrollment.enroll_self(make_ctx(world.me), course_codes=["ZX02"])
    assert by_self.value.hint is not None and "me apply" in by_self.value.hint
    assert active_in(session, "ZX02") == active_in(session, "C001") == 0


# --- lists --------------------------------------------------------------------------------------


def test_专项培训_the_list_shows_each_unit_its_applications_by_stage(
    world: World, make_ctx: Any
) -> None:
    mine = apply(make_ctx(world.me))
    theirs = apply(make_ctx(world.other_school), course="ZX02", teacher=world.far.learner_no)
    review(make_ctx(world.school), mine)

    def ids(actor: Actor, **f: Any) -> list[int]:
        rows, total = special_training.list_applications(
            make_ctx(actor), filters=ApplicationFilter(**f)
        )
        assert total == len(rows)
        return [r.id for r in rows]

    assert ids(world.city) == [mine, theirs]
    assert ids(world.school) == [mine] and ids(world.principal) == [mine]
    assert ids(world.yuexiu) == [mine] and ids(world.haizhu) == [theirs]
    assert ids(world.centre) == [mine, theirs]  # it charges for both projects
    assert ids(world.college) == [mine] and ids(world.stranger) == []
    assert ids(world.me) == [mine]
    assert ids(world.city, state="待区审核") == [mine]
    assert ids(world.city, state="待学校审核") == [theirs]
    assert ids(world.city, course="ZX02", school="4401050001") == [theirs]
    with pytest.raises(PermissionDenied):
        ids(world.school, school="4401050001")
    with pytest.raises(InputRejected, match="申请状态"):
        ids(world.city, state="pending")


def test_专项培训_show_keeps_each_decision_and_hides_other_units_applications(
    world: World, make_ctx: Any, session: Session
) -> None:
    app_id = apply(make_ctx(world.me))
    review(make_ctx(world.school), app_id, approve=False, reason="本学期工作安排冲突")
    view = special_training.show_application(make_ctx(world.me), app_id)
    assert view.reason == "本学期工作安排冲突"
    assert [(r.stage_label, r.decision, r.reviewer, r.reason) for r in view.reviews] == [
        ("学校审核", "未通过", world.school.username, "本学期工作安排冲突")
    ]
    with pytest.raises(PermissionDenied):
        special_training.show_application(make_ctx(world.other_school), app_id)
    with pytest.raises(PermissionDenied):
        special_training.show_application(
            make_ctx(replace(world.me, teacher_id=world.far.id)), app_id
        )
    with pytest.raises(NotFound):
        special_training.show_application(make_ctx(world.city), app_id + 50)
    rows = session.execute(select(func.count()).select_from(SpecialTrainingReview)).scalar_one()
    state = session.execute(select(SpecialTrainingApplication.state)).scalar_one()
    session.commit()
    assert (rows, state) == (1, "未通过")

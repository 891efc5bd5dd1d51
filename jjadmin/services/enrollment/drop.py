"""删除选课 (`enroll drop`): who may drop when, the seat released."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from jjadmin.errors import Conflict, NotFound, PermissionDenied
from jjadmin.models import AbilitySelection, Course, Enrollment, Period, School, Teacher
from jjadmin.rules.codes import normalize_course_code, normalize_learner_no, parse_period_code
from jjadmin.rules.enums import TrainingLevel
from jjadmin.rules.windows import (
    declaration_deadline,
    in_selection_window,
    school_based_enrollment_open,
)
from jjadmin.services import audit
from jjadmin.services.billing.bills import refresh_open_bills
from jjadmin.services.billing.common import lock_period
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.enrollment.common import (
    ACTIVE,
    COURSE_T,
    DROPPED,
    SelectionWindowClosed,
    _day,
    _scope_hint,
    _Teacher,
    _teacher_in_scope,
    _window_text,
)
from jjadmin.services.enrollment.gate import SCHOOL_BASED_BY_SCHOOL, SchoolBasedClosed
from jjadmin.services.scope import OUT_OF_SCOPE


@dataclass(frozen=True)
class DropResult:
    period: str
    learner_no: str
    name: str
    course_code: str
    course_name: str
    state: str
    dropped_at: datetime


def _find_enrollment(
    session: Session, period: str, learner_no: str, course_code: str
) -> tuple[Enrollment, Course, Teacher, str]:
    """The active enrollment (locked) with its course, teacher and the teacher's district.

    Raises NotFound (4), Conflict (5, already dropped or voided).
    """
    row = session.execute(
        select(Teacher, col(School.district_code))
        .join(School, col(School.id) == col(Teacher.school_id))
        .where(col(Teacher.learner_no) == learner_no)
    ).one_or_none()
    if row is None:
        raise NotFound(f"学号不存在：{learner_no}")
    teacher, district = row
    # the course first, then the enrollment: the lock order of enrolling (no deadlock)
    course = session.execute(
        select(Course)
        .where(col(Course.period) == period, col(Course.code) == course_code)
        .with_for_update()
    ).scalar_one_or_none()
    if course is None:
        raise NotFound(f"课程不存在：{period} 期 {course_code}")
    enrollment = session.execute(
        select(Enrollment)
        .where(
            col(Enrollment.teacher_id) == teacher.id,
            col(Enrollment.course_id) == course.id,
            col(Enrollment.state) == ACTIVE,
        )
        .with_for_update()
    ).scalar_one_or_none()
    if enrollment is None:
        past = session.execute(
            select(func.count()).where(
                col(Enrollment.teacher_id) == teacher.id, col(Enrollment.course_id) == course.id
            )
        ).scalar_one()
        if past:
            raise Conflict(f"学号 {learner_no} 在 {period} 期课程 {course_code} 的选课已删除")
        raise NotFound(f"学号 {learner_no} 没有选 {period} 期课程 {course_code}")
    return enrollment, course, teacher, str(district)


def _may_drop(ctx: ServiceContext, actor: Actor, p: Period, course: Course, t: _Teacher) -> None:
    """Inside the window: the teacher, a school or district in scope, the city, the course's
    institution; afterwards only the course's institution, the district for its own 区级
    courses (seed: 区级选课未缴费记录向教师所在区（县）教师培训机构管理员申请删除记录), or the city.
    A 校本 course is the school's to enroll and drop (a school or district in scope) until
    12-31 of its year, window or not; never the teacher's.

    Raises PermissionDenied (3), SelectionWindowClosed (5), Conflict (5: a teacher's 校本
    enrollment), SchoolBasedClosed (5: a 校本 course after its year).
    """
    own_course = actor.role == "institution" and actor.institution == course.charging_unit
    if actor.role == "city" or own_course:
        return
    if actor.role == "institution":
        raise PermissionDenied(
            "培训机构只能删除本机构（收费单位）课程的选课", hint="请联系该课程的收费单位"
        )
    own_district_course = (
        actor.role == "district"
        and course.level == TrainingLevel.DISTRICT.value
        and course.district_code == actor.district_code
    )
    if own_district_course:
        return
    if not _teacher_in_scope(actor, t):
        raise PermissionDenied(OUT_OF_SCOPE, hint=_scope_hint(actor))
    if course.level == TrainingLevel.SCHOOL_BASED:
        _may_drop_school_based(ctx, actor, course)
        return
    if not in_selection_window(p, ctx.now):
        who = f"该课程的培训机构（收费单位：{course.charging_unit}）"
        if course.level == TrainingLevel.DISTRICT.value:
            who += "、课程所在区的区级培训管理员"
        raise SelectionWindowClosed(
            f"不在选课时间内（{_window_text(p)}），不能再删除选课",
            hint=f"选课时间外只能由{who}或市级培训中心删除",
        )


def _may_drop_school_based(ctx: ServiceContext, actor: Actor, course: Course) -> None:
    if not actor.has_role("school", "district"):
        raise Conflict(
            f"课程 {course.code} 是校本培训课程：{SCHOOL_BASED_BY_SCHOOL}，也不能自行取消",
            hint="请联系本校继续教育管理员",
        )
    if not school_based_enrollment_open(course.period, ctx.now):
        raise SchoolBasedClosed(
            f"校本培训课程 {course.code} 的选课只能在 {_day(declaration_deadline(course.period))}"
            "（课程所属年度）前删除",
            hint="课程所属年度结束后只能由市级培训中心删除",
        )


def _ability_drop(session: Session, ctx: ServiceContext, teacher: Teacher, course: Course) -> None:
    """A 提升工程 course: one of the three required courses matched to the teacher is never
    dropped (选课指引 5.(2)②: "除为学员匹配的3门必修课程不可修改外"); an elective's selection
    row follows the enrollment.

    Raises Conflict (5) for a required course.
    """
    selection = session.execute(
        select(AbilitySelection)
        .where(
            col(AbilitySelection.teacher_id) == teacher.id,
            col(AbilitySelection.course_id) == course.id,
            col(AbilitySelection.state) == ACTIVE,
        )
        .with_for_update()
    ).scalar_one_or_none()
    if selection is None:
        return
    if selection.required:
        raise Conflict(
            f"课程 {course.code} 是为学员 {teacher.learner_no} 匹配的提升工程{selection.category}"
            "课程（3 门必修课程之一），不能删除",
            hint="任意选修课程可在选课时间内修改：jjadmin ability confirm --electives …",
        )
    selection.state = DROPPED
    selection.updated_at = ctx.now


def _drop(
    ctx: ServiceContext, actor: Actor, *, period: str, learner_no: str, course_code: str
) -> DropResult:
    with ctx.transaction() as session:
        # the period's billing lock (shared): a close running now sees this drop or waits
        p = lock_period(session, period, exclusive=False)
        enrollment, course, teacher, district = _find_enrollment(
            session, p.code, learner_no, course_code
        )
        t = _Teacher(
            teacher.id or 0, teacher.learner_no, teacher.name, teacher.school_id, "", district
        )
        _may_drop(ctx, actor, p, course, t)
        if course.level == TrainingLevel.ABILITY_PROJECT.value:
            _ability_drop(session, ctx, teacher, course)
        if enrollment.paid:
            raise Conflict(f"学号 {learner_no} 的课程 {course_code} 已缴费，不能删除选课")
        enrollment.state = DROPPED
        enrollment.dropped_by = actor.account_id
        enrollment.dropped_at = ctx.now
        session.flush()
        refresh_open_bills(session, actor, ctx.now, p.code, {enrollment.school_id})
        course_t = COURSE_T.c
        session.execute(
            update(COURSE_T)
            .where(course_t.id == course.id, course_t.enrolled > 0)
            .values(enrolled=course_t.enrolled - 1)
        )
        audit.record(
            session,
            actor,
            ctx.now,
            "enroll.drop",
            "enrollment",
            f"{p.code}:{learner_no}:{course_code}",
            before={"state": ACTIVE},
            after={"state": DROPPED, "window_open": in_selection_window(p, ctx.now)},
        )
        return DropResult(
            p.code, learner_no, teacher.name, course.code, course.name, DROPPED, ctx.now
        )


def drop_enrollment(
    ctx: ServiceContext, *, period: str, learner_no: str, course_code: str
) -> DropResult:
    """删除选课 by an administrator; the seat is released.

    Raises InvalidValue (1), NotFound (4), PermissionDenied (3), SelectionWindowClosed (5,
    a school, or a district for another course than its own 区级, after the window), Conflict
    (5, paid or already dropped). An unpaid bill the enrollment was in is brought up to date.
    """
    actor = ctx.require("city", "district", "school", "institution", action="删除选课")
    return _drop(
        ctx,
        actor,
        period=parse_period_code(period),
        learner_no=normalize_learner_no(learner_no),
        course_code=normalize_course_code(course_code),
    )

"""Which courses an actor may see (SQL clauses and the one-course check), and a course by code."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlalchemy.orm import Session
from sqlmodel import col

from jjadmin.errors import NotFound, PermissionDenied
from jjadmin.models import Course, School, Teacher
from jjadmin.rules.codes import normalize_course_code, parse_period_code
from jjadmin.rules.courses import APPROVED, OPEN_LEVELS, course_visible_to_teacher
from jjadmin.services.context import Actor
from jjadmin.services.courses.common import DISTRICT_LEVEL, SCHOOL_LEVEL
from jjadmin.services.scope import OUT_OF_SCOPE


def teacher_course_clause(
    teacher_school_id: int | None, teacher_district: str | None
) -> ColumnElement[bool]:
    """SQL twin of rules.courses.course_visible_to_teacher: 全员/专项/提升工程 for everyone,
    区级 of the teacher's district, approved 校本 of the teacher's school."""
    parts: list[ColumnElement[bool]] = [col(Course.level).in_(OPEN_LEVELS)]
    if teacher_district is not None:
        parts.append(
            and_(col(Course.level) == DISTRICT_LEVEL, col(Course.district_code) == teacher_district)
        )
    if teacher_school_id is not None:
        parts.append(
            and_(
                col(Course.level) == SCHOOL_LEVEL,
                col(Course.school_id) == teacher_school_id,
                col(Course.approval) == APPROVED,
            )
        )
    return or_(*parts)


def _school_district(session: Session, school_id: int | None) -> str | None:
    if school_id is None:
        return None
    return session.execute(
        select(col(School.district_code)).where(col(School.id) == school_id)
    ).scalar_one_or_none()


def visible_course_clause(session: Session, actor: Actor) -> ColumnElement[bool]:
    """Courses an actor may see: city/system/institution all; a district the open levels plus
    its 区级 and its schools' 校本 (any approval); a school admin the open levels plus its
    district's 区级 and its own 校本 (any approval); a teacher what the teacher rule allows."""
    if actor.role in ("city", "system", "institution"):
        return true()
    if actor.role == "district":
        if actor.district_code is None:
            return false()
        schools = select(col(School.id)).where(col(School.district_code) == actor.district_code)
        return or_(
            col(Course.level).in_(OPEN_LEVELS),
            and_(
                col(Course.level) == DISTRICT_LEVEL,
                col(Course.district_code) == actor.district_code,
            ),
            and_(col(Course.level) == SCHOOL_LEVEL, col(Course.school_id).in_(schools)),
        )
    school_id = actor.acting_school_id
    if school_id is not None:
        district = _school_district(session, school_id)
        return or_(
            col(Course.level).in_(OPEN_LEVELS),
            and_(col(Course.level) == DISTRICT_LEVEL, col(Course.district_code) == district),
            and_(col(Course.level) == SCHOOL_LEVEL, col(Course.school_id) == school_id),
        )
    if actor.role == "teacher" and actor.teacher_id is not None:
        teacher_school = session.execute(
            select(col(Teacher.school_id)).where(col(Teacher.id) == actor.teacher_id)
        ).scalar_one_or_none()
        return teacher_course_clause(teacher_school, _school_district(session, teacher_school))
    return false()


def _visible(session: Session, actor: Actor, course: Course) -> bool:
    if actor.role in ("city", "system", "institution"):
        return True
    if course.level in OPEN_LEVELS:
        return True
    if actor.role == "district":
        if course.level == DISTRICT_LEVEL:
            return course.district_code == actor.district_code
        return _school_district(session, course.school_id) == actor.district_code
    school_id = actor.acting_school_id
    if school_id is not None:
        if course.level == SCHOOL_LEVEL:
            return course.school_id == school_id
        return course.district_code == _school_district(session, school_id)
    if actor.role == "teacher" and actor.teacher_id is not None:
        teacher_school = session.execute(
            select(col(Teacher.school_id)).where(col(Teacher.id) == actor.teacher_id)
        ).scalar_one_or_none()
        return course_visible_to_teacher(
            course, teacher_school, _school_district(session, teacher_school)
        )
    return False


def get_course(session: Session, period: str, code: str, *, for_update: bool = False) -> Course:
    """The course `code` of `period` (no scope check; see get_visible_course).

    Raises InvalidValue (1, malformed period or code), NotFound (4).
    """
    period = parse_period_code(period)
    code = normalize_course_code(code)
    stmt = select(Course).where(col(Course.period) == period, col(Course.code) == code)
    if for_update:
        stmt = stmt.with_for_update()
    course = session.execute(stmt).scalar_one_or_none()
    if course is None:
        raise NotFound(
            f"课程不存在：{period} 期 {code}",
            hint=f"jjadmin course list --period {period} 查看本期课程",
        )
    return course


def get_visible_course(
    session: Session, actor: Actor, period: str, code: str, *, for_update: bool = False
) -> Course:
    """The course if the actor may see it.

    Raises InvalidValue (1), NotFound (4), PermissionDenied (3, another district's or
    school's course; nothing about it leaks).
    """
    course = get_course(session, period, code, for_update=for_update)
    if not _visible(session, actor, course):
        raise PermissionDenied(OUT_OF_SCOPE, hint="只能查看本单位可见的课程")
    return course

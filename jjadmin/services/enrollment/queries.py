"""选课查询 (`enroll list`, `--out`): enrollments of a period in the actor's scope."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlmodel import col

from jjadmin.errors import InvalidValue
from jjadmin.models import Course, Enrollment, School, Teacher
from jjadmin.rules.codes import normalize_course_code, normalize_learner_no
from jjadmin.rules.enums import EnrollmentState
from jjadmin.rules.money import format_hours, format_money
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.enrollment.common import READ_ROLES
from jjadmin.services.period_lookup import get_period
from jjadmin.services.scope import school_clause
from jjadmin.services.verification import require_verified


@dataclass(frozen=True)
class EnrollmentFilter:
    school: str | None = None
    course: str | None = None
    teacher: str | None = None
    state: str | None = None
    paid: bool | None = None


@dataclass(frozen=True)
class EnrollmentView:
    period: str
    learner_no: str
    name: str
    school_code: str
    school_name: str
    district_code: str
    subject: str
    course_code: str
    course_name: str
    training_level: str
    attribute: str | None
    hour_type: str
    hours: str
    fee: str
    material_fee: str
    amount: str
    charging_unit: str
    state: str
    paid: bool
    source: str
    created_at: datetime
    dropped_at: datetime | None


def _enrollment_scope(actor: Actor) -> ColumnElement[bool]:
    if actor.role == "institution":
        return col(Course.charging_unit) == (actor.institution or "")
    if actor.role == "teacher" and actor.principal_school_id is None:
        return col(Enrollment.teacher_id) == (actor.teacher_id or -1)
    return school_clause(actor)


def _check_filter(f: EnrollmentFilter) -> EnrollmentFilter:
    states = [s.value for s in EnrollmentState]
    state = f.state.strip() if f.state else None
    if state is not None and state not in states:
        raise InvalidValue(f"选课状态“{state}”无效，应为 {'、'.join(states)}")
    return EnrollmentFilter(
        school=f.school.strip() if f.school else None,
        course=normalize_course_code(f.course) if f.course else None,
        teacher=normalize_learner_no(f.teacher) if f.teacher else None,
        state=state,
        paid=f.paid,
    )


def _list_stmt(actor: Actor, period: str, f: EnrollmentFilter) -> Any:
    stmt = (
        select(
            col(Enrollment.period),
            col(Teacher.learner_no),
            col(Teacher.name),
            col(School.code),
            col(School.name),
            col(School.district_code),
            col(Teacher.subject),
            col(Course.code),
            col(Course.name),
            col(Course.level),
            col(Course.attribute),
            col(Course.hour_type),
            col(Course.hours),
            col(Course.fee),
            col(Course.material_fee),
            col(Course.charging_unit),
            col(Enrollment.state),
            col(Enrollment.paid),
            col(Enrollment.source),
            col(Enrollment.created_at),
            col(Enrollment.dropped_at),
        )
        .select_from(Enrollment)
        .join(Teacher, col(Teacher.id) == col(Enrollment.teacher_id))
        .join(School, col(School.id) == col(Enrollment.school_id))
        .join(Course, col(Course.id) == col(Enrollment.course_id))
        .where(col(Enrollment.period) == period, _enrollment_scope(actor))
    )
    if f.school:
        stmt = stmt.where(col(School.code) == f.school)
    if f.course:
        stmt = stmt.where(col(Course.code) == f.course)
    if f.teacher:
        stmt = stmt.where(col(Teacher.learner_no) == f.teacher)
    if f.state:
        stmt = stmt.where(col(Enrollment.state) == f.state)
    if f.paid is not None:
        stmt = stmt.where(col(Enrollment.paid) == f.paid)
    return stmt


def _view(r: Any) -> EnrollmentView:
    fee, material = int(r[13]), int(r[14])
    return EnrollmentView(
        r[0],
        r[1],
        r[2],
        r[3],
        r[4],
        r[5],
        r[6],
        r[7],
        r[8],
        r[9],
        r[10],
        r[11],
        format_hours(Decimal(r[12])),
        format_money(fee),
        format_money(material),
        format_money(fee + material),
        r[15],
        r[16],
        bool(r[17]),
        r[18],
        r[19],
        r[20],
    )


def list_enrollments(
    ctx: ServiceContext,
    *,
    period: str,
    filters: EnrollmentFilter | None = None,
    limit: int = 1000,
    offset: int = 0,
) -> tuple[list[EnrollmentView], int]:
    """选课查询: enrollments of a period in the actor's scope (school, district, the
    institution's courses, a teacher's own), by school, learner number and course.

    Raises InvalidValue (1), NotFound (4, no such period).
    """
    actor = ctx.require(*READ_ROLES, action="查看选课")
    f = _check_filter(filters or EnrollmentFilter())
    with ctx.reading() as session:
        p = get_period(session, period)
        stmt = _list_stmt(actor, p.code, f)
        total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
        page = session.execute(
            stmt.order_by(col(School.code), col(Teacher.learner_no), col(Course.code))
            .limit(limit)
            .offset(offset)
        ).all()
        return [_view(r) for r in page], int(total)


def export_enrollments(
    ctx: ServiceContext, *, period: str, filters: EnrollmentFilter | None = None
) -> Iterator[EnrollmentView]:
    """Every matching enrollment, streamed (for `enroll list --out`); needs SMS verification.

    Raises VerificationRequired (3), InvalidValue (1), NotFound (4).
    """
    actor = ctx.require(*READ_ROLES, action="导出选课")
    require_verified(ctx, "导出选课数据")
    f = _check_filter(filters or EnrollmentFilter())
    with ctx.reading() as session:
        code = get_period(session, period).code

    def rows() -> Iterator[EnrollmentView]:
        with ctx.reading() as session:
            stmt = _list_stmt(actor, code, f).order_by(
                col(School.code), col(Teacher.learner_no), col(Course.code)
            )
            for r in session.execute(stmt.execution_options(yield_per=2000)):
                yield _view(r)

    return rows()

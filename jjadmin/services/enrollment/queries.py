"""选课查询 (`enroll list`, `--out`): enrollments of a period in the actor's scope."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlmodel import col

from jjadmin.models import Course, Enrollment, School, Teacher
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.enrollment.listing import (
    READ_ROLES,
    EnrollmentFilter,
    EnrollmentView,
    check_filter,
    view,
)
from jjadmin.services.period_lookup import get_period
from jjadmin.services.scope import school_clause
from jjadmin.services.verification import require_verified


def _enrollment_scope(actor: Actor) -> ColumnElement[bool]:
    if actor.role == "institution":
        return col(Course.charging_unit) == (actor.institution or "")
    if actor.role == "teacher" and actor.principal_school_id is None:
        return col(Enrollment.teacher_id) == (actor.teacher_id or -1)
    return school_clause(actor)


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


def export_enrollments(
    ctx: ServiceContext, *, period: str, filters: EnrollmentFilter | None = None
) -> Iterator[EnrollmentView]:
    """Every matching enrollment, streamed (for `enroll list --out`); needs SMS verification.

    Raises VerificationRequired (3), InvalidValue (1), NotFound (4).
    """
    actor = ctx.require(*READ_ROLES, action="导出选课")
    require_verified(ctx, "导出选课数据")
    f = check_filter(filters or EnrollmentFilter())
    with ctx.reading() as session:
        code = get_period(session, period).code

    def rows() -> Iterator[EnrollmentView]:
        with ctx.reading() as session:
            stmt = _list_stmt(actor, code, f).order_by(
                col(School.code), col(Teacher.learner_no), col(Course.code)
            )
            for r in session.execute(stmt.execution_options(yield_per=2000)):
                yield view(r)

    return rows()

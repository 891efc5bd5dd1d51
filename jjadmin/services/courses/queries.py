"""课程查询 (`course list`, `course show`, `course export`): the courses of a period the actor
may see."""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from jjadmin.errors import InvalidValue
from jjadmin.models import Course, School
from jjadmin.rules.courses import APPROVAL_LABELS, APPROVALS, STATUSES
from jjadmin.rules.enums import check_in_list
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.courses.common import ANY_ROLE, CourseView, _school_code, course_view
from jjadmin.services.courses.visibility import get_visible_course, visible_course_clause
from jjadmin.services.period_lookup import get_period


def _contains(column: Any, value: str) -> ColumnElement[bool]:
    """'、'-joined list `column` contains `value` as a whole element."""
    return or_(
        column == value,
        column.like(f"{value}、%"),
        column.like(f"%、{value}"),
        column.like(f"%、{value}、%"),
    )


@dataclass(frozen=True)
class CourseFilter:
    level: str | None = None
    hour_type: str | None = None
    subject: str | None = None
    stage: str | None = None
    status: str | None = None
    school: str | None = None
    approval: str | None = None
    code: str | None = None


def _check_filter(f: CourseFilter) -> CourseFilter:
    """Validated filter values. Raises InvalidValue (1)."""
    status = f.status.strip() if f.status else None
    if status is not None and status not in STATUSES:
        raise InvalidValue(f"状态“{status}”无效，应为“上线”或“下线”")
    approval = f.approval.strip() if f.approval else None
    if approval is not None and approval not in APPROVALS:
        raise InvalidValue(f"审核状态“{approval}”无效，应为 {'、'.join(APPROVALS)}")
    return CourseFilter(
        level=check_in_list("培训级别", f.level) if f.level else None,
        hour_type=check_in_list("学时类型", f.hour_type) if f.hour_type else None,
        subject=check_in_list("任教学科", f.subject) if f.subject else None,
        stage=check_in_list("任教学段", f.stage) if f.stage else None,
        status=status,
        school=f.school.strip() if f.school else None,
        approval=approval,
        code=f.code.strip() if f.code else None,
    )


def _list_stmt(session: Session, actor: Actor, period: str, f: CourseFilter) -> Any:
    stmt = (
        select(Course, col(School.code))
        .outerjoin(School, col(School.id) == col(Course.school_id))
        .where(col(Course.period) == period, visible_course_clause(session, actor))
    )
    if f.level:
        stmt = stmt.where(col(Course.level) == f.level)
    if f.hour_type:
        stmt = stmt.where(col(Course.hour_type) == f.hour_type)
    if f.subject:
        stmt = stmt.where(_contains(col(Course.subjects), f.subject))
    if f.stage:
        stmt = stmt.where(_contains(col(Course.stages), f.stage))
    if f.status:
        stmt = stmt.where(col(Course.status) == f.status)
    if f.school:
        stmt = stmt.where(col(School.code) == f.school)
    if f.approval:
        stmt = stmt.where(col(Course.approval) == f.approval)
    if f.code:
        stmt = stmt.where(col(Course.code).contains(f.code, autoescape=True))
    return stmt


def list_courses(
    ctx: ServiceContext,
    *,
    period: str,
    filters: CourseFilter | None = None,
    limit: int = 1000,
    offset: int = 0,
) -> tuple[list[CourseView], int]:
    """Courses of a period the actor may see, by course code.

    Raises InvalidValue (1, a malformed period or filter value), NotFound (4, no such period).
    """
    actor = ctx.require(*ANY_ROLE, action="查看课程")
    f = _check_filter(filters or CourseFilter())
    with ctx.reading() as session:
        p = get_period(session, period)
        stmt = _list_stmt(session, actor, p.code, f)
        total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
        page = session.execute(stmt.order_by(col(Course.code)).limit(limit).offset(offset)).all()
        return [course_view(c, sc) for c, sc in page], int(total)


def show_course(ctx: ServiceContext, *, period: str, code: str) -> CourseView:
    """One course.

    Raises InvalidValue (1), NotFound (4), PermissionDenied (3, not visible to the actor).
    """
    actor = ctx.require(*ANY_ROLE, action="查看课程")
    with ctx.reading() as session:
        get_period(session, period)
        course = get_visible_course(session, actor, period, code)
        return course_view(course, _school_code(session, course.school_id))


def export_rows(
    ctx: ServiceContext, *, period: str, filters: CourseFilter | None = None
) -> list[dict[str, Any]]:
    """Rows for `course export`: the 课程 template's columns (re-importable) plus enrollment
    count and approval; keys are CourseView fields."""
    views, _ = list_courses(ctx, period=period, filters=filters, limit=10**9)
    rows = []
    for v in views:
        row = {f.name: getattr(v, f.name) for f in fields(v)}
        row["hours"] = Decimal(v.hours)
        row["fee"] = Decimal(v.fee)
        row["material_fee"] = Decimal(v.material_fee)
        row["approval"] = APPROVAL_LABELS.get(v.approval, v.approval)
        rows.append(row)
    return rows

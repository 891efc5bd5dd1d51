"""课程查询 (`course list`, `course show`, `course export`): the courses of a period the actor
may see."""

from __future__ import annotations

from dataclasses import fields
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from jjadmin.models import Course, School
from jjadmin.rules.courses import APPROVAL_LABELS
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.course_listing import CourseFilter as CourseFilter
from jjadmin.services.course_listing import check_filter
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
    f = check_filter(filters or CourseFilter())
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

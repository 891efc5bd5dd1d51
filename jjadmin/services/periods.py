"""期数管理: create, list, show; the current period and its state from the clock (SPEC §6)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col

from jjadmin.errors import Conflict
from jjadmin.models import Course, Enrollment, Period, School
from jjadmin.rules.codes import parse_period_code
from jjadmin.rules.windows import check_window_order, parse_window_time, period_state, state_label
from jjadmin.services import audit
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.courses.visibility import visible_course_clause
from jjadmin.services.period_lookup import current_period_code as current_period_code
from jjadmin.services.period_lookup import get_period as get_period
from jjadmin.services.period_views import PeriodView as PeriodView

__all__ = [
    "PeriodView",
    "create_period",
    "current_period_code",
    "get_period",
    "list_periods",
    "show_period",
]

ANY_ROLE = ("city", "district", "institution", "school", "teacher", "system")


def _view(p: Period, now: datetime, courses: int = 0, enrollments: int = 0) -> PeriodView:
    state = period_state(p, now)
    return PeriodView(
        p.code,
        p.select_from,
        p.select_to,
        p.pay_by,
        state,
        state_label(state),
        courses,
        enrollments,
        p.last_closed_at,
    )


def create_period(
    ctx: ServiceContext,
    *,
    code: str,
    select_from: str | datetime,
    select_to: str | datetime,
    pay_by: str | datetime,
) -> PeriodView:
    """Open a period (期数 YYNN) with its selection window and payment deadline; city only.

    A bare date means the start of the day for `select_from` and its end for `select_to`
    and `pay_by` (Asia/Shanghai).
    Raises PermissionDenied (3), InvalidValue (1: malformed code or time, reversed order),
    Conflict (5: the period exists).
    """
    actor = ctx.require("city", action="创建期数")
    code = parse_period_code(code)
    start = parse_window_time(select_from, label="选课开始时间", end_of_day=False)
    end = parse_window_time(select_to, label="选课结束时间", end_of_day=True)
    deadline = parse_window_time(pay_by, label="缴费截止时间", end_of_day=True)
    check_window_order(start, end, deadline)
    duplicate = Conflict(f"期数 {code} 已存在", hint=f"jjadmin period show {code}")
    with ctx.transaction() as session:
        if session.get(Period, code) is not None:
            raise duplicate
        period = Period(
            code=code,
            select_from=start,
            select_to=end,
            pay_by=deadline,
            created_by=actor.account_id,
            created_at=ctx.now,
        )
        session.add(period)
        try:
            session.flush()
        except IntegrityError as exc:  # a concurrent create won the race
            raise duplicate from exc
        audit.record(
            session,
            actor,
            ctx.now,
            "period.create",
            "period",
            code,
            after={"select_from": start, "select_to": end, "pay_by": deadline},
        )
        return _view(period, ctx.now)


def _enrollment_scope(session: Session, actor: Actor) -> ColumnElement[bool] | None:
    """Which enrollments an actor's counts include; None = all."""
    if actor.role in ("city", "system"):
        return None
    if actor.role == "district":
        schools = select(col(School.id)).where(col(School.district_code) == actor.district_code)
        return col(Enrollment.school_id).in_(schools)
    if actor.role == "institution":
        courses = select(col(Course.id)).where(col(Course.charging_unit) == actor.institution)
        return col(Enrollment.course_id).in_(courses)
    if actor.acting_school_id is not None:
        return col(Enrollment.school_id) == actor.acting_school_id
    return col(Enrollment.teacher_id) == actor.teacher_id


def _counts(
    session: Session, actor: Actor, codes: list[str]
) -> tuple[dict[str, int], dict[str, int]]:
    if not codes:
        return {}, {}
    course_rows = session.execute(
        select(col(Course.period), func.count())
        .where(col(Course.period).in_(codes))
        .where(visible_course_clause(session, actor))
        .group_by(col(Course.period))
    ).all()
    stmt = (
        select(col(Enrollment.period), func.count())
        .where(col(Enrollment.period).in_(codes), col(Enrollment.state) == "active")
        .group_by(col(Enrollment.period))
    )
    scope = _enrollment_scope(session, actor)
    if scope is not None:
        stmt = stmt.where(scope)
    enrollment_rows = session.execute(stmt).all()
    return (
        {str(p): int(n) for p, n in course_rows},
        {str(p): int(n) for p, n in enrollment_rows},
    )


def list_periods(
    ctx: ServiceContext, *, limit: int = 1000, offset: int = 0
) -> tuple[list[PeriodView], int]:
    """Every period, newest first, with its state and the course/enrollment counts the actor
    may see."""
    actor = ctx.require(*ANY_ROLE, action="查看期数")
    with ctx.reading() as session:
        total = session.execute(select(func.count()).select_from(Period)).scalar_one()
        page = list(
            session.execute(
                select(Period).order_by(col(Period.code).desc()).limit(limit).offset(offset)
            ).scalars()
        )
        courses, enrollments = _counts(session, actor, [p.code for p in page])
        views = [
            _view(p, ctx.now, courses.get(p.code, 0), enrollments.get(p.code, 0)) for p in page
        ]
    return views, int(total)


def show_period(ctx: ServiceContext, *, code: str) -> PeriodView:
    """One period with its state and counts.

    Raises InvalidValue (1), NotFound (4).
    """
    actor = ctx.require(*ANY_ROLE, action="查看期数")
    with ctx.reading() as session:
        period = get_period(session, code)
        courses, enrollments = _counts(session, actor, [period.code])
        return _view(period, ctx.now, courses.get(period.code, 0), enrollments.get(period.code, 0))

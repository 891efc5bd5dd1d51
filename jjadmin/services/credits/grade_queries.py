"""成绩查询 (`grade list`) and 课程通过率 (`grade stats`, SPEC §5 columns): a period's grades
in the actor's scope — the enrollments it sees (scope_rules.TABLES: a school its teachers',
a district its schools', an institution its courses')."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from jjadmin.errors import NotFound, PermissionDenied
from jjadmin.models import metadata
from jjadmin.rules.codes import normalize_course_code, parse_period_code
from jjadmin.rules.grades import Score
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.scope import unit_clause
from jjadmin.services.scope_rules import OUT_OF_SCOPE, school_in_scope

READERS = ("city", "district", "school", "institution")


@dataclass(frozen=True)
class GradeView:
    learner_no: str
    name: str
    school_code: str
    course_code: str
    course_name: str
    hours: str
    hour_type: str
    score: str
    passed: bool
    remark: str | None
    recorded_at: datetime


@dataclass(frozen=True)
class PassRate:
    """课程通过率 of one course (SPEC §5: 课程编号, 课程名称, 通过人数, 未通过人数, 总人数,
    学员通过率)."""

    course_code: str
    course_name: str
    passed: int
    not_passed: int
    total: int
    graded: int
    rate: str  # '87.5%'


def _school_filter(session: Session, actor: Actor, code: str | None) -> int | None:
    if code is None:
        return None
    s = metadata.tables["school"]
    row = session.execute(select(s.c.id, s.c.district_code).where(s.c.code == code)).first()
    if row is None:
        raise NotFound(f"学校不存在：{code}")
    if actor.role != "institution" and not school_in_scope(actor, row):
        raise PermissionDenied(OUT_OF_SCOPE, hint="只能查看本单位管辖范围内的学校")
    return int(row[0])


def _hours(value: Any) -> str:
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def list_grades(
    ctx: ServiceContext,
    *,
    period: str,
    course: str | None = None,
    school: str | None = None,
    passed: bool | None = None,
    limit: int = 1000,
    offset: int = 0,
) -> tuple[list[GradeView], int]:
    """成绩查询: the grades of a period in scope, by school, course and 学号.

    Raises InvalidValue (1), NotFound (4: no such school), PermissionDenied (3).
    """
    actor = ctx.require(*READERS, action="查看成绩")
    code = parse_period_code(period)
    g, e, c, t, s = (
        metadata.tables[n] for n in ("grade", "enrollment", "course", "teacher", "school")
    )
    with ctx.reading() as session:
        school_id = _school_filter(session, actor, school)
        where = [e.c.period == code, unit_clause(actor, "enrollment")]
        if course is not None:
            where.append(c.c.code == normalize_course_code(course))
        if school_id is not None:
            where.append(e.c.school_id == school_id)
        if passed is not None:
            where.append(g.c.passed.is_(passed))
        joined = (
            g.join(e, e.c.id == g.c.enrollment_id)
            .join(c, c.c.id == e.c.course_id)
            .join(t, t.c.id == e.c.teacher_id)
            .join(s, s.c.id == e.c.school_id)
        )
        total = int(
            session.execute(select(func.count()).select_from(joined).where(*where)).scalar() or 0
        )
        rows = session.execute(
            select(
                t.c.learner_no,
                t.c.name,
                s.c.code,
                c.c.code,
                c.c.name,
                c.c.hours,
                c.c.hour_type,
                g.c.score,
                g.c.passed,
                g.c.remark,
                g.c.recorded_at,
            )
            .select_from(joined)
            .where(*where)
            .order_by(c.c.code, t.c.learner_no)
            .limit(limit)
            .offset(offset)
        ).all()
    views = [
        GradeView(
            learner_no=r[0],
            name=r[1],
            school_code=r[2],
            course_code=r[3],
            course_name=r[4],
            hours=_hours(r[5]),
            hour_type=r[6],
            score=Score(None if r[7] is None else Decimal(r[7]), bool(r[8])).text,
            passed=bool(r[8]),
            remark=r[9],
            recorded_at=r[10],
        )
        for r in rows
    ]
    return views, total


def pass_rates(ctx: ServiceContext, *, period: str, school: str | None = None) -> list[PassRate]:
    """课程通过率 per course of the period: 总人数 = the active enrollments in scope, 通过人数
    = those with a passed grade, 未通过人数 = the rest (failed or not graded yet).

    Raises InvalidValue (1), NotFound (4), PermissionDenied (3).
    """
    actor = ctx.require(*READERS, action="查看课程通过率")
    code = parse_period_code(period)
    g, e, c = (metadata.tables[n] for n in ("grade", "enrollment", "course"))
    with ctx.reading() as session:
        school_id = _school_filter(session, actor, school)
        where = [e.c.period == code, e.c.state == "active", unit_clause(actor, "enrollment")]
        if school_id is not None:
            where.append(e.c.school_id == school_id)
        rows = session.execute(
            select(
                c.c.code,
                c.c.name,
                func.count(),
                func.sum(case((g.c.passed.is_(True), 1), else_=0)),
                func.count(g.c.id),
            )
            .select_from(
                e.join(c, c.c.id == e.c.course_id).outerjoin(g, g.c.enrollment_id == e.c.id)
            )
            .where(*where)
            .group_by(c.c.id, c.c.code, c.c.name)
            .order_by(c.c.code)
        ).all()
    out: list[PassRate] = []
    for course_code, name, total, passed, graded in rows:
        total, passed = int(total), int(passed or 0)
        rate = (Decimal(passed) * 100 / total).quantize(Decimal("0.1")) if total else Decimal(0)
        out.append(
            PassRate(course_code, name, passed, total - passed, total, int(graded), f"{rate}%")
        )
    return out

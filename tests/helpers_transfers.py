"""Arrangement helpers for the transfer tests: periods, courses, enrollments, special users."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from jjadmin.models import (
    Account,
    Course,
    Enrollment,
    Period,
    Principal,
    School,
    SpecialUser,
    Teacher,
)
from tests.factories import NOW


def ensure_period(session: Session, code: str) -> str:
    """A period row: NN 01 selects in March and is paid by April 15th, NN 02 in September and
    by October 15th (so 2502 is an earlier period at tests.factories.NOW, 2601 is not)."""
    if session.get(Period, code) is None:
        year = 2000 + int(code[:2])
        month = 3 if code.endswith("01") else 9
        start = datetime.fromisoformat(f"{year}-{month:02d}-01T00:00:00+08:00")
        end = datetime.fromisoformat(f"{year}-{month:02d}-28T23:59:59+08:00")
        pay_by = datetime.fromisoformat(f"{year}-{month + 1:02d}-15T23:59:59+08:00")
        session.add(
            Period(code=code, select_from=start, select_to=end, pay_by=pay_by, created_at=NOW)
        )
        session.flush()
    return code


def make_course(
    session: Session,
    period: str,
    code: str,
    *,
    level: str = "全员培训",
    district: str | None = None,
) -> Course:
    ensure_period(session, period)
    course = Course(
        period=period,
        code=code,
        name=f"课程{code}",
        level=level,
        course_type="远程",
        hour_type="专业科目",
        hours=Decimal("24"),
        fee=12000,
        charging_unit="广州市教师继续教育指导中心",
        district_code=district,
        created_at=NOW,
        updated_at=NOW,
    )
    session.add(course)
    session.flush()
    return course


def enroll(
    session: Session,
    teacher: Teacher,
    course: Course,
    *,
    paid: bool = False,
    state: str = "active",
) -> Enrollment:
    row = Enrollment(
        period=course.period,
        course_id=course.id or 0,
        teacher_id=teacher.id or 0,
        school_id=teacher.school_id,
        state=state,
        paid=paid,
        created_at=NOW,
    )
    session.add(row)
    session.flush()
    return row


def flag_special(
    session: Session, teacher: Teacher, period: str = "2502", *, cleared: bool = False
) -> SpecialUser:
    ensure_period(session, period)
    row = SpecialUser(
        teacher_id=teacher.id or 0,
        period=period,
        enrollment_ids=[],
        flagged_at=NOW,
        cleared_at=NOW if cleared else None,
    )
    session.add(row)
    session.flush()
    return row


def grant_principal(session: Session, teacher: Teacher) -> Principal:
    row = Principal(school_id=teacher.school_id, teacher_id=teacher.id or 0, granted_at=NOW)
    session.add(row)
    session.flush()
    return row


def teacher_login(session: Session, teacher: Teacher) -> Account:
    """The teacher's own login account (username = 学号)."""
    account = Account(
        username=teacher.learner_no,
        role="teacher",
        name=teacher.name,
        school_id=teacher.school_id,
        teacher_id=teacher.id,
        created_at=NOW,
    )
    session.add(account)
    session.flush()
    return account


def school_of(session: Session, teacher_id: int) -> School:
    school_id = session.execute(
        select(Teacher.school_id).where(Teacher.id == teacher_id)  # type: ignore[arg-type]
    ).scalar_one()
    school = session.get(School, school_id)
    assert school is not None
    return school

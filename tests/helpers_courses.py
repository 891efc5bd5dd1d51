"""Factories for periods and courses, shared by the course and enrollment tests."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from jjadmin.models import Course, Period, School
from tests.factories import NOW

# Default windows of period 2601 around tests.factories.NOW (2026-03-15 10:00 +08:00):
# selection runs 03-01 .. 03-31, payment closes 04-15 — so NOW is inside the window.
SELECT_FROM = datetime.fromisoformat("2026-03-01T00:00:00+08:00")
SELECT_TO = datetime.fromisoformat("2026-03-31T23:59:59+08:00")
PAY_BY = datetime.fromisoformat("2026-04-15T23:59:59+08:00")


def make_period(
    session: Session,
    code: str = "2601",
    select_from: datetime = SELECT_FROM,
    select_to: datetime = SELECT_TO,
    pay_by: datetime = PAY_BY,
    **over: Any,
) -> Period:
    values: dict[str, Any] = {
        "code": code,
        "select_from": select_from,
        "select_to": select_to,
        "pay_by": pay_by,
        "created_at": NOW,
    }
    values.update(over)
    period = Period(**values)
    session.add(period)
    session.flush()
    return period


def make_course(
    session: Session,
    period: Period | str,
    code: str,
    level: str = "全员培训",
    capacity: int | None = None,
    fee: int = 12000,
    school: School | None = None,
    district: str | None = None,
    approval: str = "approved",
    status: str = "上线",
    **over: Any,
) -> Course:
    """A course row; ``fee`` is in fen (12000 = 120.00 元).

    A 校本培训 course takes its district from ``school`` when ``district`` is not given.
    """
    period_code = period if isinstance(period, str) else period.code
    if district is None and school is not None:
        district = school.district_code
    values: dict[str, Any] = {
        "period": period_code,
        "code": code,
        "name": f"课程{code}",
        "level": level,
        "attribute": "选修",
        "course_type": "面授",
        "hour_type": "专业科目",
        "hours": Decimal("24"),
        "fee": fee,
        "material_fee": 0,
        "charging_unit": school.name if school is not None else "广州市教师继续教育指导中心",
        "capacity": capacity,
        "enrolled": 0,
        "status": status,
        "district_code": district,
        "school_id": school.id if school is not None else None,
        "approval": approval,
        "created_at": NOW,
        "updated_at": NOW,
    }
    values.update(over)
    course = Course(**values)
    session.add(course)
    session.flush()
    return course

"""What the course services share: the levels, the 课程 sheet's headers, and the course view
(money and hours as decimal strings)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from jjadmin.models import Course, School
from jjadmin.rules.enums import TrainingLevel
from jjadmin.rules.money import format_hours, format_money
from jjadmin.services.course_listing import CourseView as CourseView  # noqa: E402

DISTRICT_LEVEL = TrainingLevel.DISTRICT.value
SCHOOL_LEVEL = TrainingLevel.SCHOOL_BASED.value
ABILITY_LEVEL = TrainingLevel.ABILITY_PROJECT.value
CHUNK = 500
ANY_ROLE = ("city", "district", "institution", "school", "teacher", "system")


HEADERS = {
    "period": "期数",
    "course_code": "课程编号",
    "name": "课程名称",
    "training_level": "培训级别",
    "attribute": "课程属性",
    "course_type": "课程类型",
    "hour_type": "学时类型",
    "hours": "学时",
    "fee": "培训费用",
    "material_fee": "教材费用",
    "lecturer": "主讲教师",
    "declarer": "申报单位",
    "charging_unit": "收费单位",
    "audience": "培训对象",
    "capacity": "容量",
    "status": "状态",
    "district_code": "所属区代码",
    "school_code": "学校代码",
    "ability_category": "提升工程类别",
    "stages": "适用学段",
    "subjects": "适用学科",
    "ability_dimension": "能力维度",
}


def course_view(c: Course, school_code: str | None) -> CourseView:
    """The detached, JSON-ready view of a course (money and hours as decimal strings)."""
    return CourseView(
        c.period,
        c.code,
        c.name,
        c.level,
        c.attribute,
        c.course_type,
        c.hour_type,
        format_hours(Decimal(c.hours)),
        format_money(c.fee),
        format_money(c.material_fee),
        c.lecturer,
        c.declarer,
        c.charging_unit,
        c.audience,
        c.capacity,
        c.enrolled,
        c.status,
        c.district_code,
        school_code,
        c.ability_category,
        c.stages,
        c.subjects,
        c.approval,
        c.approval_reason,
        c.ability_dimension,
    )


def _school_code(session: Session, school_id: int | None) -> str | None:
    if school_id is None:
        return None
    return session.execute(select(col(School.code)).where(col(School.id) == school_id)).scalar_one()

"""Periods, courses, enrollments, grades."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, Numeric, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from jjadmin.models.base import TZDateTime


class Period(SQLModel, table=True):
    __tablename__ = "period"

    code: str = Field(primary_key=True, max_length=4)
    select_from: datetime = Field(sa_type=TZDateTime)
    select_to: datetime = Field(sa_type=TZDateTime)
    pay_by: datetime = Field(sa_type=TZDateTime)
    created_by: int | None = Field(default=None, foreign_key="account.id")
    created_at: datetime = Field(sa_type=TZDateTime)
    last_closed_at: datetime | None = Field(default=None, sa_type=TZDateTime)


class Course(SQLModel, table=True):
    __tablename__ = "course"
    __table_args__ = (
        UniqueConstraint("period", "code", name="uq_course_period_code"),
        CheckConstraint("capacity IS NULL OR enrolled <= capacity", name="capacity"),
    )

    id: int | None = Field(default=None, primary_key=True)
    period: str = Field(foreign_key="period.code", max_length=4, index=True)
    code: str = Field(max_length=20)
    name: str = Field(max_length=200)
    level: str = Field(max_length=10, index=True)  # 培训级别
    attribute: str | None = Field(default=None, max_length=10)  # 课程属性 必修/选修
    course_type: str = Field(max_length=10)  # 课程类型 远程/面授/混合
    hour_type: str = Field(max_length=10)  # 学时类型
    hours: Decimal = Field(sa_type=Numeric(7, 1))
    fee: int = Field(default=0)  # 培训费用, fen
    material_fee: int = Field(default=0)  # 教材费用, fen
    lecturer: str | None = Field(default=None, max_length=100)
    declarer: str | None = Field(default=None, max_length=100)  # 申报单位
    charging_unit: str = Field(max_length=100)  # 收费单位
    audience: str | None = Field(default=None, max_length=200)
    capacity: int | None = Field(default=None)
    enrolled: int = Field(default=0)
    status: str = Field(default="上线", max_length=10)  # 上线 | 下线
    district_code: str | None = Field(default=None, foreign_key="district.code", max_length=6)
    school_id: int | None = Field(default=None, foreign_key="school.id", index=True)
    ability_category: str | None = Field(default=None, max_length=10)
    # 能力维度 of a 提升工程 course (the national standard's five): 专业必修 of the teacher's
    # topic dimension is preferred (`ability recommend`)
    ability_dimension: str | None = Field(default=None, max_length=10)
    stages: str | None = Field(default=None, max_length=100)  # 适用学段, '、'-joined
    subjects: str | None = Field(default=None, max_length=200)  # 适用学科
    approval: str = Field(default="approved", max_length=10)  # pending|approved|rejected
    approval_reason: str | None = Field(default=None, max_length=500)
    declared_by: int | None = Field(default=None, foreign_key="account.id")
    approved_by: int | None = Field(default=None, foreign_key="account.id")
    version: int = Field(default=1)
    created_batch_id: int | None = Field(default=None, index=True)
    created_at: datetime = Field(sa_type=TZDateTime)
    updated_at: datetime = Field(sa_type=TZDateTime)


class Enrollment(SQLModel, table=True):
    """选课: at most one active enrollment per teacher and course."""

    __tablename__ = "enrollment"
    __table_args__ = (
        Index(
            "uq_enrollment_active",
            "teacher_id",
            "course_id",
            unique=True,
            sqlite_where=text("state = 'active'"),
            postgresql_where=text("state = 'active'"),
        ),
        Index("ix_enrollment_period_school", "period", "school_id"),
        # what is still to pay: bill generation reads it alone (covering, in bill order) and
        # so does the period close (enrollments paid through their bill leave it: a paid
        # city is an empty scan)
        Index(
            "ix_enrollment_unpaid",
            "period",
            "school_id",
            "course_id",
            "teacher_id",
            "state",
            "paid",
            sqlite_where=text("state = 'active' AND paid = 0"),
            postgresql_where=text("state = 'active' AND paid = false"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    period: str = Field(foreign_key="period.code", max_length=4)
    course_id: int = Field(foreign_key="course.id", index=True)
    teacher_id: int = Field(foreign_key="teacher.id", index=True)
    school_id: int = Field(foreign_key="school.id")  # the school at enrollment time
    state: str = Field(default="active", max_length=8)
    paid: bool = Field(default=False)
    # the bill that paid it (set when paid; an unpaid bill's enrollments are its school's
    # unpaid ones of the bill's charging unit); read through (period, school_id), no index
    bill_id: int | None = Field(default=None, foreign_key="bill.id")
    source: str = Field(default="admin", max_length=10)  # admin | self | import | force
    created_by: int | None = Field(default=None, foreign_key="account.id")
    created_at: datetime = Field(sa_type=TZDateTime)
    dropped_by: int | None = Field(default=None, foreign_key="account.id")
    dropped_at: datetime | None = Field(default=None, sa_type=TZDateTime)
    batch_id: int | None = Field(default=None, index=True)


class Grade(SQLModel, table=True):
    __tablename__ = "grade"

    id: int | None = Field(default=None, primary_key=True)
    enrollment_id: int = Field(foreign_key="enrollment.id", unique=True)
    score: Decimal | None = Field(default=None, sa_type=Numeric(5, 1))
    passed: bool
    remark: str | None = Field(default=None, max_length=200)
    recorded_by: int | None = Field(default=None, foreign_key="account.id")
    recorded_at: datetime = Field(sa_type=TZDateTime)
    batch_id: int | None = Field(default=None, index=True)
    version: int = Field(default=1)  # a re-grade bumps it (batch undo's conflict check)


class AbilityConfig(SQLModel, table=True):
    """提升工程 pilot of a period: districts and subjects."""

    __tablename__ = "ability_config"

    period: str = Field(foreign_key="period.code", primary_key=True, max_length=4)
    districts: list[str] = Field(default_factory=list, sa_type=JSON)
    subjects: list[str] = Field(default_factory=list, sa_type=JSON)
    updated_at: datetime = Field(sa_type=TZDateTime)


class AbilityAssessment(SQLModel, table=True):
    __tablename__ = "ability_assessment"
    __table_args__ = (UniqueConstraint("teacher_id", "period", "attempt"),)

    id: int | None = Field(default=None, primary_key=True)
    teacher_id: int = Field(foreign_key="teacher.id", index=True)
    period: str = Field(foreign_key="period.code", max_length=4)
    attempt: int
    answers: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    result: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    confirmed: bool = Field(default=False)
    created_at: datetime = Field(sa_type=TZDateTime)


class AbilitySelection(SQLModel, table=True):
    """提升工程选课: one row per course a teacher confirmed for a period (`ability confirm`),
    with its category, whether it is one of the three required courses (never dropped) and
    why it was chosen; `state` follows the enrollment (active | dropped)."""

    __tablename__ = "ability_selection"
    __table_args__ = (UniqueConstraint("teacher_id", "period", "course_id"),)

    id: int | None = Field(default=None, primary_key=True)
    teacher_id: int = Field(foreign_key="teacher.id", index=True)
    period: str = Field(foreign_key="period.code", max_length=4)
    assessment_id: int = Field(foreign_key="ability_assessment.id")
    course_id: int = Field(foreign_key="course.id", index=True)
    category: str = Field(max_length=10)  # 提升工程类别
    required: bool = Field(default=False)
    reason: str = Field(max_length=200)
    state: str = Field(default="active", max_length=8)
    created_at: datetime = Field(sa_type=TZDateTime)
    updated_at: datetime = Field(sa_type=TZDateTime)

"""Bills, payments and special users (选课未缴费)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Index, text
from sqlmodel import Field, SQLModel

from jjadmin.models.base import TZDateTime


class Bill(SQLModel, table=True):
    """A school's bill for the courses of one charging unit (收费单位) in one period; fen.

    At most one unpaid bill per period, school and unit: `bill generate` keeps it equal to
    the unit's unpaid enrollments of the school. A paid bill never changes again; what the
    school selects later for the same unit goes into a new bill. A bill whose enrollments
    all went away is void.
    """

    __tablename__ = "bill"
    __table_args__ = (
        Index(
            "uq_bill_open",
            "period",
            "school_id",
            "charging_unit",
            unique=True,
            sqlite_where=text("state = 'unpaid'"),
            postgresql_where=text("state = 'unpaid'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    bill_no: str = Field(max_length=30, unique=True, index=True)
    period: str = Field(foreign_key="period.code", max_length=4, index=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    charging_unit: str = Field(max_length=100)
    name: str = Field(max_length=200)
    amount: int = Field(default=0)
    enrollments: int = Field(default=0)  # 人次 the amount is for
    state: str = Field(default="unpaid", max_length=8, index=True)  # unpaid | paid | void
    receipt_no: str | None = Field(default=None, max_length=60)
    paid_on: date | None = None
    paid_at: datetime | None = Field(default=None, sa_type=TZDateTime)
    version: int = Field(default=1)
    created_at: datetime = Field(sa_type=TZDateTime)
    updated_at: datetime = Field(sa_type=TZDateTime)


class Payment(SQLModel, table=True):
    __tablename__ = "payment"

    id: int | None = Field(default=None, primary_key=True)
    bill_id: int = Field(foreign_key="bill.id", index=True)
    amount: int
    paid_on: date
    receipt_no: str = Field(max_length=60, unique=True)
    recorded_by: int | None = Field(default=None, foreign_key="account.id")
    recorded_at: datetime = Field(sa_type=TZDateTime)
    batch_id: int | None = Field(default=None, index=True)


class SpecialUser(SQLModel, table=True):
    """特殊用户: one open flag per teacher, period and level (全员培训 by the city, 区级培训 by
    the course's district), naming the unpaid enrollments; kept after it is cleared."""

    __tablename__ = "special_user"
    __table_args__ = (
        Index(
            "uq_special_user_open",
            "teacher_id",
            "period",
            "level",
            unique=True,
            sqlite_where=text("cleared_at IS NULL"),
            postgresql_where=text("cleared_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    teacher_id: int = Field(foreign_key="teacher.id", index=True)
    period: str = Field(foreign_key="period.code", max_length=4)
    level: str = Field(default="全员培训", max_length=10)  # 培训级别 of the unpaid courses
    district_code: str | None = Field(default=None, max_length=6)  # 区级: the flagging district
    enrollment_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    flagged_at: datetime = Field(sa_type=TZDateTime)
    occurrence: int = Field(default=1)  # 第几次被列为特殊用户
    cleared_at: datetime | None = Field(default=None, sa_type=TZDateTime, index=True)
    cleared_by: int | None = Field(default=None, foreign_key="account.id")
    evidence: str | None = Field(default=None, max_length=500)
    seal_proof_id: int | None = Field(default=None, foreign_key="attachment.id")
    seal_proof_name: str | None = Field(default=None, max_length=200)
    seal_proof_sha256: str | None = Field(default=None, max_length=64)
    version: int = Field(default=1)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
